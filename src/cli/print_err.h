// ring1's own one-line messages on stderr, and the "bad input" exit that goes with them. Every command of the
// CLI reports through these, so that a message is always one printable line and nothing throws on the way out.
#pragma once
#include <cstdio>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "machine/exit_status.h"
#include "machine/input_file.h"

namespace ring1 {

// ring1's own lines on stderr go through fputs: fmt::print would throw on a write error (stderr on a full
// disk), and nothing must throw out of a run.
template <class... Args>
void print_err(fmt::format_string<Args...> f, Args&&... args) {
  std::fputs(fmt::format(f, std::forward<Args>(args)...).c_str(), stderr);
}

// One line on stderr, with any control byte in it (from a file name, a cost file's line, a kernel's Xen
// notes) escaped, so the message stays one printable line.
inline int fail(const std::string& msg) {
  print_err("ring1: {}\n", escape_control(msg));
  return kExitBadInput;
}

}  // namespace ring1
