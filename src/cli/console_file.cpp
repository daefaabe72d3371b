// --serial / --debugcon destinations and the checked write of `ring1 run`'s outputs (console_file.h).
#include "cli/console_file.h"

#include <fmt/format.h>

#include "cli/host_console.h"

namespace ring1 {

bool write_all(std::FILE* f, const std::string& text) {
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  return std::fflush(f) == 0 && wrote && !std::ferror(f);
}

std::function<void(u8)> ConsoleFile::sink() {
  if (!file) return stdout_byte;
  std::FILE* f = file.get();
  return [f](u8 b) { std::fputc(b, f); };
}

std::optional<ConsoleFile> open_console(const std::string& option, const std::string& where, std::string& err) {
  ConsoleFile c;
  if (where == "stdio") return c;
  if (where.empty()) {
    err = fmt::format("{} needs FILE or stdio", option);
    return std::nullopt;
  }
  c.file.reset(std::fopen(where.c_str(), "wb"));
  if (!c.file) {
    err = fmt::format("{}: cannot write '{}'", option, where);
    return std::nullopt;
  }
  return c;
}

}  // namespace ring1
