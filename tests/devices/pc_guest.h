// Test support for the device tests: a SystemGuest (GDT, TSS, IDT) with the PC platform on its CPU and port
// bus, the console kept in a string and COM1's input read from one, and helpers that program the PICs and
// the PIT through their ports as a kernel would.
#pragma once
#include <string>
#include <vector>

#include "devices/pc_platform.h"
#include "support/system_guest.h"

namespace ring1::test {

struct PcGuest : SystemGuest {
  std::string input;
  size_t input_at = 0;
  std::vector<Cycles> ticks;  // when the PIT's events fired
  PcPlatform pc{cpu, mmu, ports, kRam, options()};

  PcOptions options() {
    PcOptions o;
    o.serial_input = [this]() -> int { return input_at < input.size() ? u8(input[input_at++]) : -1; };
    return o;
  }
  void out(u16 port, u8 v) { ports.write(port, 1, v); }
  u8 in(u16 port) { return u8(ports.read(port, 1)); }
  // ICW1-ICW4 for both chips, as Linux and every hobby kernel do: vectors 0x20 and 0x28, cascade on IR2,
  // 8086 mode; then the masks.
  void init_pics(u8 master_mask, u8 slave_mask, bool auto_eoi = false) {
    out(0x20, 0x11);
    out(0xA0, 0x11);
    out(0x21, 0x20);
    out(0xA1, 0x28);
    out(0x21, 0x04);
    out(0xA1, 0x02);
    out(0x21, auto_eoi ? 0x03 : 0x01);
    out(0xA1, 0x01);
    out(0x21, master_mask);
    out(0xA1, slave_mask);
  }
  // Channel 0 in `mode` with LSB-then-MSB access and count n.
  void program_pit(u8 mode, u16 n) {
    out(0x43, u8(0x30 | (mode << 1)));
    out(0x40, u8(n));
    out(0x40, u8(n >> 8));
  }
  // Records when the PIT's events fire, then lets the PIT do its work.
  void record_ticks() {
    cpu.event_hook = {[](void* p, Cycles now) {
                        auto* g = static_cast<PcGuest*>(p);
                        g->ticks.push_back(now);
                        g->pc.pit().fire(now);
                      },
                      this};
  }
};

}  // namespace ring1::test
