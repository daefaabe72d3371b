// A PV guest's clocks, derived from the modelled cycle counter so that they stay deterministic (XEN-NOTES.md,
// "Time"): system time in nanoseconds since the domain started, published in vcpu_info.time as Xen does
// (a TSC stamp, the system time at that stamp, and the scale tsc_to_system_mul / tsc_shift), so a guest that
// reads RDTSC and applies xen.h's formula
//     system_time + ((((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32)
// (a right shift when tsc_shift is negative) gets exactly the hypervisor's own system time; and the wall
// clock (shared_info wc_sec/wc_nsec: the time of day at system time 0), whose epoch follows --rtc.
#pragma once
#include "cpu/types.h"
#include "mmu/physical_memory.h"

namespace ring1::hv {

// ns = ((ticks << shift) * mul) >> 32, or (ticks >> -shift) * mul >> 32 (xen.h, vcpu_time_info).
struct TimeScale {
  u32 mul = 0;
  i8 shift = 0;
};

class VirtualTime {
 public:
  // 2003-10-19 00:00:00 UTC, the CMOS clock's fixed epoch (devices/cmos_rtc.h), so PV and native agree.
  static constexpr i64 kDefaultEpoch = 1066521600;

  explicit VirtualTime(u64 cpu_hz = 1'000'000'000, i64 epoch_sec = kDefaultEpoch);

  // The scale for a counter of `hz` ticks per second, chosen as Xen's set_time_scale chooses it: the
  // frequency is halved or doubled (shift -1 / +1 each time) into (1e9, 2e9], then mul = 1e9 * 2^32 / that.
  static TimeScale scale_for(u64 hz);
  // xen.h's formula for a TSC delta.
  static u64 scale(u64 delta, TimeScale s);

  u64 cpu_hz() const { return hz_; }
  i64 epoch() const { return epoch_; }
  TimeScale scale() const { return scale_; }
  Cycles stamp_cycles() const { return stamp_cycles_; }
  u64 stamp_ns() const { return stamp_ns_; }

  // System time (ns) at cycle `now`, by the formula from the current stamp.
  u64 system_time(Cycles now) const;
  // The first cycle count at which system_time() reaches `ns` (the current stamp's, for ns before it).
  Cycles cycles_at(u64 ns) const;
  // A new stamp at `now`: (now, system_time(now)). Time stays continuous; deltas stay small.
  void restamp(Cycles now);

  // Writes vcpu_info.time at `vcpu_info` (machine address) as Xen's update_vcpu_system_time does: version
  // made odd, the fields, version made even. `tsc_offset` is what RDTSC adds to the cycle count.
  void publish(PhysicalMemory& ram, u32 vcpu_info, u64 tsc_offset) const;
  // Writes the wall clock into shared_info at `shared_info` (wc_version odd while updating).
  void publish_wallclock(PhysicalMemory& ram, u32 shared_info) const;

 private:
  u64 hz_;
  i64 epoch_;
  TimeScale scale_;
  Cycles stamp_cycles_ = 0;
  u64 stamp_ns_ = 0;
};

}  // namespace ring1::hv
