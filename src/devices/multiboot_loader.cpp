#include "devices/multiboot_loader.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "devices/elf32.h"

namespace ring1 {

namespace {
constexpr u32 kHeaderMagic = 0x1BADB002;
constexpr u32 kSearchBytes = 8192;
// Header flags (spec 3.1.2): bits 0-15 are requirements a loader must honour or refuse the kernel.
constexpr u32 kFlagPageAlignModules = 1u << 0, kFlagMemoryInfo = 1u << 1, kFlagVideoMode = 1u << 2;
constexpr u32 kFlagAoutKludge = 1u << 16;
constexpr u32 kKnownRequired = kFlagPageAlignModules | kFlagMemoryInfo | kFlagVideoMode;

u32 le32(std::span<const u8> b, u32 at) {
  return u32(b[at]) | (u32(b[at + 1]) << 8) | (u32(b[at + 2]) << 16) | (u32(b[at + 3]) << 24);
}

void put32(PhysicalMemory& ram, u32 at, u32 v) { ram.write_bytes(at, &v, 4); }
void put64(PhysicalMemory& ram, u32 at, u64 v) { ram.write_bytes(at, &v, 8); }
}  // namespace

std::optional<u32> find_multiboot_header(std::span<const u8> image) {
  const u32 end = u32(std::min<size_t>(image.size(), kSearchBytes));
  for (u32 at = 0; at + 12 <= end; at += 4) {
    if (le32(image, at) != kHeaderMagic) continue;
    if (u32(kHeaderMagic + le32(image, at + 4) + le32(image, at + 8)) == 0) return at;
  }
  return std::nullopt;
}

std::optional<MultibootBoot> load_multiboot(PhysicalMemory& ram, Cpu& cpu, std::span<const u8> image,
                                            const std::string& cmdline, std::string& error) {
  auto fail = [&](std::string msg) -> std::optional<MultibootBoot> {
    error = std::move(msg);
    return std::nullopt;
  };
  std::string elf_error;
  auto elf = parse_elf32(image, elf_error);
  if (!elf) return fail(elf_error);
  auto header = find_multiboot_header(image);
  if (!header) return fail("no multiboot header (magic 0x1BADB002 with a valid checksum) in the first 8192 bytes");
  const u32 flags = le32(image, *header + 4);
  if (flags & kFlagAoutKludge)
    return fail("the multiboot header asks for the a.out kludge (flag bit 16); ring1 loads ELF kernels by their "
                "program headers only");
  if (flags & 0xFFFF & ~kKnownRequired)
    return fail(fmt::format("the multiboot header requires features ring1 does not know (flags {:#x})", flags));

  // Placement: every segment inside RAM, clear of the loader's own area, and no two overlapping.
  const u64 ram_size = ram.size();
  std::vector<Elf32Segment> segs;
  for (const Elf32Segment& s : elf->loads)
    if (s.memsz) segs.push_back(s);
  std::sort(segs.begin(), segs.end(), [](auto& a, auto& b) { return a.paddr < b.paddr; });
  for (size_t k = 0; k < segs.size(); ++k) {
    const Elf32Segment& s = segs[k];
    const u64 end = u64(s.paddr) + s.memsz;
    if (end > ram_size)
      return fail(fmt::format("segment at physical {:#x}..{:#x} lies outside RAM ({} MiB)", s.paddr, end,
                              ram_size >> 20));
    if (s.paddr < kMultibootAreaEnd && end > kMultibootInfoAddr)
      return fail(fmt::format("segment at physical {:#x}..{:#x} overlaps the multiboot information area "
                              "{:#x}..{:#x}", s.paddr, end, kMultibootInfoAddr, kMultibootAreaEnd));
    if (k > 0 && u64(segs[k - 1].paddr) + segs[k - 1].memsz > s.paddr)
      return fail(fmt::format("segments at physical {:#x} and {:#x} overlap", segs[k - 1].paddr, s.paddr));
  }
  if (kMultibootCmdlineAddr + cmdline.size() + 1 > kMultibootAreaEnd)
    return fail(fmt::format("command line too long ({} bytes)", cmdline.size()));
  if (u64(kMultibootAreaEnd) > ram_size) return fail("RAM too small for the multiboot information");

  for (const Elf32Segment& s : segs) {
    if (s.filesz) ram.write_bytes(s.paddr, image.data() + s.offset, s.filesz);
    if (s.memsz > s.filesz) {
      std::vector<u8> zeros(s.memsz - s.filesz, 0);
      ram.write_bytes(s.paddr + s.filesz, zeros.data(), u32(zeros.size()));
    }
  }

  // The memory map as QEMU's BIOS (SeaBIOS) reports it through INT 15h E820 for a PC with this much RAM:
  // conventional memory less the 1 KiB EBDA, the EBDA, the BIOS area, and everything above 1 MiB.
  struct Range {
    u64 base, length;
    u32 type;  // 1 available, 2 reserved
  };
  const Range map[] = {{0, 0x9FC00, 1},
                       {0x9FC00, 0x400, 2},
                       {0xF0000, 0x10000, 2},
                       {0x100000, ram_size > 0x100000 ? ram_size - 0x100000 : 0, 1}};
  u32 at = kMultibootMmapAddr;
  for (const Range& r : map) {
    put32(ram, at, 20);  // size of the entry, not counting this field (spec 3.3)
    put64(ram, at + 4, r.base);
    put64(ram, at + 12, r.length);
    put32(ram, at + 20, r.type);
    at += 24;
  }
  const u32 mmap_length = at - kMultibootMmapAddr;
  static constexpr char kLoaderName[] = "ring1";
  ram.write_bytes(kMultibootLoaderNameAddr, kLoaderName, sizeof kLoaderName);
  ram.write_bytes(kMultibootCmdlineAddr, cmdline.c_str(), u32(cmdline.size() + 1));

  // The information structure (spec 3.3): 88 bytes; fields whose flag is clear are zero.
  std::vector<u8> zeros(88, 0);
  ram.write_bytes(kMultibootInfoAddr, zeros.data(), 88);
  const u64 upper_kib = ram_size > 0x100000 ? (ram_size - 0x100000) >> 10 : 0;
  put32(ram, kMultibootInfoAddr + 0, mbi::Memory | mbi::Cmdline | mbi::Mods | mbi::Mmap | mbi::LoaderName);
  put32(ram, kMultibootInfoAddr + 4, 640);              // mem_lower, KiB
  put32(ram, kMultibootInfoAddr + 8, u32(upper_kib));   // mem_upper, KiB from 1 MiB
  put32(ram, kMultibootInfoAddr + 16, kMultibootCmdlineAddr);
  put32(ram, kMultibootInfoAddr + 20, 0);               // mods_count
  put32(ram, kMultibootInfoAddr + 24, kMultibootInfoAddr + 88);  // mods_addr: an empty list
  put32(ram, kMultibootInfoAddr + 44, mmap_length);
  put32(ram, kMultibootInfoAddr + 48, kMultibootMmapAddr);
  put32(ram, kMultibootInfoAddr + 64, kMultibootLoaderNameAddr);

  // Machine state (spec 3.2): flat 32-bit segments, CR0.PE = 1 and PG = 0, IF = 0 (and VM = 0), EAX the
  // magic, EBX the information structure. ESP is the kernel's to set; ring1 leaves it at the top of RAM.
  cpu.reset_flat32();
  cpu.eflags = eflags::Reserved1;
  cpu.gpr[EAX] = kMultibootMagicEax;
  cpu.gpr[EBX] = kMultibootInfoAddr;
  cpu.gpr[ESP] = u32(std::min<u64>(ram_size, 0xFFFFFFF0u) & ~u64(15));
  cpu.eip = cpu.next_eip = elf->entry;
  return MultibootBoot{elf->entry, kMultibootInfoAddr, *header, flags};
}

}  // namespace ring1
