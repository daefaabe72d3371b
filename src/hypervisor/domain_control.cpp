// Domain 0's control operations on the scheduler's domains (domain_scheduler.h), in xl's words: create,
// pause, unpause, destroy, mem-set and mem-max, each done at its modelled cycle of the --control timeline.
// Destroying follows Xen's two steps (xen/common/domain.c domain_kill, xen/arch/x86/domain.c
// domain_relinquish_resources): at once the domain stops and its event channels close; once it is off the
// CPU, everything it holds goes back, so that a later create can be given the same frames.
#include <fmt/format.h>

#include "control/xenstore/client.h"
#include "cpu/descriptors.h"
#include "hypervisor/domain_scheduler.h"
#include "hypervisor/layout.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {

const char* control_op_name(ControlEvent::Op op) {
  switch (op) {
    case ControlEvent::Op::Pause: return "pause";
    case ControlEvent::Op::Unpause: return "unpause";
    case ControlEvent::Op::Destroy: return "destroy";
    case ControlEvent::Op::Create: return "create";
    case ControlEvent::Op::MemSet: return "mem-set";
    case ControlEvent::Op::MemMax: return "mem-max";
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
      case ControlEvent::Op::Create:
        e.result = create_domain(e.spec);
        if (*e.result > 0) e.dom = static_cast<u16>(*e.result);
        break;
      case ControlEvent::Op::MemSet: e.result = mem_set(e.dom, e.mib); break;
      case ControlEvent::Op::MemMax: e.result = mem_max(e.dom, e.mib); break;
    }
  }
}

void DomainScheduler::note(const Hypervisor& hv, std::string what) {
  lifecycle_.push_back(LifecycleEvent{cpu_.cycles, hv.domain().id.value, std::move(what)});
}

// ---- pause and unpause ----

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
  note(*hv, "paused");
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
  note(*hv, "unpaused");
  if (!s.paused_while_blocked || (hv->events().shared_info() && hv->events().upcall_pending())) wake(s);
  rearm();
  return 0;
}

// ---- destroy ----

i32 DomainScheduler::destroy(u16 id) {
  Hypervisor* hv = find(id);
  if (!hv) return -xen::err::kESRCH;
  Slot& s = *slot_of(*hv);
  if (s.destroyed) return -xen::err::kESRCH;
  // A domain that has shut down is still there until the tools destroy it (Xen keeps it as a zombie that
  // holds its memory): destroying it gives its resources back.
  const bool was_alive = s.state != RunState::Dead;
  if (hv->state_ == DomainState::Running) {
    hv->state_ = DomainState::Shutdown;
    hv->shutdown_reason_ = xen::kShutdownPoweroff;
    hv->crash_message_ = "destroyed by the control domain";
  }
  s.destroyed = true;
  note(*hv, "destroyed");
  hv->events().close_all();  // its peers' ends go back to unbound, as Xen's evtchn_destroy leaves them
  hv->drain_console_ring();
  if (observer_.destroyed) observer_.destroyed(observer_.context, *hv);
  const bool on_cpu = &s == &doms_[cur_] && s.state == RunState::Running;
  if (was_alive) ended(*hv);
  if (on_cpu) cpu_.interrupt_requested();  // the event-check interrupt takes it off; reap() then tears it down
  else teardown(s);
  return 0;
}

void DomainScheduler::reap() {
  for (Slot& s : doms_)
    if (s.destroyed && !s.torn_down) teardown(s);
}

void DomainScheduler::teardown(Slot& s) {
  Hypervisor& hv = *s.hv;
  Domain& d = hv.domain();
  FrameTable& ft = hv.frames();
  const u64 owned_before = ft.totals(d.id).owned;
  if (&s == &doms_[cur_]) {
    // Its page directory and GDT pages are still the CPU's: the hypervisor's own address space stands in
    // for Xen's idle domain until the next domain is switched in, and the GDT pages leave the shared area.
    HypervisorSpace& sp = first_.space();
    cpu_.set_cr3(sp.own_page_directory());
    for (u32 i = 0; i < hv.vcpu_.gdt_frames && i < HypervisorSpace::kGuestGdtPages; ++i) {
      sp.reset_gdt_page(i);
      cpu_.mmu().invlpg(kGdtBase + i * kPageSize);
    }
  }
  // Xen's gnttab_release_mappings, then the vCPU's references (destroy_gdt, the base pointer), then
  // relinquish_memory: every pin, every allocation; a frame still referenced from elsewhere stays until then.
  hv.grants_.release_all();
  d.grant_frames.clear();  // the table's frames are among those relinquished below; nothing reads them again
  VirtualCpu& v = hv.vcpu_;
  for (u32 i = 0; i < v.gdt_frames; ++i) ft.put_page_and_type(Mfn{v.gdt_frame[i]});
  v.gdt_frames = 0;
  hv.mmu_ops_.drop_base(d);
  ft.relinquish(d.id);
  d.tot_pages = 0;
  hv.console_backend_.attach(0);  // its ring's frame may be another domain's next
  {
    // The tools remove the domain from the store (libxl's domain destroy), and xenstored fires
    // @releaseDomain for the domain that is gone.
    const xs::Xenstored::Uncharged tools(hv.store());
    (void)hv.store().dom0().rm(fmt::format("/local/domain/{}", d.id.value));
    (void)hv.store().release(d.id.value);
  }
  s.torn_down = true;
  s.frames_freed = static_cast<u32>(owned_before - ft.totals(d.id).owned);
  note(hv, fmt::format("released: {} frames freed", s.frames_freed));
}

// ---- create ----

i32 DomainScheduler::create_domain(const std::string& spec) {
  if (!factory_.create) return -xen::err::kENOSYS;
  const i32 id = factory_.create(factory_.context, spec);
  if (id <= 0) return id;
  // xl create builds the domain paused, then unpauses it.
  const i32 rc = unpause(static_cast<u16>(id));
  return rc < 0 ? rc : id;
}

void DomainScheduler::started_paused(Hypervisor& dom, u32 cr3, u32 eip, u32 esp, u32 esi) {
  Slot& s = *slot_of(dom);
  Slot::Saved& v = s.saved;
  // The state the domain builder leaves a new vCPU in (Hypervisor::enter_guest), built without touching the
  // running domain's registers: flat ring-1 segments from the hypervisor's GDT, events masked in shared
  // info, EFLAGS.IF set for good, ESI = start_info.
  const std::array<Segment, kSegCount> keep_seg = cpu_.seg;
  const u8 keep_cpl = cpu_.cpl;
  cpu_.cpl = 1;
  load_code_segment(cpu_, kRing1Cs, read_descriptor(cpu_, kRing1Cs), 1);
  for (SegReg r : {SS, DS, ES, FS, GS}) load_data_segment(cpu_, r, kRing1Ds);
  v.seg = cpu_.seg;
  cpu_.seg = keep_seg;
  cpu_.cpl = keep_cpl;
  for (u32& r : v.gpr) r = 0;
  v.gpr[ESP] = esp;
  v.gpr[ESI] = esi;
  v.eip = eip;
  v.eflags = eflags::Reserved1 | eflags::IF;
  v.cpl = 1;
  v.cr2 = 0;
  v.cr3 = cr3;
  v.stack.assign(kStackTop - kStackBase, 0);
  v.valid = true;
  // Building it pointed the CPU's timed event and interrupt controller at the new domain: they go back to
  // the scheduler and the running domain.
  cpu_.event_hook = {&DomainScheduler::on_timer, this};
  cpu_.interrupt_controller = {&Hypervisor::irq_pending, &Hypervisor::irq_acknowledge, doms_[cur_].hv};
  dom.events().set_directory(directory());
  s.state = RunState::Paused;
  s.since = cpu_.cycles;
  s.paused_while_blocked = false;
  bvt_.sleep(s.bvt, cpu_.cycles);
  note(dom, "created");
  if (observer_.created) observer_.created(observer_.context, dom);
  rearm();
}

void DomainScheduler::abandon(Hypervisor& dom) {
  Slot& s = doms_.back();
  if (s.hv != &dom) return;
  const u16 id = dom.domain().id.value;
  bvt_.remove(s.bvt);
  teardown(s);
  std::erase_if(lifecycle_, [&](const LifecycleEvent& e) { return e.dom == id; });
  doms_.pop_back();
}

// ---- memory ----

i32 DomainScheduler::mem_set(u16 id, u32 mib) {
  Hypervisor* hv = find(id);
  if (!hv || slot_of(*hv)->destroyed) return -xen::err::kESRCH;
  Domain& d = hv->domain();
  const u32 pages = mib * (1024 * 1024 / kPageSize);
  if (pages > d.max_pages) d.max_pages = pages;
  {
    const xs::Xenstored::Uncharged tools(hv->store());
    const int rc = hv->store().dom0().write(fmt::format("/local/domain/{}/memory/target", id),
                                            std::to_string(mib * 1024));
    if (rc != 0) return -rc;
  }
  note(*hv, fmt::format("memory target {} MiB", mib));
  return 0;
}

i32 DomainScheduler::mem_max(u16 id, u32 mib) {
  Hypervisor* hv = find(id);
  if (!hv || slot_of(*hv)->destroyed) return -xen::err::kESRCH;
  Domain& d = hv->domain();
  const u32 pages = mib * (1024 * 1024 / kPageSize);
  // XEN_DOMCTL_max_mem (Xen 3.x): never below what the domain holds now.
  if (pages < d.tot_pages) return -xen::err::kEINVAL;
  d.max_pages = pages;
  note(*hv, fmt::format("maximum memory {} MiB", mib));
  return 0;
}

}  // namespace ring1::hv
