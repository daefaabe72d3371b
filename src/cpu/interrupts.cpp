// Interrupt and exception delivery (SDM vol. 3, chapter 6; vol. 2, INT n pseudocode): one function per mode
// (real-address IVT, protected-mode IDT) and the loop that combines an exception raised during delivery with
// the one being delivered (6.15, table 6-5). Every check runs, and every page of the new stack frame is
// probed, before anything architectural changes, so a fault during delivery leaves the state as it was.
#include "cpu/interrupts.h"

#include <fmt/format.h>

#include "cpu/descriptors.h"

namespace ring1 {
namespace {

using namespace eflags;

// Exception classes for double-fault detection (6.15, interrupt 8, table 6-4). Software interrupts and
// external interrupts are benign whatever their vector.
enum class Class : u8 { Benign, Contributory, PageFault, DoubleFault };

Class class_of(u8 vector) {
  switch (static_cast<Vector>(vector)) {
    case Vector::DE:
    case Vector::TS:
    case Vector::NP:
    case Vector::SS:
    case Vector::GP: return Class::Contributory;
    case Vector::PF: return Class::PageFault;
    case Vector::DF: return Class::DoubleFault;
    default: return Class::Benign;
  }
}

// One event being delivered.
struct Event {
  u8 vector;
  bool has_error;
  u32 error;
  bool software;  // INT n, INT3, INTO: the gate's DPL is checked and EXT is 0 (6.12.1.1, 6.13)
  Class cls;
  u32 eip;        // the EIP the frame saves
  bool external = false;  // an external interrupt (for the observer's transition cause)
  // EXT (6.13): set in the error code of an exception raised while delivering anything but a software
  // interrupt: an external interrupt or an earlier exception.
  u32 ext() const { return software ? 0 : 1; }
};

// The return frame, in push order: [SS, ESP,] EFLAGS, CS, EIP [, error code] (6.12.1, figure 6-4).
struct Frame {
  u32 v[6];
  u32 n = 0;
  void push(u32 x) { v[n++] = x; }
};

// Writes `f` below `esp` on the stack segment `ss` (its cache, possibly not yet loaded) with items of
// `size` bytes, and returns the new ESP. The limit of every slot is checked (#SS(ss_error)) and every page
// probed for a supervisor write before the first byte is written, so a fault leaves memory and registers
// as they were. The stack width is the segment's B bit (3.4.5).
u32 write_frame(Cpu& c, const Segment& ss, u32 esp, const Frame& f, u32 size, u32 ss_error) {
  const u32 mask = ss.big ? 0xFFFFFFFFu : 0xFFFFu;
  const u32 top = esp & mask;
  auto slot = [&](u32 k) { return (top - (k + 1) * size) & mask; };  // k-th push
  for (u32 k = 0; k < f.n; ++k) {
    const u32 off = slot(k);
    if (off < ss.write_lo || u64(off) + (size - 1) > ss.write_hi) raise_fault(Vector::SS, ss_error);
  }
  for (u32 k = 0; k < f.n; ++k) {
    c.mmu().translate(ss.base + slot(k), Access::Write, false);
    c.mmu().translate(ss.base + slot(k) + size - 1, Access::Write, false);
  }
  for (u32 k = 0; k < f.n; ++k) {
    if (size == 4) c.mmu().write<u32>(ss.base + slot(k), f.v[k], false);
    else c.mmu().write<u16>(ss.base + slot(k), static_cast<u16>(f.v[k]), false);
  }
  return (esp & ~mask) | slot(f.n - 1);
}

// read_descriptor, with EXT added to the selector error code it raises as `fault` (6.13). A #PF while
// reading the table keeps its own error code.
Descriptor read_descriptor_ext(Cpu& c, u16 selector, Vector fault, u32 ext) {
  try {
    return read_descriptor(c, selector, fault);
  } catch (CpuFault& f) {
    if (f.vector == static_cast<u8>(fault)) f.error_code |= ext;
    throw;
  }
}

// SSn:ESPn for an inner ring from the current TSS (6.12.1; 7.2.1 figure 7-2, 7.6 figure 7-11): in a 32-bit
// TSS ESPn is at 4 + 8n and SSn at 8 + 8n, in a 16-bit TSS SPn at 2 + 4n and SSn at 4 + 4n. Beyond the TSS
// limit is #TS(TSS selector + EXT). Read with supervisor linear accesses (they may #PF).
void count(Cpu& c, u8 vector, u8 from, u8 to) {
  ++c.interrupt_stats.by_vector[vector];
  ++c.interrupt_stats.deliveries[from][to];
}

// Real-address mode (20.1.4; vol. 2, INT n, REAL-ADDRESS-MODE): the IVT entry is a far pointer at
// IDTR.base + 4V (beyond IDTR.limit: #GP); FLAGS, CS and IP are pushed as words; IF, TF and AC are cleared.
// No error code is pushed in real mode.
bool deliver_real(Cpu& c, const Event& ev) {
  const u32 entry_at = u32(ev.vector) * 4;
  if (entry_at + 3 > c.idtr.limit) raise_fault(Vector::GP, 0);
  const u32 entry = c.mmu().read<u32>(c.idtr.base + entry_at, false);
  const u32 f = c.flags();
  Frame frame;
  frame.push(f);
  frame.push(c.seg[CS].selector);
  frame.push(ev.eip);
  const u32 esp = write_frame(c, c.seg[SS], c.gpr[ESP], frame, 2, 0);
  c.gpr[ESP] = esp;
  fill_real_mode_segment(c.seg[CS], static_cast<u16>(entry >> 16), false);
  c.eip = c.next_eip = entry & 0xFFFF;
  c.set_flags(f & ~(IF | TF | AC));
  c.charge(c.costs().events.exception);
  count(c, ev.vector, 0, 0);
  return true;
}

// Protected mode (6.10-6.12; vol. 2, INT n, PROTECTED-MODE). Returns false when ring1 cannot deliver the
// event (task gates, virtual-8086 mode) and has ended the run as "not modelled".
bool deliver_protected(Cpu& c, const Event& ev) {
  const u32 ext = ev.ext();
  // 6.10, 6.11: the gate at IDTR.base + 8V must lie within the IDT limit and be an interrupt, trap or task
  // gate; else #GP with the IDT-vector error code (6.13: IDT bit 1 set).
  const u32 idt_error = u32(ev.vector) * 8 + 2 + ext;
  if (u32(ev.vector) * 8 + 7 > c.idtr.limit) raise_fault(Vector::GP, idt_error);
  Descriptor gate;
  gate.lo = c.mmu().read<u32>(c.idtr.base + u32(ev.vector) * 8, false);
  gate.hi = c.mmu().read<u32>(c.idtr.base + u32(ev.vector) * 8 + 4, false);
  const SystemType type = gate.system_type();
  const bool gate32 = type == SystemType::InterruptGate32 || type == SystemType::TrapGate32;
  const bool gate16 = type == SystemType::InterruptGate16 || type == SystemType::TrapGate16;
  if (gate.is_segment() || !(gate32 || gate16 || type == SystemType::TaskGate))
    raise_fault(Vector::GP, idt_error);
  // 6.12.1.1: INT n, INT3 and INTO may only use a gate whose DPL is at least CPL; hardware events ignore it.
  if (ev.software && gate.dpl() < c.cpl) raise_fault(Vector::GP, idt_error);
  if (!gate.present()) raise_fault(Vector::NP, idt_error);
  if (type == SystemType::TaskGate) {
    c.not_modelled(fmt::format("{} through a task gate (vector {:#x}): a task switch", vector_name(ev.vector),
                               ev.vector));
    return false;
  }
  if (c.eflags & VM) {
    c.not_modelled(fmt::format("{} from virtual-8086 mode", vector_name(ev.vector)));
    return false;
  }

  // 6.12.1: the handler's code segment.
  const u16 cs_sel = gate.gate_selector();
  if ((cs_sel & ~3u) == 0) raise_fault(Vector::GP, ext);
  Descriptor cs = read_descriptor_ext(c, cs_sel, Vector::GP, ext);
  const u32 cs_error = selector_error(cs_sel) | ext;
  if (!cs.is_code() || cs.dpl() > c.cpl) raise_fault(Vector::GP, cs_error);
  if (!cs.present()) raise_fault(Vector::NP, cs_error);

  const u8 from = c.cpl;
  const u16 from_cs = c.seg[CS].selector;
  const u32 from_eip = c.eip;
  const bool inner = !cs.conforming() && cs.dpl() < c.cpl;
  const u8 to = inner ? cs.dpl() : c.cpl;
  const u32 size = gate32 ? 4 : 2;
  const u32 target = gate32 ? gate.gate_offset() : gate.gate_offset() & 0xFFFF;
  const u32 old_flags = c.flags();

  Frame frame;
  Segment new_ss = c.seg[SS];
  u16 ss_sel = c.seg[SS].selector;
  Descriptor ss;
  u32 esp = c.gpr[ESP];
  u32 ss_error = ext;  // same ring: #SS(EXT)
  if (inner) {
    // 6.12.1: switch to the stack for the new ring from the TSS, checked as vol. 2 INT n says: null is
    // #TS(EXT); RPL, DPL and a writable data type are #TS(SS + EXT); not present is #SS(SS + EXT).
    tss_inner_stack(c, to, ss_sel, esp, ext);
    if ((ss_sel & ~3u) == 0) raise_fault(Vector::TS, ext);
    ss = read_descriptor_ext(c, ss_sel, Vector::TS, ext);
    ss_error = selector_error(ss_sel) | ext;
    if ((ss_sel & 3) != to || ss.dpl() != to || !ss.writable()) raise_fault(Vector::TS, ss_error);
    if (!ss.present()) raise_fault(Vector::SS, ss_error);
    fill_segment_cache(new_ss, ss_sel, ss);
    frame.push(c.seg[SS].selector);
    frame.push(c.gpr[ESP]);
  }
  frame.push(old_flags);
  frame.push(c.seg[CS].selector);
  frame.push(ev.eip);
  if (ev.has_error) frame.push(ev.error);
  // Vol. 2, INT n: a handler offset beyond the new code segment's limit is #GP(EXT).
  if (target > cs.limit()) raise_fault(Vector::GP, ext);

  // The accessed bits first (they may #PF on the descriptor tables), then the frame: after it nothing faults.
  if (inner) mark_accessed(c, ss_sel, ss);
  mark_accessed(c, cs_sel, cs);
  esp = write_frame(c, new_ss, esp, frame, size, ss_error);

  if (inner) {
    new_ss.access = ss.access();  // with the accessed bit just set
    c.seg[SS] = new_ss;
    c.gpr[ESP] = esp;
  } else {
    const u32 mask = c.stack_mask();
    c.gpr[ESP] = (c.gpr[ESP] & ~mask) | (esp & mask);
  }
  load_code_segment(c, cs_sel, cs, to);
  c.eip = c.next_eip = target;
  // 6.12.1.3: TF, NT, RF and VM are cleared; an interrupt gate also clears IF, a trap gate leaves it.
  u32 f = old_flags & ~(TF | NT | RF | VM);
  if (type == SystemType::InterruptGate16 || type == SystemType::InterruptGate32) f &= ~IF;
  c.set_flags(f);
  c.charge(inner ? c.costs().events.exception_ring_change : c.costs().events.exception);
  count(c, ev.vector, from, to);
  c.note_transition(ev.software   ? TransitionCause::SoftwareInterrupt
                    : ev.external ? TransitionCause::ExternalInterrupt
                                  : TransitionCause::Exception,
                    ev.vector, from, from_cs, from_eip, target);
  return true;
}

bool deliver(Cpu& c, const Event& ev) {
  if (c.observer.exception && !ev.software && !ev.external) [[unlikely]]
    c.observer.exception(c.observer.context, ExceptionEvent{c.cycles, ev.vector, ev.has_error, ev.error, c.cr2,
                                                            c.eip, c.cpl});
  const bool ok = (c.cr0 & 1) ? deliver_protected(c, ev) : deliver_real(c, ev);
  if (ok) c.interrupt_shadow = false;  // the handler's first instruction is not in a shadow
  return ok;
}

std::string describe(u8 vector, bool has_error, u32 error) {
  return has_error ? fmt::format("{}({:#x})", vector_name(vector), error) : std::string(vector_name(vector));
}

// Delivers `first`; an exception raised on the way is combined with the event being delivered by table 6-5
// and delivered in its place, until one delivery succeeds or the processor shuts down. The exceptions of
// the chain are faults of the instruction at `insn_eip` (or of the boundary, for an external interrupt).
bool dispatch(Cpu& c, Event first, u32 insn_eip) {
  Event ev = first;
  std::string chain = describe(ev.vector, ev.has_error, ev.error);
  for (bool original = true;; original = false) {
    try {
      return deliver(c, ev) && original;
    } catch (const CpuFault& f) {
      if (f.vector == static_cast<u8>(Vector::PF)) c.cr2 = f.address;  // 4.7: CR2 before the #PF handler
      chain += " -> " + describe(f.vector, f.has_error_code, f.error_code);
      const Class next = class_of(f.vector);
      if (ev.cls == Class::DoubleFault) {
        // 6.15, interrupt 8: a fault while delivering #DF shuts the processor down.
        c.triple_fault(FaultRecord{f.vector, f.has_error_code, f.error_code, insn_eip, c.cpl, false},
                       chain);
        return false;
      }
      const bool double_fault = (ev.cls == Class::Contributory && next == Class::Contributory) ||
                                (ev.cls == Class::PageFault && next != Class::Benign);
      if (double_fault) {
        chain += " => #DF";
        ev = Event{static_cast<u8>(Vector::DF), true, 0, false, Class::DoubleFault, insn_eip};
      } else {
        ev = Event{f.vector, f.has_error_code, f.error_code, false, next, insn_eip};
      }
    }
  }
}

}  // namespace

bool deliver_exception(Cpu& c, const CpuFault& f, u32 insn_eip, u32 next_eip) {
  if (f.vector == static_cast<u8>(Vector::PF)) c.cr2 = f.address;  // 4.7: CR2 before the #PF handler
  // Software interrupts (INT n, INT3, INTO) are benign whatever their vector.
  const Class cls = f.software ? Class::Benign : class_of(f.vector);
  return dispatch(c, Event{f.vector, f.has_error_code, f.error_code, f.software, cls, f.trap ? next_eip : insn_eip},
                  insn_eip);
}

void deliver_external_interrupt(Cpu& c, u8 vector) {
  dispatch(c, Event{vector, false, 0, false, Class::Benign, c.eip, true}, c.eip);
}

}  // namespace ring1
