// The stdin/stdout callbacks of `ring1 run` (host_console.h): stdin is polled, never waited on, so that a guest
// that reads its serial port cannot hang ring1 on a terminal or an idle pipe.
#include "cli/host_console.h"

#include <sys/stat.h>
#include <poll.h>
#include <unistd.h>

namespace ring1 {

std::FILE* console_out = stdout;

// COM1's input in the CLI: stdin, but only when it is a pipe or a regular file (never a terminal, whose
// reads would wait for a person). A read never blocks: a pipe with nothing written yet, like a file or a pipe
// at its end, means "no byte now".
int stdin_byte() {
  static const bool usable = [] {
    struct stat st {};
    return fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode));
  }();
  static bool at_end = false;
  if (!usable || at_end) return -1;
  pollfd p{0, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) return -1;
  unsigned char b;
  const ssize_t n = ::read(0, &b, 1);
  if (n == 1) return b;
  if (n == 0) at_end = true;
  return -1;
}

// Console bytes go to stdout as the guest produces them (flushed at each line end and at the end of the run).
void stdout_byte(u8 b) {
  std::fputc(b, console_out);
  if (b == '\n') std::fflush(console_out);
}
void stdout_chars(void*, const char* s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) stdout_byte(static_cast<u8>(s[i]));
}
// The hypervisor's own log (console_io output, "(d1) ..."): stderr or the --hv-log file.
void log_chars(void* file, const char* s, std::size_t n) {
  std::fwrite(s, 1, n, static_cast<std::FILE*>(file));
  std::fflush(static_cast<std::FILE*>(file));
}

}  // namespace ring1
