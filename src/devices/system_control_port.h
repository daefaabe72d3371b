// System control port A (port 0x92, the PS/2 "fast reset and A20" port that QEMU's PC has on isapc and pc
// alike): bit 1 gates address line 20, bit 0 resets the processor on a 0-to-1 write. ring1's address bus
// never masks A20 and it has no firmware to restart a loaded kernel after a reset, so a guest that asks for
// either stops the run with "not modelled" naming the port, instead of having its request ignored.
#pragma once
#include <fmt/format.h>

#include "cpu/cpu_pins.h"
#include "mmu/port_bus.h"

namespace ring1 {

class SystemControlPort {
 public:
  static constexpr u16 kPort = 0x92;
  static constexpr u8 kReset = 1u << 0, kA20 = 1u << 1;

  explicit SystemControlPort(CpuPins& cpu) : cpu_(cpu) {}
  bool attach(PortBus& bus) { return bus.attach(kPort, 1, {&port_read, &port_write, this}); }

 private:
  // Reads: A20 enabled (bit 1), as firmware leaves it; bit 0 reads back as written.
  static u32 port_read(void* ctx, u16, u8) { return static_cast<SystemControlPort*>(ctx)->value_; }
  static void port_write(void* ctx, u16, u8, u32 value) {
    auto* p = static_cast<SystemControlPort*>(ctx);
    const u8 v = u8(value);
    if (!(v & kA20)) {
      p->cpu_.not_modelled(fmt::format("masking address line 20 through port 0x92 (written {:#04x})", v));
      return;
    }
    if ((v & kReset) && !(p->value_ & kReset)) {
      p->cpu_.not_modelled(fmt::format(
          "a processor reset through port 0x92 (written {:#04x}): ring1 has no firmware to restart at the reset "
          "vector",
          v));
      return;
    }
    p->value_ = v & (kReset | kA20);
  }

  CpuPins& cpu_;
  u8 value_ = kA20;
};

}  // namespace ring1
