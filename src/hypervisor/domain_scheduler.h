// Several domains on the one modelled CPU: the run's domains (ids 1, 2, ...; domain 0 is the in-process
// control side), Borrowed Virtual Time choosing which runs (bvt.h), and the domain switch. A switch happens
// only inside the hypervisor, at the end of an entry (a hypercall, an exception, the event-check interrupt
// that ends a time slice), where the outgoing domain's state is the CPU's registers plus the stub's frame on
// the hypervisor stack: both are saved, the incoming domain's restored, its GDT pages, ring-1 stack and
// direct system-call gate put back in the shared hypervisor area, and its page directory loaded through the
// CPU's CR3 as a guest's own base-pointer switch is, so an untagged TLB loses every non-global entry at
// each switch and a tagged one keeps them. Every domain's timers and the time slice share the CPU's one
// timed event. Per-domain statistics are the CPU's and MMU's counters accumulated while each domain ran.
#pragma once
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cpu/segment.h"
#include "hypervisor/bvt.h"
#include "hypervisor/hypervisor.h"

namespace ring1::hv {

// What one domain did while it had the CPU (and while it waited), for the report.
struct DomainAccount {
  u64 instructions = 0;
  std::array<Cycles, 4> cycles_by_ring{};
  u64 tlb_misses = 0;       // instruction and data TLB
  u64 tlb_flushes = 0;      // every flush cause
  u64 switches_in = 0;      // times the scheduler gave it the CPU
  Cycles blocked_cycles = 0;  // waiting in SCHEDOP_block/poll (whoever ran meanwhile)
  Cycles paused_cycles = 0;
};

enum class RunState : u8 { Runnable, Running, Blocked, Paused, Dead };

// One step of a --control timeline: at modelled cycle `at`, domain 0 does `op` to domain `dom`.
struct ControlEvent {
  enum class Op : u8 { Pause, Unpause, Destroy };
  Cycles at = 0;
  Op op = Op::Pause;
  u16 dom = 0;
  std::optional<i32> result;  // what the operation answered, once done (0 or -errno)
};
const char* control_op_name(ControlEvent::Op op);

// Told when a domain comes and goes (the xenstore daemon writes /local/domain/N then).
struct DomainObserver {
  void (*created)(void* context, Hypervisor& dom) = nullptr;
  void (*destroyed)(void* context, Hypervisor& dom) = nullptr;
  void* context = nullptr;
};

class DomainScheduler {
 public:
  // `first` is domain 1, already built; the scheduler takes over the CPU's hooks once start() is called.
  DomainScheduler(Hypervisor& first, BvtConfig cfg, BvtParams first_params);
  DomainScheduler(const DomainScheduler&) = delete;
  DomainScheduler& operator=(const DomainScheduler&) = delete;

  // A new domain, next id (2, 3, ...), sharing the first one's core; the caller builds it (the domain
  // builder), then calls added().
  Hypervisor& create(BvtParams params);
  void added(Hypervisor& dom);
  // For the report: the kernel it was built from and its memory.
  void describe(Hypervisor& dom, std::string kernel, u32 pages);
  const std::string& kernel(u32 index) const { return doms_[index].kernel; }
  u32 pages(u32 index) const { return doms_[index].pages; }
  bool any_crashed() const;
  bool destroyed(u32 index) const { return doms_[index].destroyed; }
  // Hands the CPU to the scheduler's choice. Called once, after every domain is built.
  void start();

  u32 count() const { return static_cast<u32>(doms_.size()); }
  Hypervisor& domain(u32 index) { return *doms_[index].hv; }
  const Hypervisor& domain(u32 index) const { return *doms_[index].hv; }
  // The domain with id `id`, or null (never domain 0).
  Hypervisor* find(u16 id);
  const DomainAccount& account(u32 index) const { return doms_[index].account; }
  RunState run_state(u32 index) const { return doms_[index].state; }
  const BvtParams& params(u32 index) const { return doms_[index].params; }
  const Bvt& bvt() const { return bvt_; }
  Hypervisor& current() { return *doms_[cur_].hv; }
  u64 switches() const { return switches_; }
  Cycles idle_cycles() const { return idle_cycles_; }
  // Folds the running domain's counters into its account (at the end of the run, before reporting).
  void settle();

  // The observer is told of every domain that exists when it is set (as created), then of each later
  // creation and destruction.
  void set_observer(DomainObserver o);

  // ---- control operations (domain 0's) ----
  // Each returns 0 or -errno (-ESRCH: no such domain; -EINVAL: not in a state that allows it).
  i32 pause(u16 id);
  i32 unpause(u16 id);
  i32 destroy(u16 id);
  // Operations to do at given modelled cycles, in order (the CLI's --control); their results are kept.
  void set_control(std::vector<ControlEvent> timeline) { control_ = std::move(timeline); }
  const std::vector<ControlEvent>& control() const { return control_; }

  // ---- called by the Hypervisor of a domain ----
  void after_entry(Hypervisor& hv);         // the end of every hypervisor entry: the switch point
  void kicked(Hypervisor& hv);              // an event became pending for it
  void block(Hypervisor& hv);               // SCHEDOP_block/poll found nothing pending: sleep
  void yield(Hypervisor& hv);               // SCHEDOP_yield
  void ended(Hypervisor& hv);               // shut down, crashed, or its vCPU went down
  void rearm();                             // a timer of some domain changed

 private:
  struct Slot {
    std::unique_ptr<Hypervisor> owned;  // null for domain 1 (the caller's)
    Hypervisor* hv = nullptr;
    BvtParams params;
    std::string kernel;
    u32 pages = 0;
    u32 bvt = 0;
    RunState state = RunState::Runnable;
    DomainAccount account;
    Cycles since = 0;  // when it last blocked or was paused
    bool paused_while_blocked = false;
    bool destroyed = false;
    // The saved CPU state while it does not run (at the switch point, in a stub after VMCALL).
    struct Saved {
      u32 gpr[8] = {};
      u32 eip = 0, eflags = 0, cr2 = 0, cr3 = 0;
      u8 cpl = 0;
      std::array<Segment, kSegCount> seg{};
      std::vector<u8> stack;  // the hypervisor stack's contents
      bool valid = false;
    } saved;
  };

  Slot* slot_of(const Hypervisor& hv);
  static void on_timer(void* self, Cycles now);
  void fire_timers();
  void wake(Slot& s);
  // Picks the next domain (idling the clock forward while none is runnable) and switches to it.
  void reschedule();
  void switch_to(u32 next);
  void save(Slot& s);
  void restore(Slot& s);
  void account_out(Slot& s);
  void run_due_control();
  std::optional<Cycles> next_control() const;

  Hypervisor& first_;
  Cpu& cpu_;
  Bvt bvt_;
  std::vector<Slot> doms_;
  u32 cur_ = 0;
  bool started_ = false;
  bool want_switch_ = false;  // the running domain left (blocked, ended, paused) or its slice is over
  Cycles picked_at_ = 0;      // when the running domain got the CPU
  Cycles slice_end_ = ~Cycles(0);
  u64 switches_ = 0;
  Cycles idle_cycles_ = 0;
  // Counter snapshots at the last switch, for the accounts.
  u64 snap_insns_ = 0;
  std::array<Cycles, 4> snap_ring_{};
  u64 snap_misses_ = 0, snap_flushes_ = 0;
  DomainObserver observer_;
  std::vector<ControlEvent> control_;
  std::size_t control_next_ = 0;
};

}  // namespace ring1::hv
