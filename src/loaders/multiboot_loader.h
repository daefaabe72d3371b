// The multiboot v1 loader: what `qemu-system-i386 -kernel` does with an ELF multiboot kernel (Multiboot
// Specification 0.6.96, sections 3.1-3.3; QEMU's hw/i386/multiboot.c). It finds the multiboot header, loads
// the PT_LOAD segments at their physical addresses, writes the multiboot information structure, memory map,
// command line and boot loader name below 1 MiB, and puts the CPU in the state section 3.2 specifies.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "mmu/physical_memory.h"

namespace ring1 {

// Where the loader puts its structures: QEMU writes the information structure at 0x9000 (its
// MULTIBOOT_STRUCT_ADDR), and so does ring1 when no kernel segment or module lies there; the memory map, the
// boot loader name, the module list, the command line and the module strings follow it in one area (at
// these offsets from its start). When a kernel occupies 0x9000 the area goes to the first page after the
// kernel and its modules instead, as QEMU keeps its information buffer clear of the kernel.
inline constexpr u32 kMultibootInfoAddr = 0x9000;
inline constexpr u32 kMultibootMmapOffset = 0x100;
inline constexpr u32 kMultibootLoaderNameOffset = 0x200;
inline constexpr u32 kMultibootModsOffset = 0x300;  // the module list, then the command line and module strings
inline constexpr u32 kMultibootMagicEax = 0x2BADB002;

// Multiboot information flags (spec 3.3).
namespace mbi {
inline constexpr u32 Memory = 1u << 0, Cmdline = 1u << 2, Mods = 1u << 3, Mmap = 1u << 6, LoaderName = 1u << 9;
}

// A module as QEMU's `-initrd "FILE ARGS,..."` gives it: the file's bytes and its string ("FILE ARGS").
struct MultibootModule {
  std::vector<u8> data;
  std::string string;
};

// A module's place (tests, reports).
struct MultibootModulePlace {
  u32 start = 0, end = 0;  // [start, end): page-aligned start, end exclusive (as QEMU and GRUB give mod_end)
};

struct MultibootBoot {
  u32 entry = 0;
  u32 info_addr = kMultibootInfoAddr;
  std::vector<MultibootModulePlace> modules;
  u32 header_offset = 0;   // where the multiboot header was found in the file
  u32 header_flags = 0;
};

// Loads `image` (the bytes of an ELF multiboot kernel) into `ram` and sets `cpu` to the multiboot entry
// state. `cmdline` is the string the kernel receives, already composed by the caller (QEMU passes
// "KERNEL-FILE ARGS"). `modules` are loaded page-aligned after the kernel's highest segment, in order. On
// bad input nothing useful is loaded: returns nullopt and sets `error` to one line saying what is wrong.
std::optional<MultibootBoot> load_multiboot(PhysicalMemory& ram, Cpu& cpu, std::span<const u8> image,
                                            const std::string& cmdline, std::string& error,
                                            std::span<const MultibootModule> modules = {});

// Splits QEMU's -initrd list: modules separated by ',', a literal comma written ',,'; each "FILE ARGS" is
// the module's string, FILE (up to the first space) the file to read.
std::vector<std::string> split_initrd_list(const std::string& list);

// The search of spec 3.1: the 32-bit-aligned magic 0x1BADB002 in the first 8192 bytes, whose checksum makes
// magic + flags + checksum zero. Returns its offset.
std::optional<u32> find_multiboot_header(std::span<const u8> image);

}  // namespace ring1
