// A host file served as a virtual disk (`--disk FILE[,ro]`): whole 512-byte sectors read and written in
// place with pread/pwrite, so every write reaches the file as it happens and a crash of the guest loses
// nothing the back end acknowledged; flush() is fsync (a barrier or cache flush asks for it, and the image is
// flushed when it is closed at the end of the run). A read-only image is opened read-only: the back end
// refuses writes before they reach it, and the host would too.
#pragma once
#include <string>

#include "common/types.h"

namespace ring1 {

inline constexpr u32 kSectorSize = 512;

class DiskImage {
 public:
  DiskImage() = default;
  ~DiskImage();
  DiskImage(const DiskImage&) = delete;
  DiskImage& operator=(const DiskImage&) = delete;

  // Opens `path`; false with `error` set (one line naming the file) if it cannot be, or if its size is not a
  // whole number of sectors or is zero.
  bool open(const std::string& path, bool read_only, std::string& error);
  bool is_open() const { return fd_ >= 0; }
  bool read_only() const { return read_only_; }
  u64 sectors() const { return sectors_; }
  const std::string& path() const { return path_; }

  // `count` whole sectors from `sector`; false if any is outside the image (nothing is then done), if the
  // image is read-only (writes), or if the host call fails.
  bool read(u64 sector, u32 count, void* dst);
  bool write(u64 sector, u32 count, const void* src);
  bool flush();
  void close();

 private:
  bool in_range(u64 sector, u32 count) const { return sector <= sectors_ && count <= sectors_ - sector; }

  int fd_ = -1;
  bool read_only_ = false;
  u64 sectors_ = 0;
  std::string path_;
};

}  // namespace ring1
