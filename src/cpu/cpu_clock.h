// The processor's modelled clock, as the devices and the hypervisor see it: the cycle counter, what things
// cost (the cost profile), and the one timed-event deadline the run loop stops at. A timer reads `cycles` and
// schedules its next event here without knowing anything else of the CPU (cpu.h), which derives from it.
#pragma once
#include "common/cost_profile.h"
#include "common/types.h"

namespace ring1 {

// A device's clock (the PIT of the PC platform): the run loop calls `fire` at the first instruction
// boundary where the cycle counter has reached the deadline set by CpuClock::schedule_event(). The device
// does its work there (raises a line, schedules its next event), so timer interrupts arrive after an exact,
// deterministic number of modelled cycles. One hook per CPU; a platform with several timed devices
// multiplexes them behind it (devices/timed_events.h).
struct EventHook {
  void (*fire)(void* context, Cycles now) = nullptr;
  void* context = nullptr;
};

// The clock part of the Cpu (a base class of it, so every access is the same inline load or store as a
// member of the Cpu's own). Only the Cpu constructs one.
class CpuClock {
 public:
  CpuClock(const CpuClock&) = delete;
  CpuClock& operator=(const CpuClock&) = delete;

  Cycles cycles = 0;  // the modelled cycle counter (RDTSC)

  // Charges extra modelled cycles to the current instruction (REP iterations, data-dependent costs, the
  // hypervisor's work behind a VMCALL).
  void charge(Cycles c) { cycles += c; }
  const CostProfile& costs() const { return costs_; }

  // ---- timed events (devices) ----
  // Calls event_hook.fire at the first instruction boundary at or after cycle `at` (replacing any earlier
  // request; ~0 cancels). The running stretch ends there, so the event is exact to the instruction.
  void schedule_event(Cycles at) {
    event_at_ = at;
    if (at < stop_at_) stop_at_ = at;
  }
  Cycles next_event() const { return event_at_; }
  EventHook event_hook;

  // The cycle count at which the run loop next stops to look at limits and events. A long instruction
  // (REP string) polls it between elements, as hardware takes interrupts between iterations.
  Cycles deadline() const { return stop_at_; }
  // Where the deadline lives, for translated code that compares against it after each call it makes.
  const Cycles* deadline_address() const { return &stop_at_; }

 protected:
  explicit CpuClock(const CostProfile& costs) : costs_(costs) {}
  ~CpuClock() = default;

  Cycles stop_at_ = 0;
  Cycles event_at_ = ~Cycles(0);  // when event_hook fires next; ~0: nothing scheduled
  const CostProfile& costs_;
};

}  // namespace ring1
