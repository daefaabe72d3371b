// Bounded reading of input files (see the header).
#include "machine/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ring1 {

namespace {
std::string size_text(u64 bytes) {
  if (bytes % (u64(1) << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes % (u64(1) << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} bytes", bytes);
}
}  // namespace

std::optional<std::vector<u8>> read_input_file(const std::string& path, u64 limit, std::string& error) {
  // O_NONBLOCK so that opening a FIFO nobody writes to does not wait; it is cleared before reading.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = fmt::format("cannot read '{}': {}", path, std::strerror(errno));
    return std::nullopt;
  }
  struct stat st {};
  std::optional<std::vector<u8>> out;
  if (::fstat(fd, &st) != 0) {
    error = fmt::format("cannot read '{}': {}", path, std::strerror(errno));
  } else if (S_ISDIR(st.st_mode)) {
    error = fmt::format("'{}' is a directory", path);
  } else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    error = fmt::format("'{}' is not a regular file", path);
  } else if (S_ISREG(st.st_mode) && u64(st.st_size) > limit) {
    error = fmt::format("'{}' is larger than {}", path, size_text(limit));
  } else {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    std::vector<u8> bytes;
    u8 buf[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = fmt::format("cannot read '{}': {}", path, std::strerror(errno));
        break;
      }
      if (n == 0) {
        out = std::move(bytes);
        break;
      }
      // The file may grow while it is read, and a FIFO has no size: the bound holds on what is read.
      if (bytes.size() + u64(n) > limit) {
        error = fmt::format("'{}' is larger than {}", path, size_text(limit));
        break;
      }
      bytes.insert(bytes.end(), buf, buf + n);
    }
  }
  ::close(fd);
  return out;
}

std::string escape_control(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x20 || b == 0x7F) out += fmt::format("\\x{:02x}", b);
    else out += ch;
  }
  return out;
}

}  // namespace ring1
