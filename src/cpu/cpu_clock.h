// The processor's modelled clock, as the devices and the hypervisor see it: the cycle counter, what things
// cost (the cost profile), and the one timed-event deadline the run loop stops at. A timer reads the time and
// schedules its next event here without knowing anything else of the CPU (cpu.h), which implements it.
#pragma once
#include "common/cost_profile.h"
#include "common/types.h"

namespace ring1 {

// A device's clock (the PIT of the PC platform): the run loop calls `fire` at the first instruction
// boundary where the cycle counter has reached the deadline set by schedule_event(). The device does its
// work there (raises a line, schedules its next event), so timer interrupts arrive after an exact,
// deterministic number of modelled cycles. One hook per CPU; a platform with several timed devices
// multiplexes them behind it (devices/timed_events.h).
struct EventHook {
  void (*fire)(void* context, Cycles now) = nullptr;
  void* context = nullptr;
};

// The clock view of the Cpu: an empty base class of it (so the Cpu's layout, which the run loop and the
// translated code depend on, is untouched), whose calls are the Cpu's inline operations of the same names
// behind one out-of-line call (cpu.cpp). Only the Cpu derives from it; the Cpu's own callers reach the
// inline members directly.
class CpuClock {
 public:
  CpuClock(const CpuClock&) = delete;
  CpuClock& operator=(const CpuClock&) = delete;

  // The modelled cycle counter (Cpu::cycles; RDTSC's source).
  Cycles now() const;
  // Charges extra modelled cycles to the instruction now executing (the hypervisor's work behind a VMCALL,
  // a device's data-dependent cost).
  void charge(Cycles c);
  const CostProfile& costs() const;

  // Calls the event hook at the first instruction boundary at or after cycle `at` (replacing any earlier
  // request; ~0 cancels). The running stretch ends there, so the event is exact to the instruction.
  void schedule_event(Cycles at);
  Cycles next_event() const;
  // Connects the device (or the hypervisor's timers) whose `fire` the run loop calls at the deadline.
  void attach_event_hook(const EventHook& hook);

 protected:
  CpuClock() = default;
  ~CpuClock() = default;
};

}  // namespace ring1
