// The PC's real-time clock and CMOS RAM, a Motorola MC146818A (datasheet "MC146818A Real-Time Clock Plus
// RAM"), at index port 0x70 (bit 7 masks NMI) and data port 0x71. Kernels read the date from it, and
// BIOS-less ones read the memory size bytes QEMU's PC writes there (hw/i386/pc.c, pc_cmos_init).
//
// The clock is deterministic by default: it reads 2003-10-19 00:00:00 (the opening day of SOSP 2003, where
// the Xen paper was presented) plus the modelled time, cycles / CPU frequency, so a guest that waits for the
// seconds to tick sees them tick at the modelled rate. `RtcMode::Host` reads the host's UTC time instead.
// Registers 0-9 (time and date, BCD or binary and 12- or 24-hour per register B, writable: a write moves the
// clock), A, B, C, D, 0x32 (century) and the rest as battery-backed RAM. Not modelled: the update cycle (UIP
// in register A is never set: a read always sees a settled time), and the periodic, alarm and update-ended
// interrupts on IRQ 8 (register B's PIE/AIE/UIE bits are kept, register C reads 0).
#pragma once
#include <ctime>

#include "cpu/cpu_clock.h"
#include "mmu/port_bus.h"

namespace ring1 {

enum class RtcMode : u8 { Fixed, Host };

class CmosRtc {
 public:
  static constexpr i64 kSosp2003 = 1066521600;  // 2003-10-19 00:00:00 UTC, as seconds since 1970

  CmosRtc(const CpuClock& cpu, u64 cpu_hz, RtcMode mode, u64 ram_bytes);
  bool attach(PortBus& bus) { return bus.attach(0x70, 2, {&port_read, &port_write, this}); }

  u8 read(u8 index);
  void write(u8 index, u8 value);
  bool nmi_masked() const { return nmi_masked_; }
  // The clock's current time, seconds since 1970 (UTC).
  i64 now() const;

 private:
  static u32 port_read(void* ctx, u16 port, u8 size);
  static void port_write(void* ctx, u16 port, u8 size, u32 value);
  u8 encode(u32 v) const;  // BCD or binary per register B
  u32 decode(u8 v) const;

  const CpuClock& cpu_;
  u64 cpu_hz_;
  RtcMode mode_;
  i64 offset_ = 0;  // seconds a guest's writes moved the clock
  u8 index_ = 0;
  bool nmi_masked_ = false;
  u8 ram_[128] = {};
};

}  // namespace ring1
