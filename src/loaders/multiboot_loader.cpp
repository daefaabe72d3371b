#include "loaders/multiboot_loader.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "loaders/elf32.h"

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

std::vector<std::string> split_initrd_list(const std::string& list) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i] == ',') {
      if (i + 1 < list.size() && list[i + 1] == ',') {
        cur += ',';
        ++i;
        continue;
      }
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += list[i];
  }
  out.push_back(cur);
  return out;
}

namespace {
struct Span {
  u64 start, end;  // [start, end)
  std::string what;
};

constexpr u64 page_up(u64 a) { return (a + 0xFFF) & ~u64(0xFFF); }

// RAM a loader may use, as the memory map gives it: conventional memory below the EBDA, and RAM from 1 MiB.
bool in_available_ram(u64 start, u64 end, u64 ram_size) {
  return (end <= 0x9FC00) || (start >= 0x100000 && end <= ram_size);
}

const Span* overlapping(const std::vector<Span>& taken, u64 start, u64 end) {
  for (const Span& t : taken)
    if (start < t.end && t.start < end) return &t;
  return nullptr;
}
}  // namespace

std::optional<MultibootBoot> load_multiboot(PhysicalMemory& ram, Cpu& cpu, std::span<const u8> image,
                                            const std::string& cmdline, std::string& error,
                                            std::span<const MultibootModule> modules) {
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

  // Placement: every segment inside RAM and no two overlapping.
  const u64 ram_size = ram.size();
  std::vector<Elf32Segment> segs;
  for (const Elf32Segment& s : elf->loads)
    if (s.memsz) segs.push_back(s);
  std::sort(segs.begin(), segs.end(), [](auto& a, auto& b) { return a.paddr < b.paddr; });
  std::vector<Span> taken;
  u64 kernel_end = 0;
  for (size_t k = 0; k < segs.size(); ++k) {
    const Elf32Segment& s = segs[k];
    const u64 end = u64(s.paddr) + s.memsz;
    if (end > ram_size)
      return fail(fmt::format("segment at physical {:#x}..{:#x} lies outside RAM ({} MiB)", s.paddr, end,
                              ram_size >> 20));
    if (k > 0 && u64(segs[k - 1].paddr) + segs[k - 1].memsz > s.paddr)
      return fail(fmt::format("segments at physical {:#x} and {:#x} overlap", segs[k - 1].paddr, s.paddr));
    taken.push_back({s.paddr, end, fmt::format("kernel segment {:#x}..{:#x}", s.paddr, end)});
    kernel_end = std::max(kernel_end, end);
  }

  // Modules, page-aligned one after the other from the first page after the kernel (spec 3.3 lets a
  // loader put them anywhere; QEMU's -initrd does this, and flag 0 asks for the page alignment).
  MultibootBoot boot;
  u64 at = page_up(kernel_end);
  if (at < 0x100000 && !modules.empty()) at = std::max<u64>(at, 0x100000);  // never into the 640K-1M hole
  for (const MultibootModule& m : modules) {
    const u64 end = at + m.data.size();
    if (end > ram_size)
      return fail(fmt::format("module '{}' ({} bytes) at physical {:#x}..{:#x} lies outside RAM ({} MiB)",
                              m.string, m.data.size(), at, end, ram_size >> 20));
    if (const Span* t = overlapping(taken, at, end))
      return fail(fmt::format("module '{}' at physical {:#x}..{:#x} overlaps the {}", m.string, at, end, t->what));
    boot.modules.push_back({u32(at), u32(end)});
    taken.push_back({at, end, fmt::format("module '{}' {:#x}..{:#x}", m.string, at, end)});
    at = page_up(std::max(end, at + 1));
  }
  const u64 modules_end = at;

  // The information area: QEMU's 0x9000 when it is free, else the first page after the kernel and modules.
  u64 area_size = kMultibootModsOffset + 16 * modules.size() + cmdline.size() + 1;
  for (const MultibootModule& m : modules) area_size += m.string.size() + 1;
  u64 base = kMultibootInfoAddr;
  const Span* clash = overlapping(taken, base, base + area_size);
  if (clash || !in_available_ram(base, base + area_size, ram_size)) {
    u64 alt = page_up(std::max<u64>(modules_end, kernel_end));
    if (alt >= 0x9FC00 && alt < 0x100000) alt = 0x100000;
    if (!in_available_ram(alt, alt + area_size, ram_size) || overlapping(taken, alt, alt + area_size)) {
      if (clash)
        return fail(fmt::format("the multiboot information ({:#x}..{:#x}) overlaps the {}, and there is no room "
                                "for it after the kernel ({:#x}..{:#x} is past the end of RAM)",
                                base, base + area_size, clash->what, alt, alt + area_size));
      return fail(fmt::format("RAM too small for the multiboot information ({} bytes)", area_size));
    }
    base = alt;
  }
  const u32 info = u32(base);
  const u32 mmap_addr = info + kMultibootMmapOffset, name_addr = info + kMultibootLoaderNameOffset;
  const u32 mods_addr = info + kMultibootModsOffset;
  const u32 cmdline_addr = mods_addr + u32(16 * modules.size());

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
  u32 entry_at = mmap_addr;
  for (const Range& r : map) {
    put32(ram, entry_at, 20);  // size of the entry, not counting this field (spec 3.3)
    put64(ram, entry_at + 4, r.base);
    put64(ram, entry_at + 12, r.length);
    put32(ram, entry_at + 20, r.type);
    entry_at += 24;
  }
  const u32 mmap_length = entry_at - mmap_addr;
  static constexpr char kLoaderName[] = "ring1";
  ram.write_bytes(name_addr, kLoaderName, sizeof kLoaderName);
  ram.write_bytes(cmdline_addr, cmdline.c_str(), u32(cmdline.size() + 1));

  // Modules (spec 3.3): the bytes at their place, and per module mod_start, mod_end, string, reserved.
  u32 string_at = cmdline_addr + u32(cmdline.size() + 1);
  for (size_t i = 0; i < modules.size(); ++i) {
    const MultibootModule& m = modules[i];
    if (!m.data.empty()) ram.write_bytes(boot.modules[i].start, m.data.data(), u32(m.data.size()));
    ram.write_bytes(string_at, m.string.c_str(), u32(m.string.size() + 1));
    const u32 entry = mods_addr + u32(16 * i);
    put32(ram, entry + 0, boot.modules[i].start);
    put32(ram, entry + 4, boot.modules[i].end);
    put32(ram, entry + 8, string_at);
    put32(ram, entry + 12, 0);
    string_at += u32(m.string.size() + 1);
  }

  // The information structure (spec 3.3): 88 bytes; fields whose flag is clear are zero.
  std::vector<u8> zeros(88, 0);
  ram.write_bytes(info, zeros.data(), 88);
  const u64 upper_kib = ram_size > 0x100000 ? (ram_size - 0x100000) >> 10 : 0;
  put32(ram, info + 0, mbi::Memory | mbi::Cmdline | mbi::Mods | mbi::Mmap | mbi::LoaderName);
  put32(ram, info + 4, 640);              // mem_lower, KiB
  put32(ram, info + 8, u32(upper_kib));   // mem_upper, KiB from 1 MiB
  put32(ram, info + 16, cmdline_addr);
  put32(ram, info + 20, u32(modules.size()));  // mods_count
  put32(ram, info + 24, mods_addr);            // mods_addr (an empty list when there are none)
  put32(ram, info + 44, mmap_length);
  put32(ram, info + 48, mmap_addr);
  put32(ram, info + 64, name_addr);

  // Machine state (spec 3.2): flat 32-bit segments, CR0.PE = 1 and PG = 0, IF = 0 (and VM = 0), EAX the
  // magic, EBX the information structure. ESP is the kernel's to set; ring1 leaves it at the top of RAM.
  cpu.reset_flat32();
  cpu.eflags = eflags::Reserved1;
  cpu.gpr[EAX] = kMultibootMagicEax;
  cpu.gpr[EBX] = info;
  cpu.gpr[ESP] = u32(std::min<u64>(ram_size, 0xFFFFFFF0u) & ~u64(15));
  cpu.eip = cpu.next_eip = elf->entry;
  boot.entry = elf->entry;
  boot.info_addr = info;
  boot.header_offset = *header;
  boot.header_flags = flags;
  return boot;
}

}  // namespace ring1
