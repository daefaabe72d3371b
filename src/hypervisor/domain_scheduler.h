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

// One step of a --control timeline: at modelled cycle `at`, domain 0 does `op` to domain `dom`, in xl's
// words: create (a domain from `spec`, a --domain argument; `dom` becomes its id), pause, unpause, destroy,
// mem-set (`mib`: the balloon target written to the store, as xl mem-set does) and mem-max (`mib`: the most
// the domain may hold, XEN_DOMCTL_max_mem).
struct ControlEvent {
  enum class Op : u8 { Pause, Unpause, Destroy, Create, MemSet, MemMax };
  Cycles at = 0;
  Op op = Op::Pause;
  u16 dom = 0;
  std::string spec;  // Create: KERNEL[,key=value...]
  u32 mib = 0;       // MemSet, MemMax
  std::optional<i32> result;  // what the operation answered, once done (0, a new domain's id, or -errno)
};
const char* control_op_name(ControlEvent::Op op);

// Something that happened to a domain, at a modelled cycle, for the report's lifecycle.
struct LifecycleEvent {
  Cycles at = 0;
  u16 dom = 0;
  std::string what;  // "created", "paused", "unpaused", "destroyed", "memory freed: N frames", ...
};

// How domain 0 builds a domain while the run goes on (the machine layer's domain builder, which read and
// checked every kernel before the run): returns the new domain's id, or -errno (-ENOMEM: no free range of
// machine frames large enough; -EINVAL: the kernel does not fit its memory).
struct DomainFactory {
  i32 (*create)(void* context, const std::string& spec) = nullptr;
  void* context = nullptr;
};

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
  // builder), then calls added() (before start()) or started_paused() (while the run goes on), or
  // abandon() if the build failed.
  Hypervisor& create(BvtParams params);
  void added(Hypervisor& dom);
  // A domain built while the run goes on, whose kernel starts at `eip` in ring 1 with ESP `esp`, ESI `esi`
  // (start_info) on the page directory `cr3`: it is paused, as xl create builds it, until unpause().
  void started_paused(Hypervisor& dom, u32 cr3, u32 eip, u32 esp, u32 esi);
  // The last domain created, whose build failed: its frames and store entries go, and its id is free again.
  void abandon(Hypervisor& dom);
  // For the report: the kernel it was built from and its memory.
  void describe(Hypervisor& dom, std::string kernel, u32 pages);
  const std::string& kernel(u32 index) const { return doms_[index].kernel; }
  u32 pages(u32 index) const { return doms_[index].pages; }
  bool any_crashed() const;
  bool destroyed(u32 index) const { return doms_[index].destroyed; }
  // Whether a destroyed domain's resources (frames, grants, store entries) have been given back yet.
  bool torn_down(u32 index) const { return doms_[index].torn_down; }
  u32 frames_freed(u32 index) const { return doms_[index].frames_freed; }
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
  // Destroys the domain (Xen's domain_kill): its event channels close at once (peers' ends unbound), and
  // once it is off the CPU its resources go back (domain_relinquish_resources): the grant mappings it
  // holds, its base pointer and GDT frames, every frame it owns that nothing else references, its store
  // connection and entries.
  i32 destroy(u16 id);
  // Builds and starts a domain from a --domain argument through the factory: its id, or -errno.
  i32 create_domain(const std::string& spec);
  void set_factory(DomainFactory f) { factory_ = f; }
  // xl mem-set: the balloon target (memory/target in the domain's store directory, KiB), and the maximum
  // reservation raised to it if it was lower (libxl does the same), so that the guest can balloon up to it.
  i32 mem_set(u16 id, u32 mib);
  // xl mem-max (XEN_DOMCTL_max_mem): the most the domain may hold; -EINVAL below what it holds now.
  i32 mem_max(u16 id, u32 mib);
  // Operations to do at given modelled cycles, in order (the CLI's --control); their results are kept.
  void set_control(std::vector<ControlEvent> timeline) { control_ = std::move(timeline); }
  const std::vector<ControlEvent>& control() const { return control_; }
  // Every domain's lifecycle, in the order it happened.
  const std::vector<LifecycleEvent>& lifecycle() const { return lifecycle_; }

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
    bool torn_down = false;
    u32 frames_freed = 0;
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
  EventDirectory directory();
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
  void note(const Hypervisor& hv, std::string what);
  // domain_relinquish_resources for a destroyed domain that is off the CPU (domain_control.cpp).
  void teardown(Slot& s);
  // Tears down every destroyed domain that is no longer the CPU's (after a switch, or before idling).
  void reap();

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
  Cycles idle_pending_ = 0;  // idle time not yet in the CPU's ring counts (switch_to)
  // Counter snapshots at the last switch, for the accounts.
  u64 snap_insns_ = 0;
  std::array<Cycles, 4> snap_ring_{};
  u64 snap_misses_ = 0, snap_flushes_ = 0;
  DomainObserver observer_;
  std::vector<ControlEvent> control_;
  std::size_t control_next_ = 0;
  std::vector<LifecycleEvent> lifecycle_;
  DomainFactory factory_;
};

}  // namespace ring1::hv
