// Entering the hypervisor from its stubs, dispatching hypercalls and bouncing exceptions (see the header).
#include "hypervisor/hypervisor.h"
#include "common/arch_bits.h"

#include <fmt/format.h>

#include "common/internal_error.h"
#include "control/xenstore/domain_tree.h"
#include "cpu/cpu.h"
#include "cpu/descriptors.h"
#include "hypervisor/domain_scheduler.h"
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/privileged_op.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

// At the VMCALL the stub has pushed the vector over the error code, over the CPU's IRET frame (SDM vol. 3,
// 6.12.1, figure 6-4: from ring 1 or 3 the frame holds SS and ESP too).
constexpr u32 kVectorAt = 0, kErrorAt = 4, kEipAt = 8, kCsAt = 12, kEflagsAt = 16, kEspAt = 20, kSsAt = 24;


// vcpu_info fields (xen/foreign/x86_32.h).
constexpr u32 kUpcallMaskAt = offsetof(xen::VcpuInfo, evtchn_upcall_mask);
constexpr u32 kCr2At = offsetof(xen::VcpuInfo, arch) + offsetof(xen::ArchVcpuInfo, cr2);

}  // namespace

namespace {
FrameTable claim_hypervisor_frames(PhysicalMemory& ram, const HypervisorSpace& space) {
  FrameTable t(ram);
  const u32 m2p_first = space.m2p_first_frame(), m2p_end = m2p_first + space.m2p_frames();
  for (u32 f = space.first_reserved_frame(); f < t.nr_frames(); ++f)
    if (f < m2p_first || f >= m2p_end) t.assign_to_hypervisor(Mfn{f});  // MachToPhys claims its own
  return t;
}
}  // namespace

HypervisorCore::HypervisorCore(PhysicalMemory& ram, bool global_mappings)
    : space(ram, global_mappings),
      frames(claim_hypervisor_frames(ram, space)),
      m2p(frames, Mfn{space.m2p_first_frame()}),
      store(ram) {}

Hypervisor::Hypervisor(Cpu& cpu, bool global_mappings, Layout layout)
    : cpu_(cpu),
      clock_(cpu),
      ram_(cpu.mmu().ram()),
      core_(std::make_shared<HypervisorCore>(cpu.mmu().ram(), global_mappings)),
      space_(core_->space),
      frames_(core_->frames),
      m2p_(core_->m2p),
      mmu_ops_(frames_, m2p_),
      grants_(frames_, &Hypervisor::grant_frames_of, this, &core_->grants),
      guest_(cpu.mmu()),
      walking_(cpu, cpu.mmu()),
      layout_(layout),
      store_(core_->store),
      console_backend_(cpu.mmu().ram()),
      events_(cpu.mmu().ram(), DomainId{1}) {
  domain_.id = DomainId{1};
  core_->members[domain_.id.value] = this;
  HypervisorL2Template l2;
  for (u32 i = 0; i < kHvL2Slots; ++i) l2.entries[i] = space_.l2_entry(i);
  frames_.set_hypervisor_l2(l2);
  frames_.attach_tlb(TlbShootdown{&cpu.mmu(), &Hypervisor::on_coherence_flush, this});
  mmu_ops_.set_preemption(&preemption_);
  cpu.host_escape = {&Hypervisor::on_escape, this};
  cpu.exception_mode = Cpu::ExceptionMode::Deliver;
  // xend's first act: domain 0's own entries. Like the rest of the tools' setup before the domain runs,
  // it is not charged: the store is charged from enter_guest() on.
  check_invariant(xs::write_dom0_entries(store_.dom0()) == 0, "the store refused domain 0's own entries");
}

Hypervisor::Hypervisor(Hypervisor& first, DomainId id)
    : cpu_(first.cpu_),
      clock_(first.clock_),
      ram_(first.ram_),
      core_(first.core_),
      space_(core_->space),
      frames_(core_->frames),
      m2p_(core_->m2p),
      mmu_ops_(frames_, m2p_),
      grants_(frames_, &Hypervisor::grant_frames_of, this, &core_->grants),
      guest_(cpu_.mmu()),
      walking_(cpu_, cpu_.mmu()),
      layout_(first.layout_),
      store_(core_->store),
      console_backend_(cpu_.mmu().ram()),
      events_(cpu_.mmu().ram(), id) {
  domain_.id = id;
  core_->members[id.value] = this;
  mmu_ops_.set_preemption(&preemption_);
  time_ = first.time_;
}

Hypervisor::~Hypervisor() {
  if (auto it = core_->members.find(domain_.id.value); it != core_->members.end() && it->second == this)
    core_->members.erase(it);
}

u64 Hypervisor::requests_so_far() const {
  const MmuCounters& c = mmu_ops_.counters();
  return c.requests_done + c.requests_failed;
}

u64 Hypervisor::entries_checked_so_far() const {
  const FrameTableStats& f = frames_.stats();
  return f.l1_entries_checked + f.l2_entries_checked + f.descriptors_checked;
}

void Hypervisor::charge_work(u64 requests_before, u64 entries_before) {
  const EventCosts& e = cpu().costs().events;
  const u64 requests = requests_so_far() - requests_before;
  const u64 entries = entries_checked_so_far() - entries_before;
  cpu().charge(requests * e.hv_request + entries * e.hv_validate_pte);
  // The instruction limit counts this work too (a request, and every 64 entries validated, one step), so a
  // guest cannot hide unbounded host work behind a few hypercall instructions (docs/failure-channels.md).
  if (const u64 steps = requests + entries / 64) cpu().add_handler_steps(steps);
}

i32 Hypervisor::finish_mmu(const MmuOutcome& out) {
  Cpu& c = cpu();
  const EventCosts& e = c.costs().events;
  MmuHypercalls::TlbWorkDone did;
  if (layout_ == Layout::Separate) {
    // The guest's new base takes effect when the hypervisor switches back to the guest (escape()); its
    // load is that switch's CR3 write. Single-page flushes wait for that switch too: INVLPG drops the
    // translation of the current address space only, which with a tagged TLB is the hypervisor's here, not
    // the guest's (escape() does them). A full flush drops every address space's entries, so it is done
    // here, and charged as in the shared layout: the guest gets the same flushes in both layouts.
    MmuOutcome rest = out;
    if (out.tlb.new_base) guest_cr3_ = machine_addr(*out.tlb.new_base).value;
    rest.tlb.new_base.reset();
    deferred_invlpg_.insert(deferred_invlpg_.end(), rest.tlb.invlpg.begin(), rest.tlb.invlpg.end());
    rest.tlb.invlpg.clear();
    did = mmu_ops_.complete(rest, c.mmu(), walking_);
    did.invlpgs = static_cast<u32>(out.tlb.invlpg.size());
  } else {
    did = mmu_ops_.complete(out, c.mmu(), guest_);
    if (did.loaded_base) c.cr3 = machine_addr(*out.tlb.new_base).value;  // the CPU's copy follows the MMU
  }
  // Xen loads CR3 for a new base and flushes by reloading it: one cr3_write each.
  c.charge((u32(did.loaded_base) + u32(did.flushed)) * e.cr3_write + did.invlpgs * e.invlpg);
  return out.rc;
}

// Any domain of the run: a grant may come from another domain (GNTTABOP_map_grant_ref and copy with its id).
const std::vector<Mfn>* Hypervisor::grant_frames_of(void* self, DomainId d) {
  Hypervisor& hv = *static_cast<Hypervisor*>(self);
  if (d == hv.domain_.id) return &hv.domain_.grant_frames;
  const auto it = hv.core_->members.find(d.value);
  return it == hv.core_->members.end() ? nullptr : &it->second->domain_.grant_frames;
}

void Hypervisor::on_coherence_flush(void* self) {
  Cpu& c = static_cast<Hypervisor*>(self)->cpu();
  c.mmu().flush(/*include_global=*/false, FlushCause::Coherence);
  c.charge(c.costs().events.cr3_write);
}

void Hypervisor::enter_guest(u32 cr3, u32 eip, u32 esp, u32 esi) {
  Cpu& c = cpu();
  store_.set_charge(&Hypervisor::charge_store, this);  // from now on the store's work takes modelled time
  c.reset_flat32();
  c.set_cr3(cr3);
  c.set_cr0(cr0::PE | cr0::ET | cr0::WP | cr0::PG);
  space_.install(c);
  c.cpl = 1;
  const Descriptor cs = read_descriptor(c, kRing1Cs);
  load_code_segment(c, kRing1Cs, cs, 1);
  for (SegReg r : {SS, DS, ES, FS, GS}) load_data_segment(c, r, kRing1Ds);
  // The guest runs with EFLAGS.IF set for good: its "interrupt flag" is the event upcall mask in shared
  // info, since POPF and CLI/STI in ring 1 cannot be trusted to reach the real one.
  c.set_flags(eflags::Reserved1 | eflags::IF);
  for (u32& r : c.gpr) r = 0;
  c.gpr[ESP] = esp;
  c.gpr[ESI] = esi;
  c.eip = eip;
}

void Hypervisor::on_escape(void* self, Cpu& cpu) { static_cast<Hypervisor*>(self)->escape(cpu); }

u32 Hypervisor::stack_word(u32 offset) const {
  u32 v;
  cpu_.mmu().ram().read_bytes(space_.machine(cpu_.gpr[ESP] + offset), &v, 4);
  return v;
}

void Hypervisor::set_stack_word(u32 offset, u32 v) {
  ram().write_bytes(space_.machine(cpu_.gpr[ESP] + offset), &v, 4);
}

Hypervisor::Frame Hypervisor::frame() const {
  return Frame{stack_word(kEipAt), stack_word(kCsAt) & 0xFFFF, stack_word(kEflagsAt), stack_word(kEspAt),
               stack_word(kSsAt) & 0xFFFF};
}

void Hypervisor::set_frame(const Frame& f) {
  set_stack_word(kEipAt, f.eip);
  set_stack_word(kCsAt, f.cs);
  set_stack_word(kEflagsAt, f.eflags);
  set_stack_word(kEspAt, f.esp);
  set_stack_word(kSsAt, f.ss);
}

void Hypervisor::escape(Cpu& c) {
  ++stats_.entries;
  c.charge(c.costs().events.hv_entry);
  if (layout_ == Layout::Separate) {
    // Into the hypervisor's own address space, and back out at the end: two CR3 loads per entry.
    guest_cr3_ = c.cr3;
    walking_.set_guest_cr3(guest_cr3_);
    c.set_cr3(space_.own_page_directory());
    c.charge(c.costs().events.cr3_write);
    handle(c);
    c.set_cr3(guest_cr3_);
    c.charge(c.costs().events.cr3_write);
    for (LinearAddr a : deferred_invlpg_) c.mmu().invlpg(a.value);  // charged by finish_mmu
    deferred_invlpg_.clear();
    if (scheduler_) scheduler_->after_entry(*this);
    return;
  }
  handle(c);
  // With several domains, the end of an entry is where the CPU may pass to another (domain_scheduler.h).
  if (scheduler_) scheduler_->after_entry(*this);
}

void Hypervisor::handle(Cpu& c) {
  // Only the stubs run VMCALL in ring 0, on the hypervisor's stack with a full frame below them.
  if (c.gpr[ESP] < kStackBase || c.gpr[ESP] + kSsAt + 4 > kStackTop) {
    // A guest cannot get here (VMCALL outside ring 0 is #UD, and only the stubs run in ring 0): a ring1 bug.
    c.ring1_bug(fmt::format("hypervisor entry with ESP {:#010x} outside its stack", c.gpr[ESP]));
    return;
  }
  const u8 vector = static_cast<u8>(stack_word(kVectorAt));
  const u32 error_code = stack_word(kErrorAt);
  if ((stack_word(kCsAt) & 3) == 0) {
    // A fault in ring 0 is the hypervisor's own: its IRET to the guest failed on a selector or stack the
    // guest supplied (a handler CS, a stack_switch SS). Xen sends the guest to its failsafe callback then,
    // and kills the domain if it has none or that fails too.
    if (!failsafe())
      crash(fmt::format("vector {} in the hypervisor (error code {:#x}) returning to the guest: bad handler or stack "
                        "selector{}",
                        vector, error_code, vcpu_.failsafe_cs & ~3u ? ", and the failsafe callback failed too" : ""));
    deliver_pending_upcall();
    return;
  }
  if (vector == kHypercallVector) {
    hypercall(c);
  } else if (vector == kEventCheckVector) {
    // The guest was stopped so that the upcall below can run, or (several domains) so that the scheduler
    // can switch.
    if (!reschedule) ++stats_.event_interrupts;
  } else {
    exception(c, vector, error_code);
  }
  deliver_pending_upcall();
}

void Hypervisor::hypercall(Cpu& c) {
  const u32 nr = c.gpr[EAX];
  preemption_.enter(nr, stack_word(kEipAt));
  // A continuation's re-execution is the same hypercall (preemption.h): counted once.
  if (!preemption_.resumed()) ++stats_.hypercalls[nr < HypervisorStats::kHypercalls ? nr : HypervisorStats::kHypercalls - 1];
  const HypercallArgs a{c.gpr[EBX], c.gpr[ECX], c.gpr[EDX], c.gpr[ESI], c.gpr[EDI]};
  const HypercallHandler h = hypercall_handler(nr);
  const i32 result = h ? h(*this, a) : -xen::err::kENOSYS;
  c.gpr[EAX] = static_cast<u32>(result);
  if (observer.hypercall) [[unlikely]]
    observer.hypercall(observer.context, HypercallEvent{c.cycles, nr, {a.a1, a.a2, a.a3, a.a4, a.a5}, c.gpr[EAX]});
}

void Hypervisor::exception(Cpu& c, u8 vector, u32 error_code) {
  // What Xen completes itself before bouncing anything (privileged_op.h): CPUID behind the forced-emulation
  // prefix, and the port I/O, CLI/STI and MSR accesses the guest is allowed.
  if (vector == 6 && emulate_forced_invalid_op(*this)) return;
  if (vector == 13 && error_code == 0 && emulate_privileged_op(*this)) return;
  const Frame f = frame();
  const u8 from = f.cs & 3;
  // INT n through a gate the guest may not use directly (no direct gate, or DPL 0 in the real IDT) is a
  // #GP whose error code names the IDT entry (SDM vol. 3, 6.13). If the guest's own trap table lets this
  // ring raise that vector, Xen delivers it as the software interrupt it was (do_general_protection):
  // this is the system call that goes through the hypervisor.
  if (vector == 13 && (error_code & 3) == 2) {
    const u8 v = static_cast<u8>(error_code >> 3);
    const VirtualTrap& t = vcpu_.traps[v];
    if (t.present() && t.dpl() >= from) {
      ++stats_.syscalls_via_hypervisor;
      bounce(v, t, false, 0, f.eip + 2, true);  // INT imm8 is two bytes; the guest resumes after it
      return;
    }
  }
  const VirtualTrap& t = vcpu_.traps[vector];
  if (!t.present()) {
    crash(fmt::format("exception {} (error code {:#x}) in ring {} at EIP {:#010x} and the guest has no handler for it",
                      vector, error_code, from, f.eip));
    return;
  }
  if (vector == 14) {
    // Only ring 0 can read CR2: the guest finds it in vcpu_info.arch.cr2 (xen-x86_32.h; arch_set_cr2).
    ram().write_bytes(vcpu_.vcpu_info + kCr2At, &c.cr2, 4);
  }
  bounce(vector, t, pushes_error_code(vector), error_code, f.eip);
}

bool Hypervisor::bounce(u8 vector, const VirtualTrap& t, bool has_error_code, u32 error_code,
                        u32 resume_eip, bool via_gp, bool upcall) {
  const Frame f = frame();
  const u8 from = f.cs & 3;
  u32 ss = f.ss, esp = f.esp;
  if (from != 1) {
    // From ring 3 (or 2) the frame goes on the kernel stack the guest named with stack_switch.
    if ((vcpu_.kernel_ss & ~3u) == 0) {
      crash(fmt::format("exception {} in ring {} and the guest has no kernel stack (stack_switch)", vector, from));
      return false;
    }
    ss = vcpu_.kernel_ss;
    esp = vcpu_.kernel_sp;
  }
  u8 mask = 0;
  if (vcpu_.vcpu_info) ram().read_bytes(vcpu_.vcpu_info + kUpcallMaskAt, &mask, 1);
  // The frame, from high address to low (XEN-REFERENCE.md 2.8): [SS ESP] from an outer ring, EFLAGS with
  // IF = !upcall mask, CS with the saved upcall mask in bits 16-23, EIP, [error code].
  u32 words[7];
  u32 n = 0;
  if (has_error_code) words[n++] = error_code;
  words[n++] = resume_eip;
  words[n++] = f.cs | (u32(mask) << 16);
  words[n++] = (f.eflags & ~eflags::IF) | (mask ? 0 : eflags::IF);
  if (from != 1) {
    words[n++] = f.esp;
    words[n++] = f.ss;
  }
  u32 base = 0;
  if (!stack_base(static_cast<u16>(ss), base)) {
    crash(fmt::format("exception {}: the guest's kernel stack selector {:#x} is not in its tables", vector, ss));
    return false;
  }
  const u32 new_esp = esp - 4 * n;
  if (!guest().copy_to(LinearAddr{base + new_esp}, words, 4 * n)) {
    crash(fmt::format("exception {}: cannot write its frame on the guest kernel stack at {:#010x}", vector,
                      base + new_esp));
    return false;
  }
  if (t.masks_events() && vcpu_.vcpu_info) {
    const u8 one = 1;
    ram().write_bytes(vcpu_.vcpu_info + kUpcallMaskAt, &one, 1);
  }
  if (upcall) ++stats_.upcalls;
  else ++stats_.bounces[vector];
  cpu().charge(cpu().costs().events.hv_bounce);
  // A handler selector with RPL 0 is taken as RPL 1 (Xen: fixup_guest_code_selector); a bad one makes the
  // stub's IRET fault, which goes to the guest's failsafe callback or crashes the domain (handle()).
  const u32 cs = (t.cs & 3) == 0 ? (t.cs | 1) : t.cs;
  const u32 fl = (f.eflags & ~(eflags::TF | eflags::NT | eflags::VM | eflags::RF)) | eflags::IF;
  set_frame(Frame{t.address, cs, fl, new_esp, ss});
  if (observer.bounce && !upcall) [[unlikely]]
    observer.bounce(observer.context, BounceEvent{cpu().cycles, vector, has_error_code, error_code, cpu().cr2, via_gp,
                                                  from, static_cast<u16>(f.cs), f.eip, static_cast<u16>(cs),
                                                  static_cast<u16>(ss), t.address, new_esp});
  return true;
}

void Hypervisor::deliver_page_fault(u32 addr, u32 error_code) {
  Cpu& c = cpu();
  c.cr2 = addr;  // only ring 0 sees the real CR2; exception() copies it to the guest's vcpu_info
  exception(c, 14, error_code);
}

bool Hypervisor::stack_base(u16 ss, u32& base) {
  try {
    base = read_descriptor(cpu(), ss).base();
  } catch (const CpuFault&) {
    return false;
  }
  return true;
}

void Hypervisor::update_direct_gate(u8 v) {
  if (space_.has_stub(v)) return;  // exceptions and hypercalls always enter the hypervisor
  const VirtualTrap& t = vcpu_.traps[v];
  // Xen (init_int80_direct_trap): only a handler that does not ask for events to be masked, with a
  // selector that is not ring 0's, becomes a real trap gate; the CPU could not set the upcall mask.
  if (t.present() && !t.masks_events() && (t.cs & 3) != 0) {
    space_.set_trap_gate(v, t.cs, t.address, t.dpl());
    vcpu_.syscall_vector = v;
  } else {
    space_.reset_gate(v);
    if (vcpu_.syscall_vector == v) vcpu_.syscall_vector = 0;
  }
}

void Hypervisor::note_stop_frame() {
  // Only inside a stub (ring 0 on the hypervisor's stack, below a full frame) is there a guest frame to read.
  const Cpu& c = cpu();
  if (c.cpl == 0 && c.gpr[ESP] >= kStackBase && c.gpr[ESP] + kSsAt + 4 <= kStackTop) stop_frame_ = frame();
}

void Hypervisor::crash(std::string why) {
  drain_console_ring();
  if (state_ == DomainState::Running) {
    state_ = DomainState::Crashed;
    shutdown_reason_ = xen::kShutdownCrash;
    crash_message_ = std::move(why);
    note_stop_frame();
  }
  if (scheduler_) scheduler_->ended(*this);  // the others run on
  else cpu().request_stop(StopReason::Requested);
}

void Hypervisor::shutdown(u32 reason) {
  drain_console_ring();
  note_stop_frame();
  // A code latched by SCHEDOP_shutdown_code is what the domain reports (Xen's domain_shutdown).
  if (shutdown_code) reason = *shutdown_code;
  state_ = reason == xen::kShutdownCrash ? DomainState::Crashed : DomainState::Shutdown;
  shutdown_reason_ = reason;
  if (reason == xen::kShutdownCrash) crash_message_ = "the guest asked to be crashed (SCHEDOP_shutdown, SHUTDOWN_crash)";
  if (scheduler_) scheduler_->ended(*this);
  else cpu().request_stop(StopReason::Requested);
}

// console_io goes to the hypervisor's log as a debug Xen prints a guest's (d<id>) lines: each line prefixed
// with the domain, never into the guest's own console.
void Hypervisor::console_write(const char* s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (log_line_start_) out += fmt::format("(d{}) ", domain_.id.value);
    out += s[i];
    log_line_start_ = s[i] == '\n';
  }
  hv_log_ += out;
  if (log_sink_) log_sink_(log_ctx_, out.data(), out.size());
}

namespace {
void append_console(void* self, const char* s, std::size_t n) {
  auto* hv = static_cast<Hypervisor*>(self);
  hv->note_console_output(s, n);
}
}  // namespace

void Hypervisor::note_console_output(const char* s, std::size_t n) {
  console_.append(s, n);
  if (sink_) sink_(sink_ctx_, s, n);
}

i32 Hypervisor::set_console_ring(u32 ma) {
  console_backend_.attach(ma);
  console_backend_.set_sink(&append_console, this);
  console_port_ = events_.connect_host(HostEndpoint{&Hypervisor::on_console_notify, this});
  return console_port_;
}

void Hypervisor::drain_console_ring() { console_backend_.drain(); }

i32 Hypervisor::set_store_page(u32 ma) {
  store_port_ = events_.connect_host(HostEndpoint{&Hypervisor::on_store_notify, this});
  if (store_port_ < 0) return store_port_;
  // The tools' xs_introduce_domain: the store now serves this ring.
  if (store_.introduce(domain_.id.value, ma, xs::RingNotify{&Hypervisor::on_store_reply, this}) != 0) return -1;
  return store_port_;
}

// The guest sent on the store's port: the store reads its requests and answers.
void Hypervisor::on_store_notify(void* self) {
  auto* hv = static_cast<Hypervisor*>(self);
  hv->store_.kick(hv->domain_.id.value);
}

// The store wrote replies or watch events (or made room): signal the guest, as xenstored does.
void Hypervisor::on_store_reply(void* self) {
  auto* hv = static_cast<Hypervisor*>(self);
  if (hv->store_port_ > 0) hv->events_.notify_guest(static_cast<u32>(hv->store_port_));
}

// The store's work, priced from the cost profile and charged to the clock: it runs on the one CPU, as
// domain 0's xenstored would between the guest's notification and its reply.
Cycles Hypervisor::charge_store(void* self, u64 requests, u64 bytes) {
  Cpu& c = static_cast<Hypervisor*>(self)->cpu();
  const EventCosts& e = c.costs().events;
  const Cycles cycles = requests * e.xs_request + bytes * e.xs_byte;
  c.charge(cycles);
  if (requests) c.add_handler_steps(requests);  // the instruction limit sees this work too
  return cycles;
}

}  // namespace ring1::hv
