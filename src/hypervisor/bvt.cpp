// Borrowed Virtual Time (see the header). Virtual time is kept in units of 1 / kAdvanceScale of a cycle at
// weight 1, so that weights 1..16 divide exactly and every quantity is an integer.
#include "hypervisor/bvt.h"

#include <algorithm>
#include <limits>

namespace ring1::hv {

u32 Bvt::add(const BvtParams& p) {
  Dom d;
  d.p = p;
  d.advance = kAdvanceScale / std::max<u32>(p.weight, 1);
  d.avt = svt_;
  d.runnable = true;
  doms_.push_back(d);
  return static_cast<u32>(doms_.size() - 1);
}

void Bvt::charge(u32 i, Cycles cycles, Cycles) {
  Dom& d = doms_[i];
  // Xen 2.0's calc_avt: every MCU begun is charged in full (the minimum charging unit).
  const u64 mcus = (cycles + cfg_.mcu - 1) / cfg_.mcu;
  d.avt += mcus * cfg_.mcu * d.advance;
  if (d.warped) {
    d.warped_for += cycles;
    if (d.p.warp_limit && d.warped_for >= d.p.warp_limit) {
      d.warped = false;
      d.unwarped_for = 0;
    }
  } else {
    d.unwarped_for += cycles;
  }
}

void Bvt::sleep(u32 i, Cycles) {
  Dom& d = doms_[i];
  d.runnable = false;
  if (d.warped) {
    d.warped = false;
    d.unwarped_for = 0;
  }
  update_svt();
}

Cycles Bvt::wake(u32 i, Cycles, std::optional<u32> running, Cycles running_for) {
  Dom& d = doms_[i];
  if (d.gone || d.runnable) return std::numeric_limits<Cycles>::max();
  d.runnable = true;
  d.avt = std::max(d.avt, svt_);
  // A warp is granted on a wake-up, once the unwarp requirement has been met since the last one.
  if (d.p.warp && (!d.ever_warped || d.unwarped_for >= d.p.unwarp_requirement)) {
    d.warped = true;
    d.ever_warped = true;
    d.warped_for = 0;
  }
  update_svt();
  if (!running) return 0;
  // Xen's bvt_wake: the running domain's evt with what it has run so far charged.
  const Dom& r = doms_[*running];
  const u64 mcus = (running_for + cfg_.mcu - 1) / cfg_.mcu;
  Dom now_r = r;
  now_r.avt += mcus * cfg_.mcu * r.advance;
  const i64 woken = evt_of(d), current = evt_of(now_r);
  if (woken <= current) return 0;
  return static_cast<u64>(woken - current) / r.advance + cfg_.ctx_allow;
}

void Bvt::remove(u32 i) {
  doms_[i].runnable = false;
  doms_[i].gone = true;
  update_svt();
}

void Bvt::update_svt() {
  // The system virtual time: the smallest avt of the runnable domains; it never goes back.
  std::optional<u64> m;
  for (const Dom& d : doms_)
    if (d.runnable && (!m || d.avt < *m)) m = d.avt;
  if (m && *m > svt_) svt_ = *m;
}

std::optional<Bvt::Pick> Bvt::pick(Cycles) {
  std::optional<u32> best, second;
  for (u32 i = 0; i < doms_.size(); ++i) {
    if (!doms_[i].runnable) continue;
    if (!best || evt_of(doms_[i]) < evt_of(doms_[*best])) {
      second = best;
      best = i;
    } else if (!second || evt_of(doms_[i]) < evt_of(doms_[*second])) {
      second = i;
    }
  }
  if (!best) return std::nullopt;
  update_svt();
  const Dom& b = doms_[*best];
  Cycles slice = std::numeric_limits<Cycles>::max();
  if (second) {
    // Xen 2.0's r_time: run until this evt passes the next one's, plus the allowance.
    const u64 gap = static_cast<u64>(evt_of(doms_[*second]) - evt_of(b));
    slice = gap / b.advance + cfg_.ctx_allow;
  }
  if (b.warped && b.p.warp_limit) slice = std::min(slice, b.p.warp_limit - std::min(b.warped_for, b.p.warp_limit));
  return Pick{*best, std::max<Cycles>(slice, 1)};
}

}  // namespace ring1::hv
