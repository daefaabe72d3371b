// The disk image behind the block back end (see the header): POSIX file calls, each checked.
#include "devices/disk_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ring1 {

DiskImage::~DiskImage() { close(); }

bool DiskImage::open(const std::string& path, bool read_only, std::string& error) {
  close();
  const int fd = ::open(path.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": cannot open disk image: " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": a disk image must be a regular file";
    ::close(fd);
    return false;
  }
  if (st.st_size == 0 || st.st_size % kSectorSize != 0) {
    error = path + ": a disk image must be a non-empty whole number of 512-byte sectors (it has " +
            std::to_string(st.st_size) + " bytes)";
    ::close(fd);
    return false;
  }
  fd_ = fd;
  read_only_ = read_only;
  sectors_ = u64(st.st_size) / kSectorSize;
  path_ = path;
  return true;
}

bool DiskImage::read(u64 sector, u32 count, void* dst) {
  if (fd_ < 0 || !in_range(sector, count)) return false;
  const size_t len = size_t(count) * kSectorSize;
  return ::pread(fd_, dst, len, off_t(sector * kSectorSize)) == ssize_t(len);
}

bool DiskImage::write(u64 sector, u32 count, const void* src) {
  if (fd_ < 0 || read_only_ || !in_range(sector, count)) return false;
  const size_t len = size_t(count) * kSectorSize;
  return ::pwrite(fd_, src, len, off_t(sector * kSectorSize)) == ssize_t(len);
}

bool DiskImage::flush() { return fd_ >= 0 && (read_only_ || ::fsync(fd_) == 0); }

void DiskImage::close() {
  if (fd_ < 0) return;
  flush();
  ::close(fd_);
  fd_ = -1;
}

}  // namespace ring1
