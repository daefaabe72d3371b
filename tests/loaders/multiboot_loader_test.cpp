// The multiboot loader against ELF files written by the test (support/elf_builder.h): segments at their
// physical addresses with the BSS zeroed, the entry state of Multiboot 0.6.96 section 3.2, the information
// structure, memory map and strings of section 3.3, and the header search of section 3.1.
#include <gtest/gtest.h>

#include <string>

#include "loaders/multiboot_loader.h"
#include "support/elf_builder.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

struct Loaded : TestMachine {
  std::string error;
  std::optional<MultibootBoot> boot;
  void load_elf(const ElfSpec& s, const std::string& cmdline = "kernel", std::vector<MultibootModule> mods = {}) {
    auto bytes = build_elf(s);
    boot = load_multiboot(ram, cpu, bytes, cmdline, error, mods);
  }
  std::string cstr(u32 addr) const {
    std::string s;
    for (char c; (c = char(mem<u8>(addr))) != 0; ++addr) s += c;
    return s;
  }
};

ElfSpec kernel() {
  ElfSpec s;
  s.entry = 0x100010;
  s.segments.push_back({0x100000, {1, 2, 3, 4}, 0x2000});
  s.segments.push_back({0x200000, {5, 6}});
  return s;
}

TEST(MultibootLoader, LoadsSegmentsAtTheirPhysicalAddressesAndZeroesTheRestOfMemsz) {
  Loaded m;
  for (u32 a = 0x100000; a < 0x102000; a += 4) m.poke<u32>(a, 0xAAAAAAAA);
  m.load_elf(kernel());
  ASSERT_TRUE(m.boot) << m.error;
  EXPECT_EQ(m.mem<u32>(0x100000), 0x04030201u);
  EXPECT_EQ(m.mem<u32>(0x100004), 0u);
  EXPECT_EQ(m.mem<u32>(0x101FFC), 0u);
  EXPECT_EQ(m.mem<u16>(0x200000), 0x0605u);
}

TEST(MultibootLoader, EntersAtTheElfEntryInTheMultibootMachineState) {
  Loaded m;
  m.cpu.eflags |= eflags::IF;
  m.load_elf(kernel());
  ASSERT_TRUE(m.boot) << m.error;
  EXPECT_EQ(m.cpu.eip, 0x100010u);
  EXPECT_EQ(m.r(EAX), 0x2BADB002u);
  EXPECT_EQ(m.r(EBX), 0x9000u);
  EXPECT_FALSE(m.flag(eflags::IF));
  EXPECT_EQ(m.cpu.cr0 & 0x80000001u, 1u);  // PE = 1, PG = 0
  for (SegReg r : {CS, DS, ES, FS, GS, SS}) {
    EXPECT_EQ(m.cpu.seg[r].base, 0u);
    EXPECT_EQ(m.cpu.seg[r].limit, 0xFFFFFFFFu);
    EXPECT_TRUE(m.cpu.seg[r].big);
  }
}

TEST(MultibootLoader, WritesTheInformationStructureWithMemorySizesCmdlineAndLoaderName) {
  Loaded m;
  m.load_elf(kernel(), "/boot/kernel.elf console=com1");
  ASSERT_TRUE(m.boot) << m.error;
  const u32 mbi = 0x9000;
  EXPECT_EQ(m.mem<u32>(mbi), mbi::Memory | mbi::Cmdline | mbi::Mods | mbi::Mmap | mbi::LoaderName);
  EXPECT_EQ(m.mem<u32>(mbi + 4), 640u);                     // mem_lower
  EXPECT_EQ(m.mem<u32>(mbi + 8), (16u << 10) - 1024);       // mem_upper: 16 MiB of RAM, KiB above 1 MiB
  EXPECT_EQ(m.cstr(m.mem<u32>(mbi + 16)), "/boot/kernel.elf console=com1");
  EXPECT_EQ(m.mem<u32>(mbi + 20), 0u);                      // mods_count
  EXPECT_EQ(m.cstr(m.mem<u32>(mbi + 64)), "ring1");
  EXPECT_LT(m.mem<u32>(mbi + 16), 0x100000u);               // everything below 1 MiB, as QEMU
}

TEST(MultibootLoader, TheMemoryMapIsWhatQemusBiosReports) {
  Loaded m;
  m.load_elf(kernel());
  ASSERT_TRUE(m.boot) << m.error;
  const u32 length = m.mem<u32>(0x9000 + 44);
  u32 at = m.mem<u32>(0x9000 + 48);
  ASSERT_EQ(length, 4u * 24);
  struct Entry {
    u64 base, len;
    u32 type;
  };
  const Entry want[] = {{0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xF0000, 0x10000, 2}, {0x100000, 15u << 20, 1}};
  for (const Entry& e : want) {
    EXPECT_EQ(m.mem<u32>(at), 20u);
    EXPECT_EQ(m.mem<u64>(at + 4), e.base);
    EXPECT_EQ(m.mem<u64>(at + 12), e.len);
    EXPECT_EQ(m.mem<u32>(at + 20), e.type);
    at += 24;
  }
}

TEST(MultibootLoader, FindsTheHeaderOnlyAlignedWithinTheFirst8KiBAndWithAValidChecksum) {
  std::vector<u8> image(12000, 0);
  auto put = [&](u32 at, u32 flags, u32 fix = 0) {
    std::fill(image.begin(), image.end(), 0);
    put_le(image, at, 0x1BADB002, 4);
    put_le(image, at + 4, flags, 4);
    put_le(image, at + 8, u32(-(0x1BADB002u + flags)) + fix, 4);
  };
  put(8180, 0);
  EXPECT_EQ(find_multiboot_header(image), 8180u);
  put(8192, 0);
  EXPECT_FALSE(find_multiboot_header(image));
  put(102, 0);
  EXPECT_FALSE(find_multiboot_header(image));  // not 32-bit aligned
  put(100, 3, 1);
  EXPECT_FALSE(find_multiboot_header(image));  // checksum off by one
}

TEST(MultibootLoader, RefusesBadKernelsWithOneLineSayingWhy) {
  auto refuse = [](ElfSpec s, const std::string& why) {
    Loaded m;
    m.load_elf(s);
    EXPECT_FALSE(m.boot);
    EXPECT_NE(m.error.find(why), std::string::npos) << m.error;
  };
  ElfSpec s = kernel();
  s.elf_class = 2;
  refuse(s, "64-bit");
  s = kernel();
  s.machine = 62;
  refuse(s, "ELF machine 62 is not i386");
  s = kernel();
  s.multiboot = false;
  refuse(s, "no multiboot header");
  s = kernel();
  s.segments[1].paddr = 0xFFFFF000;
  refuse(s, "lies outside RAM");
  s = kernel();
  s.segments[1].paddr = 0x101000;
  refuse(s, "segments at physical 0x100000 and 0x101000 overlap");
  s = kernel();
  s.segments[1].filesz_override = 0x100;
  refuse(s, "p_filesz 0x100 larger than p_memsz 0x2");
  s = kernel();
  s.segments[1].offset_override = 0x7FFFFFFF;
  refuse(s, "runs past the end of the file");
  s = kernel();
  s.multiboot_flags = 0x10000;
  refuse(s, "a.out kludge");
  s = kernel();
  s.multiboot_flags = 0x8;
  refuse(s, "requires features ring1 does not know");
}

TEST(MultibootLoader, ModulesArePageAlignedAfterTheKernelWithTheirStringsInTheModuleList) {
  Loaded m;
  std::vector<MultibootModule> mods{{std::vector<u8>(5000, 0xAB), "env.txt NR_CPUS=1"}, {{1, 2, 3}, "second"}};
  m.load_elf(kernel(), "kernel", mods);
  ASSERT_TRUE(m.boot) << m.error;
  const u32 mbi = m.r(EBX);
  EXPECT_EQ(mbi, 0x9000u) << "QEMU's place, free here";
  EXPECT_TRUE(m.mem<u32>(mbi) & (1u << 3)) << "mods fields valid";
  ASSERT_EQ(m.mem<u32>(mbi + 20), 2u) << "mods_count";
  const u32 list = m.mem<u32>(mbi + 24);
  // The kernel ends at 0x200002: the first module starts on the next page, the second on the page after
  // the first one's end; mod_end is exclusive.
  EXPECT_EQ(m.mem<u32>(list + 0), 0x201000u);
  EXPECT_EQ(m.mem<u32>(list + 4), 0x201000u + 5000);
  EXPECT_EQ(m.cstr(m.mem<u32>(list + 8)), "env.txt NR_CPUS=1");
  EXPECT_EQ(m.mem<u32>(list + 16), 0x203000u);
  EXPECT_EQ(m.mem<u32>(list + 20), 0x203003u);
  EXPECT_EQ(m.cstr(m.mem<u32>(list + 24)), "second");
  EXPECT_EQ(m.mem<u8>(0x201000 + 4999), 0xABu);
  EXPECT_EQ(m.mem<u8>(0x203002), 3u);
  EXPECT_EQ(m.cstr(m.mem<u32>(mbi + 16)), "kernel");
}

TEST(MultibootLoader, TheInformationMovesAfterTheKernelWhenASegmentCoversQemusPlace) {
  // A real-mode test image's layout: one segment over 0x8000-0xa84c.
  Loaded m;
  ElfSpec s;
  s.entry = 0x8000;
  s.segments.push_back({0x8000, {0xF4}, 0x284C});
  m.load_elf(s, "realmode.flat");
  ASSERT_TRUE(m.boot) << m.error;
  const u32 mbi = m.r(EBX);
  EXPECT_EQ(mbi, 0xB000u) << "the first page after the kernel";
  EXPECT_EQ(m.mem<u8>(0x9000), 0u) << "the kernel's BSS is untouched";
  EXPECT_EQ(m.cstr(m.mem<u32>(mbi + 16)), "realmode.flat");
  EXPECT_EQ(m.mem<u32>(mbi + 48), mbi + kMultibootMmapOffset);
  EXPECT_EQ(m.mem<u32>(m.mem<u32>(mbi + 48) + 4), 0u) << "the memory map starts at 0";
}

TEST(MultibootLoader, AModuleThatCannotFitInRamIsRefusedNamingItsRange) {
  Loaded m;
  std::vector<MultibootModule> mods{{std::vector<u8>(TestMachine::kRam, 0), "huge.bin"}};
  m.load_elf(kernel(), "kernel", mods);
  EXPECT_FALSE(m.boot);
  EXPECT_NE(m.error.find("module 'huge.bin'"), std::string::npos) << m.error;
  EXPECT_NE(m.error.find("0x201000..0x1201000 lies outside RAM"), std::string::npos) << m.error;
}

TEST(MultibootLoader, InformationWithNoRoomAnywhereIsRefusedNamingBothRanges) {
  // A kernel over 0x9000 whose end leaves no room before the end of RAM.
  Loaded m;
  ElfSpec s;
  s.entry = 0x100000;
  s.segments.push_back({0x8000, {0x90}, 0x2000});
  s.segments.push_back({0x100000, {0xF4}, TestMachine::kRam - 0x100000});
  m.load_elf(s);
  EXPECT_FALSE(m.boot);
  EXPECT_NE(m.error.find("overlaps the kernel segment 0x8000..0xa000"), std::string::npos) << m.error;
}

TEST(MultibootLoader, InitrdListsSplitOnCommasWithDoubledCommasLiteral) {
  EXPECT_EQ(split_initrd_list("a.bin x=1,b.bin"), (std::vector<std::string>{"a.bin x=1", "b.bin"}));
  EXPECT_EQ(split_initrd_list("a.bin list=1,,2"), (std::vector<std::string>{"a.bin list=1,2"}));
}

}  // namespace
}  // namespace ring1::test
