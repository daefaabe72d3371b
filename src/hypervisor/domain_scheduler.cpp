// Several domains on one CPU: scheduling with BVT and switching at the end of a hypervisor entry (see the
// header). Every decision reads only the modelled clock, so a run with several domains is as deterministic
// as a run with one.
#include "hypervisor/domain_scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "cpu/cpu.h"
#include "hypervisor/layout.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

constexpr Cycles kNever = std::numeric_limits<Cycles>::max();
constexpr u32 kStackBytes = kStackTop - kStackBase;

Cycles saturating_add(Cycles a, Cycles b) { return b > kNever - a ? kNever : a + b; }

}  // namespace

DomainScheduler::DomainScheduler(Hypervisor& first, BvtConfig cfg, BvtParams first_params)
    : first_(first), cpu_(first.cpu()), bvt_(cfg) {
  Slot s;
  s.hv = &first;
  s.params = first_params;
  s.bvt = bvt_.add(first_params);
  doms_.push_back(std::move(s));
  first.scheduler_ = this;
  save(doms_[0]);  // its start state (ring 1 at the kernel's entry), before the next domain is built
}

Hypervisor& DomainScheduler::create(BvtParams params) {
  const u16 id = static_cast<u16>(doms_.size() + 1);
  Slot s;
  s.owned = std::make_unique<Hypervisor>(first_, DomainId{id});
  s.hv = s.owned.get();
  s.params = params;
  s.bvt = bvt_.add(params);
  s.hv->scheduler_ = this;
  doms_.push_back(std::move(s));
  return *doms_.back().hv;
}

void DomainScheduler::added(Hypervisor& dom) {
  Slot* s = slot_of(dom);
  save(*s);
  if (observer_.created) observer_.created(observer_.context, dom);
}

void DomainScheduler::set_observer(DomainObserver o) {
  observer_ = o;
  if (!observer_.created) return;
  for (Slot& s : doms_)
    if (s.state != RunState::Dead) observer_.created(observer_.context, *s.hv);
}

void DomainScheduler::describe(Hypervisor& dom, std::string kernel, u32 pages) {
  Slot* s = slot_of(dom);
  s->kernel = std::move(kernel);
  s->pages = pages;
}

bool DomainScheduler::any_crashed() const {
  for (const Slot& s : doms_)
    if (s.hv->state() == DomainState::Crashed) return true;
  return false;
}

DomainScheduler::Slot* DomainScheduler::slot_of(const Hypervisor& hv) {
  for (Slot& s : doms_)
    if (s.hv == &hv) return &s;
  return nullptr;
}

Hypervisor* DomainScheduler::find(u16 id) {
  if (id == 0 || id > doms_.size()) return nullptr;
  return doms_[id - 1].hv;
}

void DomainScheduler::start() {
  cpu_.event_hook = {&DomainScheduler::on_timer, this};
  // Interdomain channels: each domain's table finds the others' through this list.
  const EventDirectory dir{[](void* self, u16 id) -> EventChannels* {
                             Hypervisor* h = static_cast<DomainScheduler*>(self)->find(id);
                             return h ? &h->events() : nullptr;
                           },
                           this};
  for (Slot& s : doms_) s.hv->events().set_directory(dir);
  const std::optional<Bvt::Pick> p = bvt_.pick(cpu_.cycles);
  cur_ = p ? p->domain : 0;
  restore(doms_[cur_]);
  started_ = true;
  doms_[cur_].state = RunState::Running;
  ++doms_[cur_].account.switches_in;
  picked_at_ = cpu_.cycles;
  slice_end_ = p ? saturating_add(cpu_.cycles, p->slice) : kNever;
  snap_insns_ = cpu_.instret;
  snap_ring_ = cpu_.cycles_by_ring;
  const MmuStats& m = cpu_.mmu().stats();
  snap_misses_ = m.itlb.misses + m.dtlb.misses;
  snap_flushes_ = 0;
  for (u64 f : m.flushes) snap_flushes_ += f;
  rearm();
}

// ---- accounting ----

void DomainScheduler::account_out(Slot& s) {
  DomainAccount& a = s.account;
  a.instructions += cpu_.instret - snap_insns_;
  for (u32 r = 0; r < 4; ++r) a.cycles_by_ring[r] += cpu_.cycles_by_ring[r] - snap_ring_[r];
  const MmuStats& m = cpu_.mmu().stats();
  const u64 misses = m.itlb.misses + m.dtlb.misses;
  u64 flushes = 0;
  for (u64 f : m.flushes) flushes += f;
  a.tlb_misses += misses - snap_misses_;
  a.tlb_flushes += flushes - snap_flushes_;
  snap_insns_ = cpu_.instret;
  snap_ring_ = cpu_.cycles_by_ring;
  snap_misses_ = misses;
  snap_flushes_ = flushes;
}

void DomainScheduler::settle() {
  if (started_) account_out(doms_[cur_]);
}

// ---- saving and restoring a vCPU ----

void DomainScheduler::save(Slot& s) {
  Slot::Saved& v = s.saved;
  for (u32 r = 0; r < 8; ++r) v.gpr[r] = cpu_.gpr[r];
  // At the switch point the CPU is inside the VMCALL: the domain resumes after it (next_eip). At build
  // time it is between instructions, at the kernel's entry.
  v.eip = started_ ? cpu_.next_eip : cpu_.eip;
  v.eflags = cpu_.flags();
  v.cpl = cpu_.cpl;
  v.seg = cpu_.seg;
  v.cr2 = cpu_.cr2;
  v.cr3 = cpu_.cr3;
  HypervisorSpace& sp = first_.space();
  v.stack.resize(kStackBytes);
  first_.ram().read_bytes(sp.machine(kStackBase), v.stack.data(), kStackBytes);
  // Its direct system-call gate leaves the shared IDT with it (the vCPU keeps the vector).
  const VirtualCpu& vc = s.hv->vcpu();
  if (started_ && vc.syscall_vector) sp.reset_gate(vc.syscall_vector);
  v.valid = true;
}

void DomainScheduler::restore(Slot& s) {
  const Slot::Saved& v = s.saved;
  Hypervisor& hv = *s.hv;
  HypervisorSpace& sp = first_.space();
  PhysicalMemory& ram = first_.ram();
  ram.write_bytes(sp.machine(kStackBase), v.stack.data(), kStackBytes);
  for (u32 r = 0; r < 8; ++r) cpu_.gpr[r] = v.gpr[r];
  cpu_.eip = cpu_.next_eip = v.eip;
  cpu_.set_flags(v.eflags);
  cpu_.seg = v.seg;
  cpu_.cpl = v.cpl;
  cpu_.cr2 = v.cr2;
  // The shared hypervisor area shows this domain's GDT pages, kernel stack and system-call gate.
  const VirtualCpu& vc = hv.vcpu();
  const VirtualCpu* prev = started_ ? &doms_[cur_].hv->vcpu() : nullptr;
  u32 gdt_changed = 0;  // bit i: GDT page i now shows another frame
  for (u32 i = 0; i < HypervisorSpace::kGuestGdtPages; ++i) {
    const u32 was = prev && i < prev->gdt_frames ? prev->gdt_frame[i] : 0;
    const u32 now = i < vc.gdt_frames ? vc.gdt_frame[i] : 0;
    if (prev && was == now) continue;
    if (now) sp.set_gdt_page(i, now);
    else sp.reset_gdt_page(i);
    gdt_changed |= 1u << i;
  }
  if (vc.kernel_ss) sp.set_ring1_stack(vc.kernel_ss, vc.kernel_sp);
  if (vc.syscall_vector) {
    const VirtualTrap& t = vc.traps[vc.syscall_vector];
    sp.set_trap_gate(vc.syscall_vector, t.cs, t.address, t.dpl());
  }
  // The page directory goes in as a guest's CR3 load does: an untagged TLB drops every non-global entry,
  // a tagged one switches tags. The GDT pages are global mappings: those that changed are dropped one by one.
  cpu_.set_cr3(v.cr3);
  cpu_.charge(cpu_.costs().events.cr3_write);
  for (u32 i = 0; i < HypervisorSpace::kGuestGdtPages; ++i)
    if (gdt_changed & (1u << i)) {
      cpu_.mmu().invlpg(kGdtBase + i * kPageSize);
      cpu_.charge(cpu_.costs().events.invlpg);
    }
  cpu_.host_escape = {&Hypervisor::on_escape, &hv};
  cpu_.interrupt_controller = {&Hypervisor::irq_pending, &Hypervisor::irq_acknowledge, &hv};
  cpu_.leave_block();  // the instructions decoded for the outgoing domain's stub are not this one's
}

// ---- the switch ----

void DomainScheduler::switch_to(u32 next) {
  Slot& in = doms_[next];
  if (next != cur_) {
    Slot& out = doms_[cur_];
    account_out(out);
    save(out);
    restore(in);
    cur_ = next;
    ++switches_;
    ++in.account.switches_in;
  }
  in.state = RunState::Running;
  picked_at_ = cpu_.cycles;
  Hypervisor& hv = *in.hv;
  hv.reschedule = false;
  // A periodic tick that fell due while it did not run is sent now (Xen's vcpu_periodic_timer_work), and
  // an event that woke it reaches its callback on the way out of the stub.
  hv.fire_timers(false);
  if (in.saved.cpl == 0) hv.deliver_pending_upcall();
}

void DomainScheduler::reschedule() {
  Slot& out = doms_[cur_];
  const Cycles now = cpu_.cycles;
  out.hv->reschedule = false;
  bvt_.charge(out.bvt, now - picked_at_, now);
  switch (out.state) {
    case RunState::Running: out.state = RunState::Runnable; break;
    case RunState::Blocked:
    case RunState::Paused: bvt_.sleep(out.bvt, now); break;
    case RunState::Dead: bvt_.remove(out.bvt); break;
    case RunState::Runnable: break;
  }
  for (;;) {
    const std::optional<Bvt::Pick> p = bvt_.pick(cpu_.cycles);
    if (p) {
      u32 idx = 0;
      while (doms_[idx].bvt != p->domain) ++idx;
      switch_to(idx);
      slice_end_ = saturating_add(cpu_.cycles, p->slice);
      rearm();
      return;
    }
    // Nobody can run: the CPU idles, the clock jumping to the next timer deadline of a blocked domain.
    bool any_alive = false;
    std::optional<Cycles> next;
    for (Slot& s : doms_) {
      if (s.state == RunState::Dead) continue;
      any_alive = true;
      if (s.state != RunState::Blocked) continue;
      if (const std::optional<u64> t = s.hv->timers().next(true)) {
        const Cycles at = s.hv->time().cycles_at(*t);
        if (!next || at < *next) next = at;
      }
    }
    if (!any_alive) {
      cpu_.request_stop(StopReason::Requested);
      return;
    }
    const std::optional<Cycles> ctl = next_control();
    if (ctl && (!next || *ctl < *next)) next = ctl;
    if (!next) {
      // Every live domain waits with nothing armed (or is paused): no event can ever come.
      for (Slot& s : doms_)
        if (s.state == RunState::Blocked) {
          s.hv->state_ = DomainState::Blocked;
          s.hv->crash_message_ = "blocked with no timer armed and no event that could wake it";
        }
      cpu_.request_stop(StopReason::Halted);
      return;
    }
    if (*next > cpu_.cycles) {
      idle_cycles_ += *next - cpu_.cycles;
      cpu_.cycles = *next;
    }
    run_due_control();
    fire_timers();
  }
}

void DomainScheduler::after_entry(Hypervisor& hv) {
  if (!started_ || &hv != doms_[cur_].hv) return;
  if (hv.reschedule || cpu_.cycles >= slice_end_) reschedule();
}

// ---- time ----

const char* control_op_name(ControlEvent::Op op) {
  switch (op) {
    case ControlEvent::Op::Pause: return "pause";
    case ControlEvent::Op::Unpause: return "unpause";
    case ControlEvent::Op::Destroy: return "destroy";
  }
  return "?";
}

std::optional<Cycles> DomainScheduler::next_control() const {
  if (control_next_ >= control_.size()) return std::nullopt;
  return control_[control_next_].at;
}

void DomainScheduler::run_due_control() {
  while (control_next_ < control_.size() && control_[control_next_].at <= cpu_.cycles) {
    ControlEvent& e = control_[control_next_++];
    switch (e.op) {
      case ControlEvent::Op::Pause: e.result = pause(e.dom); break;
      case ControlEvent::Op::Unpause: e.result = unpause(e.dom); break;
      case ControlEvent::Op::Destroy: e.result = destroy(e.dom); break;
    }
  }
}

void DomainScheduler::on_timer(void* self, Cycles) {
  auto* s = static_cast<DomainScheduler*>(self);
  s->run_due_control();
  s->fire_timers();
  if (s->cpu_.cycles >= s->slice_end_) {
    // The slice is over: the event-check interrupt brings the running guest into the hypervisor, where
    // after_entry() reschedules.
    s->doms_[s->cur_].hv->reschedule = true;
    s->cpu_.interrupt_requested();
    s->slice_end_ = kNever;  // the next pick sets the next slice
  }
  s->rearm();
}

void DomainScheduler::fire_timers() {
  for (u32 i = 0; i < doms_.size(); ++i) {
    Slot& s = doms_[i];
    if (s.state == RunState::Dead || s.state == RunState::Paused) continue;
    Hypervisor& hv = *s.hv;
    hv.fire_timers(s.state != RunState::Running);
    if (s.state == RunState::Blocked && hv.timers().poll_timeout && hv.now_ns() >= *hv.timers().poll_timeout)
      wake(s);
  }
}

void DomainScheduler::rearm() {
  if (!started_) return;
  Cycles at = slice_end_;
  if (const std::optional<Cycles> c = next_control()) at = std::min(at, *c);
  for (const Slot& s : doms_) {
    if (s.state == RunState::Dead || s.state == RunState::Paused) continue;
    if (const std::optional<u64> t = s.hv->timers().next(s.state != RunState::Running))
      at = std::min(at, s.hv->time().cycles_at(*t));
  }
  cpu_.schedule_event(at);
}

// ---- events and requests from the domains ----

void DomainScheduler::wake(Slot& s) {
  if (s.state != RunState::Blocked) return;
  s.hv->timers_.poll_timeout.reset();
  // The time it waited (whoever ran meanwhile).
  s.account.blocked_cycles += cpu_.cycles - s.since;
  s.hv->stats_.blocked_cycles += cpu_.cycles - s.since;
  s.state = RunState::Runnable;
  const bool running = doms_[cur_].state == RunState::Running;
  const Cycles in = bvt_.wake(s.bvt, cpu_.cycles, running ? std::optional<u32>(doms_[cur_].bvt) : std::nullopt,
                              cpu_.cycles - picked_at_);
  if (!running) return;  // the idle loop picks it
  if (in == 0) {
    doms_[cur_].hv->reschedule = true;
    cpu_.interrupt_requested();
  } else if (in != kNever) {
    slice_end_ = std::min(slice_end_, saturating_add(cpu_.cycles, in));
    rearm();
  }
}

void DomainScheduler::kicked(Hypervisor& hv) {
  if (!started_) return;
  if (Slot* s = slot_of(hv)) wake(*s);
}

void DomainScheduler::block(Hypervisor& hv) {
  Slot* s = slot_of(hv);
  if (!started_ || !s || s->state != RunState::Running) return;
  s->state = RunState::Blocked;
  s->since = cpu_.cycles;
  hv.reschedule = true;
}

void DomainScheduler::yield(Hypervisor& hv) {
  if (started_ && &hv == doms_[cur_].hv) hv.reschedule = true;
}

void DomainScheduler::ended(Hypervisor& hv) {
  Slot* s = slot_of(hv);
  if (!s || s->state == RunState::Dead) return;
  const bool running = started_ && s == &doms_[cur_] && s->state == RunState::Running;
  s->state = RunState::Dead;
  if (running) hv.reschedule = true;  // reschedule() takes it out of BVT and switches away
  else bvt_.remove(s->bvt);
  if (!started_) cpu_.request_stop(StopReason::Requested);
}

// ---- control operations ----

i32 DomainScheduler::pause(u16 id) {
  Hypervisor* hv = find(id);
  if (!hv) return -xen::err::kESRCH;
  Slot& s = *slot_of(*hv);
  if (s.state == RunState::Dead) return -xen::err::kESRCH;
  if (s.state == RunState::Paused) return 0;  // Xen counts pauses; ring1's control side pauses once
  s.paused_while_blocked = s.state == RunState::Blocked;
  if (s.paused_while_blocked) s.account.blocked_cycles += cpu_.cycles - s.since;
  const bool current = &s == &doms_[cur_] && s.state == RunState::Running;
  s.state = RunState::Paused;
  s.since = cpu_.cycles;
  if (current) {
    hv->reschedule = true;
    cpu_.interrupt_requested();
  } else {
    bvt_.sleep(s.bvt, cpu_.cycles);
  }
  rearm();
  return 0;
}

i32 DomainScheduler::unpause(u16 id) {
  Hypervisor* hv = find(id);
  if (!hv) return -xen::err::kESRCH;
  Slot& s = *slot_of(*hv);
  if (s.state == RunState::Dead) return -xen::err::kESRCH;
  if (s.state != RunState::Paused) return 0;
  s.account.paused_cycles += cpu_.cycles - s.since;
  // Back in the run queue when BVT says; a domain paused in a block goes on waiting unless an event came.
  s.state = RunState::Blocked;
  s.since = cpu_.cycles;
  if (!s.paused_while_blocked || (hv->events().shared_info() && hv->events().upcall_pending())) wake(s);
  rearm();
  return 0;
}

i32 DomainScheduler::destroy(u16 id) {
  Hypervisor* hv = find(id);
  if (!hv) return -xen::err::kESRCH;
  Slot& s = *slot_of(*hv);
  if (s.state == RunState::Dead) return -xen::err::kESRCH;
  if (hv->state_ == DomainState::Running) {
    hv->state_ = DomainState::Shutdown;
    hv->shutdown_reason_ = xen::kShutdownPoweroff;
    hv->crash_message_ = "destroyed by the control domain";
  }
  s.destroyed = true;
  hv->events().close_all();  // its peers' ends go back to unbound, as Xen's evtchn_destroy leaves them
  hv->drain_console_ring();
  if (observer_.destroyed) observer_.destroyed(observer_.context, *hv);
  const bool current = &s == &doms_[cur_];
  ended(*hv);
  if (current) cpu_.interrupt_requested();
  return 0;
}

}  // namespace ring1::hv
