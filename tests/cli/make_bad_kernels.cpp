// Writes the malformed kernels the CLI's bad-input tests feed to `ring1 run`, one file per defect, into the
// directory given as the only argument. Each is a valid multiboot ELF but for the one thing its name says.
#include <cstdio>
#include <string>

#include "support/elf_builder.h"

using namespace ring1;
using namespace ring1::test;

namespace {
void write(const std::string& dir, const char* name, const std::vector<u8>& bytes) {
  std::FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
  if (!f) return;
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

ElfSpec good() {
  ElfSpec s;
  s.segments.push_back({0x100000, {0xF4}});  // hlt
  return s;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 1;
  const std::string dir = argv[1];
  write(dir, "good.elf", build_elf(good()));
  {
    ElfSpec s = good();
    s.elf_class = 2;
    write(dir, "elf64.elf", build_elf(s));
  }
  {
    ElfSpec s = good();
    s.machine = 40;  // EM_ARM
    write(dir, "arm.elf", build_elf(s));
  }
  {
    auto b = build_elf(good());
    b.resize(30);
    write(dir, "truncated.elf", b);
  }
  {
    ElfSpec s = good();
    s.multiboot = false;
    write(dir, "no-multiboot.elf", build_elf(s));
  }
  {
    ElfSpec s = good();
    s.bad_checksum = true;
    write(dir, "bad-checksum.elf", build_elf(s));
  }
  {
    ElfSpec s = good();
    s.segments[0].paddr = 0x7FFFF000;
    s.entry = 0x7FFFF000;
    write(dir, "outside-ram.elf", build_elf(s));
  }
  {
    ElfSpec s = good();
    s.segments.push_back({0x100800, {0x90}, 0x1000});
    s.segments[0].memsz = 0x1000;
    write(dir, "overlapping.elf", build_elf(s));
  }
  {
    ElfSpec s = good();
    s.segments[0].bytes = std::vector<u8>(32, 0x90);
    s.segments[0].memsz = 16;
    write(dir, "filesz-over-memsz.elf", build_elf(s));
  }
  {
    ElfSpec s = good();
    s.segments[0].offset_override = 0x100000;
    write(dir, "offset-past-end.elf", build_elf(s));
  }
  {
    ElfSpec s = good();
    s.multiboot_flags = 0x10003;
    write(dir, "aout-kludge.elf", build_elf(s));
  }
  {
    // A PV kernel whose XEN_ELFNOTE_XEN_VERSION string carries an escape sequence and a newline: the error
    // that quotes it must stay one printable line.
    ElfSpec s = good();
    s.multiboot = false;
    const std::string name = "Xen", desc = std::string("xen-\x1b[31m3.0\n") + '\0';
    std::vector<u8> note;
    put_le(note, 0, name.size() + 1, 4);
    put_le(note, 4, desc.size(), 4);
    put_le(note, 8, 5, 4);  // XEN_ELFNOTE_XEN_VERSION
    note.insert(note.end(), name.begin(), name.end());
    note.resize(16, 0);
    note.insert(note.end(), desc.begin(), desc.end());
    note.resize((note.size() + 3) & ~size_t(3), 0);
    ElfSegment n;
    n.type = 4;  // PT_NOTE
    n.bytes = note;
    s.segments.push_back(n);
    write(dir, "xen-control-bytes.elf", build_elf(s));
  }
  return 0;
}
