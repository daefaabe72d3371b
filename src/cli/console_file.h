// Output files of `ring1 run`: the destinations of --serial and --debugcon (stdio or a file, as QEMU's
// -serial and -debugcon take them), and the one checked write every output (report, trace, logs) goes through,
// so that a full disk ends the run with a message instead of a silent success.
#pragma once
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/types.h"

namespace ring1 {

// Writes `text` to `f` and flushes it; false (errno set) if any of it could not be written.
bool write_all(std::FILE* f, const std::string& text);

// A console destination for --serial / --debugcon: "stdio" (stdout, as the guest writes) or a file.
struct ConsoleFile {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{nullptr, &std::fclose};
  std::function<void(u8)> sink();
};

// "stdio" or a path opened for writing; nullopt (with the message in `err`) if the file cannot be written.
std::optional<ConsoleFile> open_console(const std::string& option, const std::string& where, std::string& err);

}  // namespace ring1
