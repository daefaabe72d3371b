// A vCPU's timers, in system-time nanoseconds (xen/vcpu.h; Xen 3.x's xen/common/schedule.c): the single-shot
// timer (set_timer_op, VCPUOP_set_singleshot_timer), the periodic timer (VCPUOP_set_periodic_timer; Xen 3.x
// gives every vCPU a 10 ms tick until the guest changes it), and the poll timeout of SCHEDOP_poll. Each
// raises VIRQ_TIMER (the poll timeout only wakes the poller). As in Xen, the periodic timer runs only while
// the vCPU runs: a blocked vCPU is descheduled and its periodic timer stopped, and when it runs again a
// tick that fell due meanwhile is sent at once.
#pragma once
#include <optional>

#include "cpu/types.h"

namespace ring1::hv {

struct VcpuTimers {
  static constexpr u64 kDefaultPeriodNs = 10'000'000;  // Xen 3.x: 100 Hz until VCPUOP_stop_periodic_timer
  static constexpr u64 kMinPeriodNs = 1'000'000;       // VCPUOP_set_periodic_timer refuses less (-EINVAL)

  std::optional<u64> singleshot;  // absolute deadline
  u64 period = kDefaultPeriodNs;  // 0: stopped
  u64 periodic_last = 0;          // when the last periodic tick was sent (or the period set)
  std::optional<u64> poll_timeout;

  // The earliest deadline among the armed timers; the periodic one only while the vCPU runs.
  std::optional<u64> next(bool blocked) const {
    std::optional<u64> n = singleshot;
    auto consider = [&](u64 t) {
      if (!n || t < *n) n = t;
    };
    if (!blocked && period) consider(periodic_last + period);
    if (blocked && poll_timeout) consider(*poll_timeout);
    return n;
  }
};

}  // namespace ring1::hv
