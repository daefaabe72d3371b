// QEMU's isa-debug-exit device (hw/misc/debugexit.c), as test kernels use it with
// `-device isa-debug-exit,iobase=0xf4,iosize=0x04`: a write of any width ends the emulator with exit status
// (value << 1) | 1, the value masked to the width written. The status is always odd, so a guest's verdict
// never collides with ring1's own (even) statuses. Reads are not decoded (all ones, as an unclaimed port).
#pragma once
#include <optional>

#include "cpu/cpu_pins.h"
#include "mmu/port_bus.h"

namespace ring1 {

class DebugExit {
 public:
  static constexpr u16 kPort = 0xF4;
  static constexpr u32 kPorts = 4;  // iosize=0x04: 8-, 16- and 32-bit writes all land here

  explicit DebugExit(CpuPins& cpu) : cpu_(cpu) {}
  // QEMU's `iobase` and `iosize` properties: the ports the device decodes. ring1's default is what test
  // kernels pass (iobase=0xf4,iosize=0x04); QEMU's own property defaults are 0x501 and 2.
  bool attach(PortBus& bus, u16 port = kPort, u32 count = kPorts) {
    return bus.attach(port, count, {nullptr, &port_write, this});
  }

  // The status the guest asked for, once it wrote one: (value << 1) | 1. QEMU passes it to exit(), so the
  // process status a shell sees is its low 8 bits.
  std::optional<u64> status() const { return status_; }

 private:
  static void port_write(void* ctx, u16, u8, u32 value) {
    auto* d = static_cast<DebugExit*>(ctx);
    d->status_ = (u64(value) << 1) | 1;  // the bus already masked value to the access width
    d->cpu_.request_stop(StopReason::Requested);
  }

  CpuPins& cpu_;
  std::optional<u64> status_;
};

}  // namespace ring1
