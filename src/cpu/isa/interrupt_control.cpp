// The instructions that end and mask interrupt handlers (SDM vol. 2): IRET/IRETD, back through the frame
// delivery pushed (interrupts.cpp), and CLI/STI with their IOPL rules. IRET reads and checks everything it
// will load before changing any register, so a fault leaves it restartable (SDM vol. 3, 6.5). Its other
// three paths: a task return (NT = 1, cpu/task_switch.cpp), the return from a ring-0 monitor into
// virtual-8086 mode (VM = 1 in the popped image), and IRET inside virtual-8086 mode (IOPL-sensitive).
#include "cpu/descriptors.h"
#include "cpu/isa/isa_table.h"
#include "cpu/task_switch.h"

namespace ring1 {
namespace {

using namespace eflags;

// The flags a 16-bit image holds (FLAGS), and what a real-mode IRETD may also load (vol. 2, IRET:
// EFLAGS <- (tempEFLAGS AND 257FD5H) OR (EFLAGS AND 1A0000H)).
inline constexpr u32 kFlags16 = CF | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT;
inline constexpr u32 kRealIretd = kFlags16 | RF | AC | ID;

u8 iopl_of(u32 f) { return static_cast<u8>((f & IOPL) >> 12); }

// The EFLAGS an IRET loads in protected mode (vol. 2, IRET, RETURN-TO-SAME/OUTER-PRIVILEGE-LEVEL), by the
// CPL and IOPL before it: the status flags, TF, DF, NT always; RF, AC, ID with a 32-bit operand; IF only
// if CPL <= IOPL; IOPL only at CPL 0, and VIF/VIP too with a 32-bit operand. VM is never loaded here
// (a return to virtual-8086 mode takes its own path). As with POPF, nothing faults when IF or IOPL is kept.
template <class T>
u32 iret_flags(const Cpu& c, u32 old, u32 image) {
  u32 writable = CF | PF | AF | ZF | SF | TF | DF | OF | NT;
  if constexpr (sizeof(T) == 4) writable |= RF | AC | ID;
  if (c.cpl <= iopl_of(old)) writable |= IF;
  if (c.cpl == 0) {
    writable |= IOPL;
    if constexpr (sizeof(T) == 4) writable |= VIF | VIP;
  }
  return (old & ~writable) | (image & writable) | Reserved1;
}

// Real-address mode (vol. 2, IRET, REAL-ADDRESS-MODE): pop IP, CS, FLAGS; IP beyond the CS limit is #GP(0).
template <class T>
void iret_real(Cpu& c, u32 old) {
  constexpr u32 n = sizeof(T);
  const u32 ip = c.peek<T>(0);
  const u16 cs = static_cast<u16>(c.peek<T>(n));
  const u32 image = c.peek<T>(2 * n);
  if (ip > c.seg[CS].limit) raise_fault(Vector::GP, 0);
  const u32 f = sizeof(T) == 4 ? (image & kRealIretd) | (old & (VM | VIF | VIP))
                               : (old & ~kFlags16) | (image & kFlags16);
  c.set_esp_masked(c.gpr[ESP] + 3 * n);
  fill_real_mode_segment(c.seg[CS], cs, false);
  c.next_eip = ip;
  c.set_flags(f | Reserved1);
  c.charge(c.costs().events.iret);
  ++c.interrupt_stats.returns[0][0];
}

// IRET in virtual-8086 mode (vol. 2, IRET, "IF VM = 1"; vol. 3, 20.2.7): with IOPL = 3 it returns as in
// real mode, within the V86 task, and VM, IOPL, VIP and VIF keep their values; with IOPL < 3 it is #GP(0) to
// the monitor (no CR4.VME: the 386 and 486 have none).
template <class T>
void iret_v86(Cpu& c, u32 old) {
  constexpr u32 n = sizeof(T);
  if (iopl_of(old) != 3) raise_fault(Vector::GP, 0);
  const u32 ip = c.peek<T>(0);
  const u16 cs = static_cast<u16>(c.peek<T>(n));
  const u32 image = c.peek<T>(2 * n);
  if (ip > c.seg[CS].limit) raise_fault(Vector::GP, 0);
  const u32 kept = VM | IOPL | VIP | VIF | (sizeof(T) == 2 ? 0xFFFF0000u : 0);
  c.set_esp_masked(c.gpr[ESP] + 3 * n);
  fill_real_mode_segment(c.seg[CS], cs, true);
  c.next_eip = ip;
  c.set_flags((old & kept) | (image & ~kept & 0x003F7FD5u) | Reserved1);
  c.charge(c.costs().events.iret);
  ++c.interrupt_stats.returns[3][3];
}

// RETURN-TO-VIRTUAL-8086-MODE (vol. 2, IRET; vol. 3, 20.2.1): a 32-bit IRET at CPL 0 whose EFLAGS image
// has VM set pops, after EIP, CS and EFLAGS, the V86 task's ESP, SS, ES, DS, FS and GS (the frame that
// interrupt delivery from V86 built) and resumes at CPL 3 with real-mode style segments. EIP beyond the
// 64 KiB V86 code segment is #GP(0); a frame beyond the stack's limit is #SS(0) (the peeks).
void iret_to_v86(Cpu& c, u32 eip, u16 cs, u32 image) {
  u16 sel[kSegCount];
  const u32 esp = c.peek<u32>(12);
  sel[CS] = cs;
  sel[SS] = static_cast<u16>(c.peek<u32>(16));
  sel[ES] = static_cast<u16>(c.peek<u32>(20));
  sel[DS] = static_cast<u16>(c.peek<u32>(24));
  sel[FS] = static_cast<u16>(c.peek<u32>(28));
  sel[GS] = static_cast<u16>(c.peek<u32>(32));
  if (eip > 0xFFFF) raise_fault(Vector::GP, 0);
  const u8 from = c.cpl;
  const u16 from_cs = c.seg[CS].selector;
  c.set_flags((image & 0x003F7FD5u) | Reserved1);  // at CPL 0 every flag loads, VM, IOPL, VIF and VIP too
  for (u8 r = 0; r < kSegCount; ++r) fill_real_mode_segment(c.seg[r], sel[r], true);
  c.gpr[ESP] = esp;
  c.cpl = 3;
  c.next_eip = eip;
  c.charge(c.costs().events.iret_ring_change);
  ++c.interrupt_stats.returns[from][3];
  c.note_transition(TransitionCause::Iret, 0, from, from_cs, c.eip, eip);
}

// TASK-RETURN (vol. 2, IRET; vol. 3, 7.3): NT = 1 returns to the task named by the current TSS's back-link,
// which must be a busy TSS in the GDT (#TS(selector) otherwise, #NP(selector) if not present). The task
// being left becomes available again and its saved EFLAGS has NT clear.
void iret_task_return(Cpu& c) {
  if (c.tr.limit < 1) raise_fault(Vector::TS, selector_error(c.tr.selector));
  const u16 link = c.mmu().read<u16>(c.tr.base, false);
  Descriptor d;
  if ((link & 4) || !probe_descriptor(c, link, d) || !is_tss(d) || !tss_busy(d))
    raise_fault(Vector::TS, selector_error(link));
  if (!d.present()) raise_fault(Vector::NP, selector_error(link));
  const u8 from = c.cpl;
  if (task_switch(c, link, d, TaskSwitchSource::Iret, c.next_eip)) raise_trap(static_cast<u8>(Vector::DB));
  ++c.interrupt_stats.returns[from][c.cpl];
}

template <class T>
void iret(Cpu& c, const Insn&) {
  constexpr u32 n = sizeof(T);
  const u32 old = c.flags();
  c.end_nmi_blocking();  // every IRET, in every mode, even one that faults below (SDM vol. 3, 6.7.1)
  if (!(c.cr0 & 1)) return iret_real<T>(c, old);
  if (old & VM) return iret_v86<T>(c, old);
  if (old & NT) return iret_task_return(c);

  const u32 eip = c.peek<T>(0);
  const u16 cs_sel = static_cast<u16>(c.peek<T>(n));
  const u32 image = c.peek<T>(2 * n);
  if (n == 4 && (image & VM) && c.cpl == 0) return iret_to_v86(c, eip, cs_sel, image);

  // The return code segment (vol. 2, IRET, PROTECTED-MODE-RETURN): the same checks as a far RET's.
  Descriptor cs = check_return_code_segment(c, cs_sel);
  const u8 rpl = cs_sel & 3;

  // To an outer ring the frame also holds ESP and SS: SS must be a present, writable data segment with
  // RPL = DPL = the return CS's RPL (#GP(0) null, #GP(selector) otherwise, #SS(selector) not present).
  const bool outer = rpl > c.cpl;
  u32 esp = 0;
  u16 ss_sel = 0;
  Descriptor ss;
  if (outer) {
    esp = c.peek<T>(3 * n);
    ss_sel = static_cast<u16>(c.peek<T>(4 * n));
    ss = check_stack_segment(c, ss_sel, rpl, Vector::GP);
  }
  if (eip > cs.limit()) raise_fault(Vector::GP, 0);
  if (outer) mark_accessed(c, ss_sel, ss);  // may #PF on the GDT: before anything is committed

  // Commit. The flags are computed with the CPL and IOPL before the return.
  const u32 f = iret_flags<T>(c, old, n == 4 ? image : (old & 0xFFFF0000u) | image);
  const u8 from = c.cpl;
  const u16 from_cs = c.seg[CS].selector;
  load_code_segment(c, cs_sel, cs, rpl);
  if (outer) {
    fill_segment_cache(c.seg[SS], ss_sel, ss);
    c.set_esp_masked(esp);  // the new SS.B decides between ESP and SP
    null_inaccessible_data_segments(c);
  } else {
    c.set_esp_masked(c.gpr[ESP] + 3 * n);
  }
  c.next_eip = eip;
  c.set_flags(f);
  c.charge(outer ? c.costs().events.iret_ring_change : c.costs().events.iret);
  ++c.interrupt_stats.returns[from][rpl];
  c.note_transition(TransitionCause::Iret, 0, from, from_cs, c.eip, eip);
}

// CLI and STI (vol. 2, CLI/STI): always in real mode; in protected mode only if CPL <= IOPL, in virtual-8086
// mode only if IOPL = 3; else #GP(0) (ring1 models neither CR4.PVI nor CR4.VME, the VIF alternatives).
void require_if_privilege(const Cpu& c) {
  if (!(c.cr0 & 1)) return;
  const u8 iopl = iopl_of(c.eflags);
  if ((c.eflags & VM) ? iopl != 3 : c.cpl > iopl) raise_fault(Vector::GP, 0);
}

// IF is never lazily evaluated: the handlers change it in `eflags` directly.
void cli(Cpu& c, const Insn&) {
  require_if_privilege(c);
  c.eflags &= ~IF;
}

// STI with IF = 0 holds interrupts off until after the next instruction (SDM vol. 3, 6.8.3).
void sti(Cpu& c, const Insn&) {
  require_if_privilege(c);
  if (c.eflags & IF) return;
  c.eflags |= IF;
  c.set_interrupt_shadow();
}

bool build_iret(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  info.cost = CostClass::Branch;  // the microcode's cost is the cost profile's iret events
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, iret);
  return i.fn != nullptr;
}

template <Handler H>
bool build_flag(const DecodedInsn&, Insn& i, BuildInfo& info) {
  info.cost = CostClass::Simple;
  i.fn = H;
  return true;
}

}  // namespace

void register_interrupt_control(IsaTable& t) {
  // IRET changes CS, EIP, CPL and IF: it ends its block, so the run loop sees the new ring and any
  // interrupt the new IF admits.
  t.add(Mnemonic::IRET, &build_iret, true);
  t.add(Mnemonic::IRETD, &build_iret, true);
  t.add(Mnemonic::CLI, &build_flag<&cli>);
  t.add(Mnemonic::STI, &build_flag<&sti>);
}

}  // namespace ring1
