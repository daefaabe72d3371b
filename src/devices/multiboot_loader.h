// The multiboot v1 loader: what `qemu-system-i386 -kernel` does with an ELF multiboot kernel (Multiboot
// Specification 0.6.96, sections 3.1-3.3; QEMU's hw/i386/multiboot.c). It finds the multiboot header, loads
// the PT_LOAD segments at their physical addresses, writes the multiboot information structure, memory map,
// command line and boot loader name below 1 MiB, and puts the CPU in the state section 3.2 specifies.
#pragma once
#include <optional>
#include <span>
#include <string>

#include "cpu/cpu.h"
#include "mmu/physical_memory.h"

namespace ring1 {

// Where the loader puts its structures. QEMU writes the information structure at 0x9000 (its
// MULTIBOOT_STRUCT_ADDR); ring1 does too, with the memory map, the command line and the boot loader name after
// it in the same conventional-memory area (QEMU puts the strings after the kernel instead).
inline constexpr u32 kMultibootInfoAddr = 0x9000;
inline constexpr u32 kMultibootMmapAddr = 0x9100;
inline constexpr u32 kMultibootLoaderNameAddr = 0x9200;
inline constexpr u32 kMultibootCmdlineAddr = 0x9300;
inline constexpr u32 kMultibootAreaEnd = 0x9F000;  // the command line may use up to here
inline constexpr u32 kMultibootMagicEax = 0x2BADB002;

// Multiboot information flags (spec 3.3).
namespace mbi {
inline constexpr u32 Memory = 1u << 0, Cmdline = 1u << 2, Mods = 1u << 3, Mmap = 1u << 6, LoaderName = 1u << 9;
}

struct MultibootBoot {
  u32 entry = 0;
  u32 info_addr = kMultibootInfoAddr;
  u32 header_offset = 0;   // where the multiboot header was found in the file
  u32 header_flags = 0;
};

// Loads `image` (the bytes of an ELF multiboot kernel) into `ram` and sets `cpu` to the multiboot entry
// state. `cmdline` is the string the kernel receives, already composed by the caller (QEMU passes
// "KERNEL-FILE ARGS"). On bad input nothing useful is loaded: returns nullopt and sets `error` to one line
// saying what is wrong.
std::optional<MultibootBoot> load_multiboot(PhysicalMemory& ram, Cpu& cpu, std::span<const u8> image,
                                            const std::string& cmdline, std::string& error);

// The search of spec 3.1: the 32-bit-aligned magic 0x1BADB002 in the first 8192 bytes, whose checksum makes
// magic + flags + checksum zero. Returns its offset.
std::optional<u32> find_multiboot_header(std::span<const u8> image);

}  // namespace ring1
