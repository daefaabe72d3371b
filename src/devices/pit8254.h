// The Intel 8254 programmable interval timer (datasheet 231164, "8254 Programmable Interval Timer") at ports
// 0x40-0x43, clocked at 1.193182 MHz as on every PC, with channel 0 on IRQ 0 and channel 2's gate and output
// in port 0x61 (system control port B). The timer never runs on its own: a counter's value and output are
// computed from the modelled cycle count when read, and channel 0's next rising edge is a CPU event
// (CpuClock::schedule_event) at an exact cycle, so timer interrupts are deterministic and never drift.
//
// Input clocks and CPU cycles convert through the CPU frequency with integer arithmetic from the moment a
// count was loaded: clock d happens at cycle start + ceil(d * cpu_hz / 1193182), and at cycle c the counter
// has seen floor((c - start) * 1193182 / cpu_hz) clocks. Modelled: the six modes (2 and 3 repeat, 0, 1, 4, 5
// are one-shots; 1 and 5 start on a gate edge, which only channel 2 can make), binary and BCD counting,
// LSB/MSB/LSB-then-MSB access, the counter latch and the read-back command (status and count). As in QEMU: a
// new count in mode 2 or 3 takes effect at once rather than at the end of the current period; gate low does
// not suspend counting (only its rising edge restarts modes 1, 2, 3, 5); mode 3 with an odd count has equal
// half periods within one clock. Channel 0 reaches the PIC as a pulse at each rising edge of OUT (mode 0's
// level is exact: low from the control word to the terminal count).
#pragma once
#include "cpu/cpu_clock.h"
#include "devices/streams.h"
#include "devices/timed_events.h"
#include "mmu/port_bus.h"

namespace ring1 {

class Pit8254 {
 public:
  static constexpr u64 kInputHz = 1193182;

  Pit8254(CpuClock& cpu, IrqLine irq0, u64 cpu_hz);
  Pit8254(const Pit8254&) = delete;
  Pit8254& operator=(const Pit8254&) = delete;

  // Claims 0x40-0x43 and 0x61.
  bool attach(PortBus& bus);
  // Makes the PIT the CPU's timed-event hook (one per CPU), or one client of a platform's TimedEvents.
  void install();
  void install(TimedEvents& events);

  u8 read(u16 port);
  void write(u16 port, u8 value);

  // What a read-back would see now (tests).
  u32 counter(int ch) const;  // the counting element, 0..0xFFFF (binary) or 0..9999 (BCD, as a number)
  bool out(int ch) const;
  // Cycle of clock `d` of channel `ch`, counted from its start (tests, and the scheduling below).
  Cycles cycle_of_clock(int ch, u64 d) const;
  u64 cpu_hz() const { return cpu_hz_; }
  u64 irq0_pulses() const { return pulses_; }

  // The event hook: channel 0's rising edge has come.
  void fire(Cycles now);

 private:
  struct Channel {
    u32 count = 0x10000;      // the loaded count N (0 written means 0x10000, or 10000 in BCD)
    u8 mode = 0;
    u8 rw = 3;                // 1 LSB, 2 MSB, 3 LSB then MSB
    bool bcd = false;
    bool counting = false;    // a count is loaded (and, in modes 1 and 5, the gate has triggered)
    bool waiting_trigger = false;  // modes 1, 5: count written, no gate edge yet
    bool gate = true;
    Cycles start = 0;         // the cycle the counter was loaded or triggered at
    bool write_msb_next = false;
    u8 write_lsb = 0;
    bool read_msb_next = false;
    bool count_latched = false, status_latched = false;
    u16 latched = 0;
    bool latched_msb_next = false;
    u8 status = 0;
  };

  static u32 port_read(void* ctx, u16 port, u8 size);
  static void port_write(void* ctx, u16 port, u8 size, u32 value);

  u64 clocks(const Channel& c, Cycles now) const;
  u32 modulus(const Channel& c) const { return c.bcd ? 10000 : 0x10000; }
  u32 value_at(const Channel& c, u64 d) const;
  bool out_at(const Channel& c, u64 d) const;
  u16 encoded(const Channel& c, u32 value) const;
  u8 status_of(int ch) const;
  void control(u8 v);
  void write_count(int ch, u8 v);
  void load(int ch, u32 n);
  void set_gate2(bool level);
  void schedule();  // channel 0's next rising edge as the CPU's event
  void set_deadline(Cycles at) {
    if (events_) events_->schedule(slot_, at);
    else cpu_.schedule_event(at);
  }

  CpuClock& cpu_;
  TimedEvents* events_ = nullptr;  // shared with other timed devices; null: the CPU's hook is the PIT's own
  int slot_ = -1;
  IrqLine irq0_;
  u64 cpu_hz_;
  Channel ch_[3];
  u64 next_edge_ = 0;  // channel 0: the clock (from start) of the next rising edge; 0 = none
  u8 port61_ = 0;      // bits 0-1 as written: gate 2, speaker data
  u64 pulses_ = 0;
};

}  // namespace ring1
