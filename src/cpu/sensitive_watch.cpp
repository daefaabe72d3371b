// The handler the decoder puts in front of every sensitive instruction (cpu/sensitive.h). In a ring the CPU
// watches (Cpu::sensitive_rings) it notes what the instruction is about to do, runs the instruction's own
// handler, and records what differed from ring 0; anywhere else it only calls that handler. An instruction
// that faults is not recorded: a fault is what a trap-and-emulate monitor sees, and these are about what
// it does not.
#include <algorithm>

#include "common/eflags.h"
#include "cpu/cpu.h"
#include "cpu/decode/decode_cache.h"
#include "cpu/descriptors.h"

namespace ring1 {

namespace {

using namespace eflags;

// Reads `size` bytes at SS:offset as the processor would see them, with no side effect (no TLB fill, no
// counter): what POPF and IRET are about to pop. False if they are not all in RAM (the instruction will then
// fault or stop by itself).
bool quiet_stack_read(Cpu& c, u32 offset, u32 size, u32& out) {
  out = 0;
  Mmu& mmu = c.mmu();
  for (u32 k = 0; k < size; ++k) {
    const u32 lin = c.seg[SS].base + ((offset + k) & c.stack_mask());
    u32 phys = lin;
    if (mmu.paging()) {
      const Translation t = mmu.probe(lin);
      if (!t.present) return false;
      phys = t.phys;
    }
    if (!mmu.ram().contains(phys, 1)) return false;
    out |= u32(*mmu.ram().host(phys)) << (8 * k);
  }
  return true;
}

u32 iopl_of(u32 f) { return (f & IOPL) >> 12; }

// POPF and IRET: the flags image `wanted` against the flags before (`old`) and after (`now`).
void classify_flag_load(SensitiveEvent& e, u32 old, u32 wanted, u32 now) {
  const u32 iopl = iopl_of(old);
  if (((wanted ^ old) & IF) && ((now ^ old) & IF) == 0) {
    e.effect = SensitiveEffect::IfChangeIgnored;
    e.a = ((old & IF) ? 1 : 0) | (iopl << 1);
    e.b = (wanted & IF) ? 1 : 0;
  } else if (((wanted ^ old) & IOPL) && ((now ^ old) & IOPL) == 0) {
    e.effect = SensitiveEffect::IoplChangeIgnored;
    e.a = iopl;
    e.b = iopl_of(wanted);
  } else if ((now ^ old) & IF) {
    e.effect = SensitiveEffect::RealIfChanged;
    e.a = ((old & IF) ? 1 : 0) | (iopl << 1);
    e.b = (now & IF) ? 1 : 0;
  }
}

// LAR/LSL/VERR/VERW: the same instruction again as if at CPL 0, to say whether the answer depended on the
// ring. Every register, the flags and the cycle count are put back, so the guest sees one execution.
bool zf_at_ring0(Cpu& c, const Insn& i, Handler original) {
  u32 saved_gpr[9];
  std::copy(std::begin(c.gpr), std::end(c.gpr), saved_gpr);
  const u32 saved_flags = c.flags();
  const Cycles saved_cycles = c.cycles;
  const u8 saved_cpl = c.cpl;
  const u32 saved_next = c.next_eip;
  bool zf = false;
  c.cpl = 0;
  try {
    original(c, i);
    zf = (c.flags() & ZF) != 0;
  } catch (const CpuFault&) {
    zf = false;  // the selector operand could not be read at all: no answer at either ring
  }
  c.cpl = saved_cpl;
  std::copy(std::begin(saved_gpr), std::end(saved_gpr), c.gpr);
  c.set_flags(saved_flags);
  c.cycles = saved_cycles;
  c.next_eip = saved_next;
  return zf;
}

}  // namespace

void exec_sensitive(Cpu& c, const Insn& i) {
  const SensitiveMark mark = c.decode_cache().sensitive_mark(&i);
  if (!mark.original) [[unlikely]] {
    c.ring1_bug("a marked sensitive instruction has no handler recorded");
    return;
  }
  const bool watched = ((c.sensitive_rings >> c.cpl) & 1) && in_protected_mode(c);
  if (!watched) {
    mark.original(c, i);
    return;
  }

  SensitiveEvent e;
  e.insn = mark.insn;
  e.cpl = c.cpl;
  e.cs = c.seg[CS].selector;
  e.eip = c.eip;
  const u32 old = c.flags();
  const bool o16 = (i.flags & insn_flag::Osize16) != 0;
  u32 wanted = old;
  bool have_wanted = false;
  if (mark.insn == SensitiveInsn::Popf) {
    have_wanted = quiet_stack_read(c, c.gpr[ESP], o16 ? 2 : 4, wanted);
    if (o16) wanted = (old & 0xFFFF0000u) | wanted;
  } else if (mark.insn == SensitiveInsn::Iret && !(old & NT)) {
    have_wanted = quiet_stack_read(c, c.gpr[ESP] + (o16 ? 4 : 8), o16 ? 2 : 4, wanted);
    if (o16) wanted = (old & 0xFFFF0000u) | wanted;
  }

  mark.original(c, i);  // a fault propagates from here, and nothing is recorded

  const u32 now = c.flags();
  switch (mark.insn) {
    case SensitiveInsn::Pushf:
      e.effect = SensitiveEffect::FlagsRevealed;
      e.a = old & ~(VM | RF);
      break;
    case SensitiveInsn::Popf:
    case SensitiveInsn::Iret:
      if (have_wanted) classify_flag_load(e, old, wanted, now);
      break;
    case SensitiveInsn::Cli:
    case SensitiveInsn::Sti:
      if ((now ^ old) & IF) classify_flag_load(e, old, now, now);
      break;
    case SensitiveInsn::Sgdt:
      e.effect = SensitiveEffect::TableRevealed;
      e.a = c.gdtr.base;
      e.b = c.gdtr.limit;
      break;
    case SensitiveInsn::Sidt:
      e.effect = SensitiveEffect::TableRevealed;
      e.a = c.idtr.base;
      e.b = c.idtr.limit;
      break;
    case SensitiveInsn::Sldt:
      e.effect = SensitiveEffect::SelectorRevealed;
      e.a = c.ldtr.selector;
      break;
    case SensitiveInsn::Str:
      e.effect = SensitiveEffect::SelectorRevealed;
      e.a = c.tr.selector;
      break;
    case SensitiveInsn::Smsw:
      e.effect = SensitiveEffect::Cr0Revealed;
      e.a = c.cr0 & 0xFFFFu;
      break;
    case SensitiveInsn::Lar:
    case SensitiveInsn::Lsl:
    case SensitiveInsn::Verr:
    case SensitiveInsn::Verw: {
      const bool zf = (now & ZF) != 0;
      const bool zf0 = zf_at_ring0(c, i, mark.original);
      e.b = (zf ? 1 : 0) | (zf0 ? 2 : 0);
      if (zf != zf0) e.effect = SensitiveEffect::AccessCheckDiffers;
      break;
    }
    case SensitiveInsn::PushCs:
    case SensitiveInsn::MovFromCs:
      e.effect = SensitiveEffect::RplShowsRing;
      e.a = c.seg[CS].selector;
      break;
    case SensitiveInsn::PushSs:
    case SensitiveInsn::MovFromSs:
      e.effect = SensitiveEffect::RplShowsRing;
      e.a = c.seg[SS].selector;
      break;
    case SensitiveInsn::Count:
      break;
  }

  e.cycle = c.cycles;
  SensitiveStats& s = c.sensitive_stats;
  ++s.total;
  ++s.by_insn[static_cast<size_t>(e.insn)];
  ++s.by_effect[static_cast<size_t>(e.effect)];
  ++s.by_ring[e.cpl];
  if (c.observer.sensitive) c.observer.sensitive(c.observer.context, e);
}

}  // namespace ring1
