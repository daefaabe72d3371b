#include "cpu/cpu.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "cpu/interrupts.h"
#include "cpu/isa/ud.h"
#include "common/internal_error.h"

namespace ring1 {

Cpu::Cpu(Mmu& mmu, const CostProfile& costs) : mmu_(mmu), costs_(costs), cache_(mmu.ram(), costs) {
  mmu_.ram().set_code_write_hook(&Cpu::on_code_write, this);
  mmu_.attach_clock(&cycles, &costs_);
  scratch_block_.insns.resize(1);
  reset_flat32();
}

Cpu::~Cpu() { mmu_.ram().set_code_write_hook(nullptr, nullptr); }

void Cpu::on_code_write(void* self, u32 paddr, u32 len) {
  auto* cpu = static_cast<Cpu*>(self);
  if (cpu->cache_.invalidate_range(paddr, len)) cpu->leave_block();
}

void Cpu::load_segment_flat(SegReg r, u16 selector, u8 dpl, bool code, bool big) {
  Segment& s = seg[r];
  s.selector = selector;
  s.base = 0;
  s.limit = big ? 0xFFFFFFFFu : 0xFFFFu;
  s.big = big;
  // P=1, S=1, DPL, type: code execute/read (0xA) or data read/write (0x2), accessed; G and D/B as asked.
  s.access = u16(0x80 | 0x10 | (dpl << 5) | (code ? 0xB : 0x3) | (big ? 0xC000 : 0));
  s.read_lo = 0;
  s.read_hi = s.limit;
  if (code) {
    s.write_lo = 1;  // code segments are never writable (SDM vol. 3, 5.5)
    s.write_hi = 0;
  } else {
    s.write_lo = 0;
    s.write_hi = s.limit;
  }
}

void Cpu::set_model(CpuModel m) {
  cache_.set_model(m);
  // SDM vol. 3, 4.8 lets a processor set a paging-structure entry's accessed flag as soon as it uses the
  // entry; the 386 and 486 set both levels' flags only once the translation has succeeded.
  mmu_.set_accessed_on_partial_walk(m == CpuModel::P6);
}

void Cpu::set_cr0(u32 v) {
  cr0 = v;
  mmu_.set_cr0(v);
}
void Cpu::set_cr3(u32 v) {
  cr3 = v;
  mmu_.set_cr3(v);
}
void Cpu::set_cr4(u32 v) {
  cr4 = v;
  mmu_.set_cr4(v);
}

void Cpu::reset_flat32() {
  std::fill(std::begin(gpr), std::end(gpr), 0u);
  load_segment_flat(CS, 0x08, 0, true, true);
  for (SegReg r : {ES, SS, DS, FS, GS}) load_segment_flat(r, 0x10, 0, false, true);
  cpl = 0;
  cr0 = 0x11;  // PE | ET
  cr3 = cr4 = cr2 = 0;
  msr = {};
  mmu_.reset();
  set_flags(eflags::Reserved1);
  nmi_pending_ = nmi_blocked_ = false;
  eip = next_eip = 0;
}

void Cpu::reset_power_on() {
  // SDM vol. 3, 9.1.1, table 9-1: real mode, CS selector F000 with base FFFF0000, EIP FFF0, EDX = signature.
  std::fill(std::begin(gpr), std::end(gpr), 0u);
  for (SegReg r : {ES, CS, SS, DS, FS, GS}) {
    load_segment_flat(r, 0, 0, false, false);
  }
  seg[CS].selector = 0xF000;
  seg[CS].base = 0xFFFF0000u;
  gpr[EDX] = cpu_signature(model());  // the CPUID identity (cpu/isa/misc.cpp)
  cpl = 0;
  cr0 = 0x60000010;
  cr3 = cr4 = cr2 = 0;
  msr = {};
  mmu_.reset();
  set_flags(eflags::Reserved1);
  nmi_pending_ = nmi_blocked_ = false;
  eip = next_eip = 0xFFF0;
}

void Cpu::segment_violation(u8 s) {
  // SDM vol. 3, 6.15: a limit or type violation through SS is #SS(0); through any other register #GP(0).
  raise_fault(s == SS ? Vector::SS : Vector::GP, 0);
}

void Cpu::host_stop(std::string message) {
  host_error_ = std::move(message);
  request_stop(StopReason::HostError);
}

void Cpu::not_modelled(std::string_view feature) {
  host_error_ = fmt::format("not modelled: {} (at EIP {:#010x}, ring {})", feature, eip, cpl);
  request_stop(StopReason::NotModelled);
}

// The clock and pins views (cpu_clock.h, cpu_pins.h): only the Cpu derives from them, so each is a Cpu, and
// each call is the Cpu's inline operation of the same name.
Cycles CpuClock::now() const { return static_cast<const Cpu&>(*this).cycles; }
void CpuClock::charge(Cycles c) { static_cast<Cpu&>(*this).charge(c); }
const CostProfile& CpuClock::costs() const { return static_cast<const Cpu&>(*this).costs(); }
void CpuClock::schedule_event(Cycles at) { static_cast<Cpu&>(*this).schedule_event(at); }
Cycles CpuClock::next_event() const { return static_cast<const Cpu&>(*this).next_event(); }
void CpuClock::attach_event_hook(const EventHook& hook) { static_cast<Cpu&>(*this).event_hook = hook; }
void CpuPins::interrupt_requested() { static_cast<Cpu&>(*this).interrupt_requested(); }
void CpuPins::raise_nmi() { static_cast<Cpu&>(*this).raise_nmi(); }
InterruptController CpuPins::attach_interrupt_controller(const InterruptController& controller) {
  Cpu& cpu = static_cast<Cpu&>(*this);
  const InterruptController before = cpu.interrupt_controller;
  cpu.interrupt_controller = controller;
  return before;
}
void CpuPins::attach_apic(const ApicLink& apic) { static_cast<Cpu&>(*this).apic = apic; }
void CpuPins::request_stop(StopReason why) { static_cast<Cpu&>(*this).request_stop(why); }
void CpuPins::not_modelled(std::string_view feature) { static_cast<Cpu&>(*this).not_modelled(feature); }

void Cpu::ring1_bug(std::string_view what) {
  std::string where;
  try {
    where = describe_position();
  } catch (...) {
    where = fmt::format("EIP {:#010x} in ring {} (its bytes could not be read)", eip, cpl);
  }
  host_error_ = fmt::format(
      "internal error: {}\n  guest at {}\n  this is a bug in ring1, not in the guest: please report it with the "
      "image and the command line",
      what, where);
  request_stop(StopReason::Ring1Bug);
}

std::string Cpu::describe_position() const {
  const u32 lin = seg[CS].base + eip;
  u8 bytes[15] = {};
  u32 n = 0;
  for (; n < 15; ++n) {
    const Translation t = mmu_.probe(lin + n);
    if (!t.present || !mmu_.ram().contains(t.phys, 1)) break;
    bytes[n] = *mmu_.ram().host(t.phys);
  }
  std::string hex;
  for (u32 k = 0; k < n; ++k) hex += fmt::format("{}{:02x}", k ? " " : "", bytes[k]);
  const std::string text = n ? cache_.decoder().disassemble(bytes, n, seg[CS].big, eip) : "(no memory there)";
  return fmt::format("EIP {:#010x} (CS {:#06x}) in ring {}, bytes [{}]: {}", eip, seg[CS].selector, cpl, hex, text);
}

void Cpu::triple_fault(const FaultRecord& last, std::string chain) {
  fault_ = last;
  host_error_ = std::move(chain);
  request_stop(StopReason::TripleFault);
}

void Cpu::halt() {
  halted_ = true;
  stop_at_ = 0;  // the run loop decides, at the boundary after HLT, whether and how the wait ends
}

// An instruction boundary with IF = 1, no shadow, and a line raised: the INTA cycle and delivery (SDM vol. 3,
// 6.3.2). The controller may have withdrawn the request meanwhile; then the line is forgotten until raised
// again. Delivery happens between stretches, so its cycles are added to the interrupted ring here, as a
// stretch would have.
void Cpu::take_external_interrupt() {
  const InterruptController& pic = interrupt_controller;
  if (!pic.pending || !pic.pending(pic.context)) {
    irq_requested_ = false;
    return;
  }
  const u8 ring = cpl;
  const Cycles before = cycles;
  deliver_external_interrupt(*this, pic.acknowledge(pic.context));
  if (cycles == before) ++cycles;  // a step costs at least a cycle, whatever the profile says
  ++stall_steps;                    // the delivery is work, though nothing retired
  cycles_by_ring[ring] += cycles - before;
}

// An NMI at an instruction boundary outside a shadow (SDM vol. 3, 6.7): delivered through vector 2 as an
// external event (its delivery's error codes carry EXT, no gate-DPL check), with NMIs blocked from here to
// the next IRET (6.7.1), whether the gate is an interrupt, trap or task gate. Accounted as an external
// interrupt's delivery is.
void Cpu::take_nmi() {
  nmi_pending_ = false;
  nmi_blocked_ = true;
  halted_ = false;  // an NMI ends HLT's wait
  const u8 ring = cpl;
  const Cycles before = cycles;
  deliver_external_interrupt(*this, static_cast<u8>(Vector::NMI));
  if (cycles == before) ++cycles;
  ++stall_steps;
  cycles_by_ring[ring] += cycles - before;
}

// HLT with IF = 1 and a timed event to come: the controller may still know that no interrupt could ever be
// delivered (the timer's line masked, the PIC never initialised), and then the wait is for good. The run
// ends as it does for HLT with IF = 0 (the README: the run ends when nothing can wake the CPU), saying why.
bool Cpu::halt_cannot_wake() {
  const InterruptController& pic = interrupt_controller;
  const char* why = pic.wake_blocked ? pic.wake_blocked(pic.context) : nullptr;
  if (!why) return false;
  host_error_ = fmt::format("HLT with interrupts enabled, but nothing can wake the CPU: {}", why);
  return true;
}

// The common case, inlined into the run loop: EIP inside CS, RAM behind it, a cached block that ends
// inside the CS limit.
inline const Block* Cpu::fetch_block() {
  const Segment& cs = seg[CS];
  u32 lin = cs.base + eip;
  u32 phys;
  if (eip <= cs.limit && mmu_.translate_fetch(lin, phys, cpl == 3)) [[likely]] {
    const Block* b = cache_.get(phys, cs.big ? 1 : 0);
    if (b && u64(eip) + b->bytes - 1 <= cs.limit) [[likely]] return b;
  }
  return fetch_block_slow();
}

const Block* Cpu::fetch_block_slow() {
  const Segment& cs = seg[CS];
  if (eip > cs.limit) raise_fault(Vector::GP, 0);
  u32 lin = cs.base + eip;
  u32 phys;
  // Outside RAM only a ROM window (Mmu::map_mmio) holds code: it runs one instruction at a time, uncached.
  const bool in_ram = mmu_.translate_fetch(lin, phys, cpl == 3);
  if (!in_ram && !mmu_.fetchable(phys)) {
    host_stop(fmt::format("instruction fetch from unassigned physical address {:#010x}", lin));
    return nullptr;
  }
  u8 mode = cs.big ? 1 : 0;
  if (in_ram)
    if (const Block* b = cache_.get(phys, mode); b && u64(eip) + b->bytes - 1 <= cs.limit) return b;

  // One instruction on its own: it straddles a page boundary, or its block would run past the CS limit.
  // Bytes of the next page are fetched only if the instruction really needs them.
  u8 buf[15];
  u32 n = 0;
  auto gather = [&](u32 until_page_end) {
    for (; n < 15 && u64(eip) + n <= cs.limit; ++n) {
      if (until_page_end && ((lin + n) & (kPageSize - 1)) == 0 && n > 0) break;
      u32 p;
      if (!mmu_.translate_fetch(lin + n, p, cpl == 3) && !mmu_.fetchable(p)) break;
      buf[n] = mmu_.fetch_byte(p);
    }
  };
  gather(1);
  Insn& insn = scratch_block_.insns[0];
  SensitiveInsn row;
  if (!cache_.build_insn(buf, n, mode, insn, &row)) {
    gather(0);
    if (!cache_.build_insn(buf, n, mode, insn, &row)) {
      if (u64(eip) + n > cs.limit) raise_fault(Vector::GP, 0);
      host_stop(fmt::format("instruction fetch runs into unassigned physical memory at {:#010x}", lin + n));
      return nullptr;
    }
  }
  if (u64(eip) + insn.len - 1 > cs.limit) raise_fault(Vector::GP, 0);
  cache_.arm_sensitive(insn, row);
  scratch_block_.bytes = insn.len;
  return &scratch_block_;
}

// Nothing escapes a run: anything a stretch did not catch (a device's event hook, an interrupt delivery, a
// guest exception outside an instruction) is one of ring1's own bugs, reported through its channel.
StopReason Cpu::run(const RunLimits& limits) {
  try {
    return run_stretches(limits);
  } catch (const std::exception& e) {
    ring1_bug(e.what());
  } catch (...) {
    ring1_bug("an exception that is not a std::exception escaped the run loop");
  }
  lazy.op = LazyOp::None;
  return StopReason::Ring1Bug;
}

StopReason Cpu::run_stretches(const RunLimits& limits) {
  requested_stop_ = StopReason::None;
  host_error_.clear();
  step_end_ = limits.max_instructions >= ~u64(0) - steps() ? ~u64(0) : steps() + limits.max_instructions;
  for (;;) {
    cache_.collect();
    if (boundary_pending_) [[unlikely]] {
      boundary_pending_ = false;
      if (boundary_hook.notify) boundary_hook.notify(boundary_hook.context);
    }
    if (requested_stop_ != StopReason::None) return requested_stop_;
    if (steps() >= step_end_) return StopReason::InsnLimit;
    if (cycles >= limits.max_cycles) return StopReason::CycleLimit;
    if (cycles >= event_at_) {
      event_at_ = ~Cycles(0);
      if (event_hook.fire) event_hook.fire(event_hook.context, cycles);
      continue;
    }
    if (irq_requested_ && !interrupt_shadow) [[unlikely]] {
      // NMI before INTR (SDM vol. 3, 6.9, priority 5 before 6). The shadows of MOV SS and STI hold both
      // off (6.8.3 allows a processor to inhibit NMIs after STI; ring1 does).
      if (nmi_pending_ && !nmi_blocked_) {
        take_nmi();
        if (limits.single_step && requested_stop_ == StopReason::None) return StopReason::Breakpoint;
        continue;
      }
      if (eflags & eflags::IF) {
        const InterruptController& pic = interrupt_controller;
        if (pic.pending && pic.pending(pic.context)) halted_ = false;  // an interrupt ends HLT's wait
        take_external_interrupt();
        if (limits.single_step && requested_stop_ == StopReason::None) return StopReason::Breakpoint;
        continue;  // the checks again: the handler's EIP may be a breakpoint, delivery may have stopped the run
      }
    }
    if (halted_) {
      // HLT's wait (SDM vol. 2, HLT): an NMI (taken above when one is latched and unblocked) or a maskable
      // interrupt ends it (no SMI is modelled). With IF = 1 and an event scheduled, time passes to it (or to
      // the cycle limit) and the event may raise a line; otherwise the machine has stopped for good: no
      // device of ring1's raises NMI from a timed event.
      const InterruptController& pic = interrupt_controller;
      if ((eflags & eflags::IF) && pic.pending && pic.pending(pic.context)) {
        irq_requested_ = true;  // a line already up (INTR is level-triggered) ends the wait at once
        continue;
      }
      if (!(eflags & eflags::IF) || event_at_ == ~Cycles(0) || halt_cannot_wake()) {
        if ((eflags & eflags::IF) && event_at_ == ~Cycles(0))
          host_error_ = "HLT with interrupts enabled, but nothing can wake the CPU: no device has a timed event "
                        "to come (no timer is counting)";
        halted_ = false;
        return StopReason::Halted;
      }
      // The wait is a step of its own, so an instruction limit also ends a halt that events keep alive
      // without ever waking it.
      const Cycles wake = std::min(event_at_, limits.max_cycles);
      halted_cycles += wake - cycles;
      cycles_by_ring[cpl] += wake - cycles;
      cycles = wake;
      ++stall_steps;
      continue;
    }
    if (limits.stop_at_eip && eip == *limits.stop_at_eip) return StopReason::Breakpoint;
    if (limits.breakpoints && limits.breakpoints->contains(eip)) return StopReason::Breakpoint;

    stop_at_ = std::min(limits.max_cycles, event_at_);
    // An instruction in an interrupt shadow runs as a stretch of its own, so the boundary after it is
    // checked above (SDM vol. 3, 6.8.3); it may set a new shadow for its successor.
    const bool shadowed = std::exchange(interrupt_shadow, false);
    // One instruction at a time: a shadow, or a debugger step. Stretches watching for an EIP (a test's stop
    // address, the debugger's breakpoints) end at every block boundary.
    const bool one_insn = shadowed || limits.single_step;
    const BreakpointSet* bps = limits.breakpoints && !limits.breakpoints->empty() ? limits.breakpoints : nullptr;
    const bool block_checks = one_insn || limits.stop_at_eip || bps;  // one test per block when all are off
    const u8 ring = cpl;
    stretch_ring_ = ring;
    stop_eip_armed_ = limits.stop_at_eip.has_value();
    stop_eip_ = limits.stop_at_eip.value_or(0);
    const Cycles start_cycles = cycles;
    stretch_left_ = step_end_ - steps();  // more than 0: the limit was checked above
    // Instructions of fully executed blocks in this stretch: a member rather than a local (it lives in memory
    // across the handlers' calls either way) so that step_allowance() can read it.
    u64& retired = stretch_retired_;
    retired = 0;
    const Insn* begin = nullptr;
    const Insn* i = nullptr;
    try {
      // Block after block until something needs the checks above: a stop request, a limit, a ring
      // change (for per-ring accounting), or a breakpoint address to watch.
      for (;;) {
        const Block* b = fetch_block();
        if (!b) break;
        u64 count = b->insns.size();
        u64 budget = stretch_left_ - retired;  // never below 0: see rep_loop.h
        if (count > budget) count = budget;
        if (block_checks) [[unlikely]] {
          if (one_insn || (limits.stop_at_eip && *limits.stop_at_eip - eip < b->bytes) ||
              (bps && bps->any_in(eip, b->bytes)))
            count = 1;
        }
        begin = i = b->insns.data();
        block_begin_ = begin;
        const Insn* end = begin + count;
        // The translation tier runs what it has translated of a block executed in full (no step, stop
        // address or breakpoint inside it); the loop below finishes whatever it left, with the checks it
        // would have made after each instruction. It may chain into following blocks where this loop would
        // have gone on to them (not with breakpoints, whose stretches end at every block), leaving `b` on the
        // last and the ones before it in `retired`.
        if (translation.run && !one_insn && count == b->insns.size() && b != &scratch_block_) {
          translation.run(translation.context, *this, b, i, !bps);
          if (b->insns.data() != begin) {  // chained: go on from the block it ended in
            begin = b->insns.data();
            count = b->insns.size();
            end = begin + count;
            budget = stretch_left_ - retired;
          }
          if (i != begin && cycles >= stop_at_) [[unlikely]] goto stretch_done;
        }
        // The hot loop: one indirect call per instruction and one compare for every kind of stop.
        while (i != end) {
          next_eip = eip + i->len;
          i->fn(*this, *i);
          eip = next_eip;
          cycles += i->cycles;
          ++i;
          if (cycles >= stop_at_) [[unlikely]] goto stretch_done;
        }
        retired += count;
        begin = i = nullptr;
        // Block boundaries also look for an interrupt IF now admits (POPF and IRET end their blocks).
        const bool interrupt_admitted = irq_requested_ && (eflags & eflags::IF);
        if (count == budget || cpl != ring || block_checks || interrupt_admitted) break;
        cache_.collect();
      }
    stretch_done:;
    } catch (const CpuFault& f) {
      sync_flags();
      if (exception_mode == ExceptionMode::Deliver) {
        // Through the IDT or IVT (interrupts.cpp), then on running. The delivery's cycles stay in this
        // stretch: a transition is charged to the ring it leaves, as IRET's cost is to the ring executing it.
        // A trap retires its instruction once its own delivery succeeded; if that faulted, it restarts.
        const Cycles before = cycles;
        if (deliver_exception(*this, f, eip, next_eip) && f.trap && i) {
          cycles += i->cycles;
          ++i;
        } else {
          ++stall_steps;  // a fault: the delivery is the step, since its instruction did not retire
        }
        if (cycles == before) ++cycles;  // a step costs at least a cycle, whatever the profile says
      } else {
        // Stop mode: the exception ends the run with a record.
        if (f.vector == static_cast<u8>(Vector::PF)) cr2 = f.address;  // SDM vol. 3, 4.7: CR2 gets the address
        fault_ = FaultRecord{f.vector, f.has_error_code, f.error_code, f.trap ? next_eip : eip, cpl, f.trap};
        if (f.trap && i) {  // a trap retires its instruction
          cycles += i->cycles;
          ++i;
          eip = next_eip;
        }
        requested_stop_ = StopReason::UnhandledFault;
      }
    } catch (const std::exception& e) {
      // One of ring1's own checks (InternalError), or a library's exception that no module expected: the
      // instruction at EIP was executing, so that is the context the report gives.
      sync_flags();
      ring1_bug(e.what());
    }
    // block_begin_, not `begin`: an exception raised inside a block the tier chained into leaves `begin` on
    // the block the loop offered it.
    if (i) retired += static_cast<u64>(i - block_begin_);
    retired -= unretired_;
    unretired_ = 0;
    sync_flags();  // outside run() EFLAGS is always complete
    instret += retired;
    insns_by_ring[ring] += retired;
    cycles_by_ring[ring] += cycles - start_cycles;
    if (limits.single_step && requested_stop_ == StopReason::None) return StopReason::Breakpoint;
  }
}

void exec_ud(Cpu&, const Insn&) { raise_fault(Vector::UD); }

std::string_view stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::None: return "running";
    case StopReason::Halted: return "halted";
    case StopReason::InsnLimit: return "instruction limit";
    case StopReason::CycleLimit: return "cycle limit";
    case StopReason::Breakpoint: return "breakpoint";
    case StopReason::UnhandledFault: return "unhandled exception";
    case StopReason::HostError: return "host error";
    case StopReason::TripleFault: return "triple fault";
    case StopReason::Requested: return "stop requested";
    case StopReason::NotModelled: return "not modelled";
    case StopReason::Ring1Bug: return "ring1 bug";
  }
  return "?";
}

}  // namespace ring1
