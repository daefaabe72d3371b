// `ring1 vectors` (vectors_command.h): reads --flags-mask, runs the file's tests and prints the failures and
// the counts; a file that cannot be read or parsed is bad input (exit 2).
#include "cli/vectors_command.h"

#include <cerrno>
#include <cstdlib>
#include <exception>

#include <fmt/format.h>

#include "cli/print_err.h"

namespace ring1 {

int vectors_command(const VectorOptions& o, const std::string& mask_text) {
  VectorOptions opts = o;
  if (!mask_text.empty()) {
    char* end = nullptr;
    errno = 0;
    const unsigned long v = std::strtoul(mask_text.c_str(), &end, 16);
    if (errno || end == mask_text.c_str() || *end || v > 0xFFFFFFFFul)
      return fail(fmt::format("--flags-mask '{}' is not a 32-bit hexadecimal number", mask_text));
    opts.flags_mask = u32(v);
  }
  VectorSummary s;
  try {
    s = run_vectors(opts, [](const std::string& line) { fmt::print("{}\n", line); });
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  fmt::print("{} passed, {} failed\n", s.passed, s.failed);
  return s.failed ? 1 : 0;
}

}  // namespace ring1
