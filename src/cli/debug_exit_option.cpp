// Reading --debug-exit (debug_exit_option.h): a port from 0 to 0xffff and 1 to 4 ports, all inside the I/O space.
#include "cli/debug_exit_option.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

namespace ring1 {

bool parse_debug_exit(const std::string& text, u16& base, u32& size, std::string& err) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    if (eq == std::string::npos || (key != "iobase" && key != "iosize")) {
      err = fmt::format("--debug-exit '{}': expected iobase=PORT,iosize=N", text);
      return false;
    }
    const std::string num = item.substr(eq + 1);
    char* end = nullptr;
    errno = 0;
    const unsigned long v = std::strtoul(num.c_str(), &end, 0);
    if (num.empty() || *end || errno || v > 0xFFFF || (key == "iosize" && (v == 0 || v > 4))) {
      err = fmt::format("--debug-exit: {} '{}' is not a {}", key, num,
                        key == "iobase" ? "port (0..0xffff)" : "size of 1 to 4 ports");
      return false;
    }
    if (key == "iobase") base = u16(v);
    else size = u32(v);
  }
  if (u32(base) + size > 0x10000) {
    err = fmt::format("--debug-exit: ports {:#x}+{} run past 0xffff", base, size);
    return false;
  }
  return true;
}

}  // namespace ring1
