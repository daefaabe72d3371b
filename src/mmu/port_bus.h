// The I/O address space: 64 Ki 8-bit ports (SDM vol. 1, 19.3), reached by IN/OUT/INS/OUTS, as a dispatcher
// from port ranges to devices. A device is a struct of plain function pointers and a context pointer, so a
// port access is one table lookup and one indirect call (no virtual calls, no allocation). The bus also
// counts reads and writes per port, which the run report lists.
#pragma once
#include <memory>
#include <vector>

#include "common/types.h"

namespace ring1 {

// A device's port handler. `size` is the access width in bytes (1, 2 or 4); `port` is the first port of the
// access. A read returns the value in the low `size` bytes (higher bits are masked off by the bus).
struct PortHandler {
  u32 (*read)(void* ctx, u16 port, u8 size) = nullptr;
  void (*write)(void* ctx, u16 port, u8 size, u32 value) = nullptr;
  void* ctx = nullptr;
};

// One port the guest touched, with how often (the first port of each access is counted).
struct PortCount {
  u16 port = 0;
  u64 reads = 0;
  u64 writes = 0;
};

class PortBus {
 public:
  static constexpr u32 kPorts = 0x10000;

  PortBus();
  PortBus(const PortBus&) = delete;
  PortBus& operator=(const PortBus&) = delete;

  // Claims ports [first, first + count) for `h`. Returns false, claiming nothing, if the range is empty,
  // runs past port 0xFFFF, or overlaps a range already claimed: two devices on one port is a wiring bug.
  // A handler whose read (write) pointer is null behaves like an unclaimed port for reads (writes).
  bool attach(u16 first, u32 count, const PortHandler& h);
  // Releases ports [first, first + count) (whoever held them); they read as all ones again.
  void detach(u16 first, u32 count);
  bool claimed(u16 port) const { return owner_[port] != kNone; }

  // An access of `size` bytes (1, 2 or 4) at `port` goes, whole, to the handler of `port`, even when the
  // ports after it belong to another device or to none: ring1 does not split wide accesses into byte
  // accesses (a PC chipset would, per byte lane; no device ring1 models needs that). An unclaimed port reads
  // as all ones (0xFF, 0xFFFF, 0xFFFFFFFF) and drops writes, as an unassigned ISA bus does and QEMU's PC
  // machine models.
  u32 read(u16 port, u8 size) {
    ++reads_[port];
    const u32 mask = size_mask(size);
    const u16 o = owner_[port];
    if (o == kNone) return mask;
    const PortHandler& h = handlers_[o];
    return h.read ? h.read(h.ctx, port, size) & mask : mask;
  }
  void write(u16 port, u8 size, u32 value) {
    ++writes_[port];
    const u16 o = owner_[port];
    if (o == kNone) return;
    const PortHandler& h = handlers_[o];
    if (h.write) h.write(h.ctx, port, size, value & size_mask(size));
  }

  // ---- counters (the report) ----
  u64 reads(u16 port) const { return reads_[port]; }
  u64 writes(u16 port) const { return writes_[port]; }
  // Every port read or written at least once, in ascending port order.
  std::vector<PortCount> touched() const;
  void reset_counters();

 private:
  static constexpr u16 kNone = 0xFFFF;
  static u32 size_mask(u8 size) { return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; }

  std::unique_ptr<u16[]> owner_;  // per port: index into handlers_, or kNone
  std::vector<PortHandler> handlers_;
  std::unique_ptr<u64[]> reads_, writes_;
};

}  // namespace ring1
