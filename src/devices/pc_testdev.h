// QEMU's pc-testdev (hw/misc/pc-testdev.c, `-device pc-testdev`), which kvm-unit-tests' runner adds to every
// x86 test: a 32-bit scratch register at ports 0xE0-0xE3 (and, byte-wise, 0xE8-0xEB) for string I/O tests,
// a "flush page" port at 0xE4, 24 ports from 0x2000 that set ISA interrupt lines, and 64 KiB of memory-mapped
// scratch RAM at 0xFF000000 for MMIO emulation tests. `--pc-testdev` attaches it. Port 0xE9 stays ring1's
// debug console (QEMU's runner gives no -debugcon, so the two never meet there): a byte access at 0xE9 goes
// to the console, while a wider access at 0xE8 reaches the register whole.
#pragma once
#include <vector>

#include "devices/streams.h"
#include "mmu/mmu.h"
#include "mmu/port_bus.h"

namespace ring1 {

class PcTestdev {
 public:
  static constexpr u32 kIomemBase = 0xFF000000, kIomemSize = 0x10000;
  static constexpr u16 kIrqPorts = 0x2000;
  static constexpr u32 kIrqLines = 24;

  // `irq(line, level)` sets ISA interrupt line `line` (0-23).
  PcTestdev(void (*irq)(void* ctx, u8 line, bool level), void* ctx) : irq_(irq), irq_ctx_(ctx), iomem_(kIomemSize, 0) {}

  bool attach(PortBus& bus, Mmu& mmu);
  void detach(PortBus& bus, Mmu& mmu);

 private:
  static u32 data_read(void* ctx, u16 port, u8 size);
  static void data_write(void* ctx, u16 port, u8 size, u32 value);
  // QEMU's flush port drops the host mapping of a guest page to test that KVM notices; ring1 keeps no host
  // mapping a guest could see go stale, so a write there has nothing to do.
  static void flush_write(void*, u16, u8, u32) {}
  static void irq_write(void* ctx, u16 port, u8 size, u32 value);
  static u32 iomem_read(void* ctx, u32 offset, u32 size);
  static void iomem_write(void* ctx, u32 offset, u32 size, u32 value);

  void (*irq_)(void* ctx, u8 line, bool level);
  void* irq_ctx_;
  u32 data_ = 0;
  std::vector<u8> iomem_;
};

}  // namespace ring1
