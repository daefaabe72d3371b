// Reading the files a run is given (the guest image, a cost profile) with a bound, so that no input can make
// ring1 read without end or crash: a directory, a device such as /dev/zero, or a file past the bound is
// refused with one line saying why. FIFOs are read (process substitution gives one), up to the bound.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/types.h"

namespace ring1 {

// The largest guest image ring1 reads: far more than any kernel it can boot (RAM stops at 3 GiB, and the
// kit's images are kilobytes), small enough that a wrong file is refused before it exhausts the host.
inline constexpr u64 kMaxImageBytes = u64(256) << 20;
// The largest cost file: a profile has about twenty `key = cycles` lines.
inline constexpr u64 kMaxCostFileBytes = u64(64) << 10;

// The whole of `path` if it is a regular file or a FIFO of at most `limit` bytes; otherwise nullopt and
// `error` says why ("cannot read 'x': No such file or directory", "'x' is a directory", "'x' is not a
// regular file", "'x' is larger than 256 MiB").
std::optional<std::vector<u8>> read_input_file(const std::string& path, u64 limit, std::string& error);

// `text` with every control byte (and DEL) written as \xNN, so a message quoting guest- or user-supplied
// bytes stays one printable line.
std::string escape_control(std::string_view text);

}  // namespace ring1
