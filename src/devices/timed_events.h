// The CPU has one timed-event hook (CpuClock::schedule_event / event_hook); a PC has several clocks that want it
// (the PIT's channel 0, the local APIC's timer). TimedEvents owns the hook and keeps one deadline per
// device: the CPU is always asked for the earliest, and at that boundary every device whose deadline has
// come fires, in slot order, so the order of two events due at the same cycle is fixed and runs repeat.
#pragma once
#include <array>

#include "cpu/cpu_clock.h"

namespace ring1 {

class TimedEvents {
 public:
  static constexpr int kSlots = 4;
  using Fire = void (*)(void* context, Cycles now);

  explicit TimedEvents(CpuClock& cpu) : cpu_(cpu) {}
  TimedEvents(const TimedEvents&) = delete;
  TimedEvents& operator=(const TimedEvents&) = delete;

  // Takes the CPU's event hook.
  void install() { cpu_.attach_event_hook({&fire_due, this}); }
  // A device's slot: the slot number to schedule with.
  int add(Fire fire, void* context) {
    for (int i = 0; i < kSlots; ++i)
      if (!slots_[i].fire) {
        slots_[i] = {fire, context, kNever};
        return i;
      }
    return -1;
  }
  // The slot's next deadline (replacing any earlier one; kNever cancels).
  void schedule(int slot, Cycles at) {
    slots_[slot].at = at;
    if (!firing_) cpu_.schedule_event(earliest());
  }

  static constexpr Cycles kNever = ~Cycles(0);

 private:
  struct Slot {
    Fire fire = nullptr;
    void* context = nullptr;
    Cycles at = kNever;
  };

  Cycles earliest() const {
    Cycles e = kNever;
    for (const Slot& s : slots_)
      if (s.at < e) e = s.at;
    return e;
  }

  static void fire_due(void* self, Cycles now) {
    auto* t = static_cast<TimedEvents*>(self);
    t->firing_ = true;
    for (Slot& s : t->slots_)
      if (s.fire && s.at <= now) {
        s.at = kNever;  // a device that repeats schedules its next deadline from inside fire
        s.fire(s.context, now);
      }
    t->firing_ = false;
    t->cpu_.schedule_event(t->earliest());
  }

  CpuClock& cpu_;
  std::array<Slot, kSlots> slots_{};
  bool firing_ = false;
};

}  // namespace ring1
