// multiboot.h: the part of the multiboot v1 information structure the kit reads (multiboot spec v0.6.96, 3.3
// "Boot information format"). Only fields whose flag bit is set are valid.
#pragma once
#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

enum {
  MULTIBOOT_INFO_MEMORY = 1 << 0,   // mem_lower and mem_upper are valid
  MULTIBOOT_INFO_CMDLINE = 1 << 2,  // cmdline is valid
  MULTIBOOT_INFO_MMAP = 1 << 6,     // mmap_length and mmap_addr are valid
};

struct multiboot_info {
  uint32_t flags;
  uint32_t mem_lower;  // KiB of RAM from 0
  uint32_t mem_upper;  // KiB of RAM from 1 MiB up to the first hole
  uint32_t boot_device;
  uint32_t cmdline;    // physical address of a NUL-terminated string
  uint32_t mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr;
};

// One memory-map entry; size counts the bytes after itself, so the next entry is at (char *)e + e->size + 4.
struct multiboot_mmap_entry {
  uint32_t size;
  uint64_t addr, len;
  uint32_t type;  // 1: available RAM
} __attribute__((packed));
