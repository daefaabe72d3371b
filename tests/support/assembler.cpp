#include "support/assembler.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace ring1::test {

namespace {
std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) throw std::runtime_error(fmt::format("`{}` failed:\n{}", cmd, out));
  return out;
}
}  // namespace

std::vector<u8> assemble(std::string_view source, Bits bits, u32 origin) {
  static std::mutex mu;
  static std::map<std::string, std::vector<u8>> cache;
  std::string key = fmt::format("{}|{}|{}", int(bits), origin, source);
  std::lock_guard lock(mu);
  if (auto it = cache.find(key); it != cache.end()) return it->second;

  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / fmt::format("ring1-asm-{}", getpid());
  fs::create_directories(dir);
  fs::path s = dir / "t.s", o = dir / "t.o", b = dir / "t.bin";
  {
    std::ofstream f(s);
    f << ".intel_syntax noprefix\n.code" << int(bits) << "\n" << source << "\n";
  }
  const char* as_flag = bits == Bits::b64 ? "--64" : "--32";
  run(fmt::format("as {} -o {} {}", as_flag, o.string(), s.string()));
  const char* emu = bits == Bits::b64 ? "elf_x86_64" : "elf_i386";
  run(fmt::format("ld -m {} -Ttext=0x{:x} --oformat=binary -e 0x{:x} -o {} {}", emu, origin, origin, b.string(),
                  o.string()));
  std::ifstream in(b, std::ios::binary);
  std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  cache.emplace(key, bytes);
  return bytes;
}

}  // namespace ring1::test
