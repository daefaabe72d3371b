#include "devices/pc_testdev.h"

#include <cstring>

namespace ring1 {

bool PcTestdev::attach(PortBus& bus, Mmu& mmu) {
  return bus.attach(0xE0, 4, {&data_read, &data_write, this}) && bus.attach(0xE4, 4, {nullptr, &flush_write, this}) &&
         bus.attach(0xE8, 1, {&data_read, &data_write, this}) && bus.attach(0xEA, 2, {&data_read, &data_write, this}) &&
         bus.attach(kIrqPorts, kIrqLines, {nullptr, &irq_write, this}) &&
         mmu.map_mmio({kIomemBase, kIomemSize, &iomem_read, &iomem_write, this, nullptr});
}

void PcTestdev::detach(PortBus& bus, Mmu& mmu) {
  bus.detach(0xE0, 9);  // 0xE9 stays the debug console's
  bus.detach(0xEA, 2);
  bus.detach(kIrqPorts, kIrqLines);
  mmu.unmap_mmio(kIomemBase);
}

// The scratch register's byte lanes follow the port's low two bits, as in QEMU's test_ioport_read/write.
u32 PcTestdev::data_read(void* ctx, u16 port, u8 size) {
  const u32 shift = (port & 3) * 8;
  const u64 mask = ((u64(1) << (8 * size)) - 1) << shift;
  return u32((static_cast<PcTestdev*>(ctx)->data_ & mask) >> shift);
}

void PcTestdev::data_write(void* ctx, u16 port, u8 size, u32 value) {
  auto* d = static_cast<PcTestdev*>(ctx);
  const u32 shift = (port & 3) * 8;
  const u64 mask = ((u64(1) << (8 * size)) - 1) << shift;
  d->data_ = u32((d->data_ & ~mask) | ((u64(value) << shift) & mask));
}

// One byte-wide port per line: a nonzero value raises it, zero lowers it.
void PcTestdev::irq_write(void* ctx, u16 port, u8 size, u32 value) {
  auto* d = static_cast<PcTestdev*>(ctx);
  if (size != 1) return;  // QEMU accepts byte accesses only
  d->irq_(d->irq_ctx_, u8(port - kIrqPorts), value != 0);
}

u32 PcTestdev::iomem_read(void* ctx, u32 offset, u32 size) {
  u32 v = 0;
  std::memcpy(&v, static_cast<PcTestdev*>(ctx)->iomem_.data() + offset, size);
  return v;
}

void PcTestdev::iomem_write(void* ctx, u32 offset, u32 size, u32 value) {
  std::memcpy(static_cast<PcTestdev*>(ctx)->iomem_.data() + offset, &value, size);
}

}  // namespace ring1
