// Borrowed Virtual Time, the scheduler of the Xen paper (Duda and Cheriton, SOSP 1999; Xen 2.0's
// sched_bvt.c), as a pure policy over modelled cycles so that every decision is deterministic. Each domain
// has an actual virtual time (avt) that grows while it runs, by its mcu_advance per minimum charging unit
// (MCU) begun, so a domain with half the advance gets twice the CPU. The runnable domain with the smallest
// effective virtual time (evt = avt - warp while warped) runs next, and keeps the CPU until its evt passes
// the next one's by the context-switch allowance. A domain that wakes from a block starts no earlier than
// the system virtual time (the smallest avt of the runnable), so sleeping earns no credit; if it has a warp
// it runs warped (its evt moved back) for at most warp_limit cycles, and warps again only after running
// unwarped for unwarp_requirement cycles: latency for event-driven domains without unbounded priority.
#pragma once
#include <optional>
#include <vector>

#include "common/types.h"

namespace ring1::hv {

struct BvtParams {
  u32 weight = 1;               // CPU share relative to the others; mcu_advance = kAdvanceScale / weight
  u64 warp = 0;                 // how far back a warped domain's evt goes, in virtual time at weight 1 (cycles)
  Cycles warp_limit = 0;        // the longest a domain runs warped in one go (0: until it blocks)
  Cycles unwarp_requirement = 0;  // unwarped running needed before it may warp again
};

struct BvtConfig {
  Cycles mcu = 1000;         // the minimum charging unit (Xen 2.0: 100 us)
  Cycles ctx_allow = 50000;  // the context-switch allowance (Xen 2.0: 5 ms)
};

class Bvt {
 public:
  // 720720 = lcm(1..16): every weight from 1 to 16 gets an exact advance.
  static constexpr u64 kAdvanceScale = 720720;
  static constexpr u32 kMaxWeight = 1'000'000;

  explicit Bvt(BvtConfig cfg = {}) : cfg_(cfg) {}
  const BvtConfig& config() const { return cfg_; }

  // A new domain, runnable, at the system virtual time; returns its index.
  u32 add(const BvtParams& p);
  // The domain ran `cycles` since it was picked: its avt grows by mcu_advance per MCU begun, and a warp
  // that used up its limit ends.
  void charge(u32 d, Cycles cycles, Cycles now);
  // It blocked (or was paused): out of the run queue. A warp ends here.
  void sleep(u32 d, Cycles now);
  // It woke (or was unpaused): back in the run queue, no earlier than the system virtual time, warped if it
  // may warp. Returns in how many cycles `running` (which has run `running_for` since it was picked) should
  // give way to it: 0 at once (Xen's bvt_wake: when its evt is not above the running one's), else when the
  // running one's evt will have passed it by the allowance. ~0 if it stays asleep (gone or already awake).
  Cycles wake(u32 d, Cycles now, std::optional<u32> running, Cycles running_for);
  // It is gone (destroyed or shut down) for good.
  void remove(u32 d);

  struct Pick {
    u32 domain;
    Cycles slice;  // run this long before the next decision (~0: until something else happens)
  };
  // The runnable domain with the smallest evt (ties: the lowest index) and its slice; none if all sleep.
  std::optional<Pick> pick(Cycles now);

  bool runnable(u32 d) const { return doms_[d].runnable; }
  bool warped(u32 d) const { return doms_[d].warped; }
  u64 avt(u32 d) const { return doms_[d].avt; }
  i64 evt(u32 d) const { return evt_of(doms_[d]); }
  u64 mcu_advance(u32 d) const { return doms_[d].advance; }
  u64 svt() const { return svt_; }

 private:
  struct Dom {
    BvtParams p;
    u64 advance = 0;
    u64 avt = 0;
    bool runnable = false, gone = false;
    bool warped = false;
    Cycles warped_for = 0;     // run while warped in this warp
    Cycles unwarped_for = 0;   // run unwarped since the last warp ended
    bool ever_warped = false;
  };
  i64 evt_of(const Dom& d) const {
    return static_cast<i64>(d.avt) - (d.warped ? static_cast<i64>(d.p.warp * kAdvanceScale) : 0);
  }
  void update_svt();

  BvtConfig cfg_;
  std::vector<Dom> doms_;
  u64 svt_ = 0;
};

}  // namespace ring1::hv
