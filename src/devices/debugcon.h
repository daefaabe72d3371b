// Bochs's and QEMU's debug console port (QEMU's `-debugcon`, hw/char/debugcon.c): a byte written to port
// 0xE9 goes straight to the console, with no UART to program; a read returns 0xE9 so a guest can tell the
// port is there. The cheapest way for a test kernel to print, and the same on ring1 and QEMU.
#pragma once
#include "devices/streams.h"
#include "mmu/port_bus.h"

namespace ring1 {

class DebugCon {
 public:
  static constexpr u16 kPort = 0xE9;

  explicit DebugCon(ByteSink out) : out_(out) {}
  bool attach(PortBus& bus, u16 port = kPort) { return bus.attach(port, 1, {&port_read, &port_write, this}); }

 private:
  // QEMU's readback value is the port number's low byte (0xE9), whatever the access width asks for.
  static u32 port_read(void*, u16, u8) { return kPort; }
  // A wider write sends its low byte, as QEMU's 1-byte-wide region does with the first byte lane.
  static void port_write(void* ctx, u16, u8, u32 value) { static_cast<DebugCon*>(ctx)->out_(u8(value)); }

  ByteSink out_;
};

}  // namespace ring1
