// Hardware task switching (SDM vol. 3, 7.3, tables 7-1 and 7-2; vol. 2, JMP, CALL, INT n and IRET,
// TASK-SWITCH). Everything that can fault in the old task is done first: the new TSS's limit, a read of
// every field the switch loads, and a probe of every page the switch writes (old TSS, new TSS back-link,
// the GDT's busy bits). Then the switch commits: old state saved, busy bits and NT updated, TR, CR3 and
// the registers loaded. Only then are the new task's LDT and segments checked, so their faults arrive in
// the new task, as table 7-1 says.
#include "cpu/task_switch.h"
#include "common/arch_bits.h"

#include "cpu/interrupts.h"

namespace ring1 {
namespace {

using namespace eflags;


// The two TSS layouts (figures 7-2 and 7-11): where the dynamic fields live and how wide they are.
struct TssLayout {
  bool wide;      // 32-bit TSS
  u32 min_limit;  // 7.2.2: 67H for a 32-bit TSS, 2BH for a 16-bit one
  u32 eip, eflags, gpr, seg, ldt;  // offsets; GPRs and selectors in encoding order, `step` bytes apart
  u32 gpr_step, seg_step;
  u32 segs;       // selectors saved: ES CS SS DS FS GS (32-bit) or ES CS SS DS (16-bit)
};
constexpr TssLayout kTss32{true, 0x67, 0x20, 0x24, 0x28, 0x48, 0x60, 4, 4, 6};
constexpr TssLayout kTss16{false, 0x2B, 0x0E, 0x10, 0x12, 0x22, 0x2A, 2, 2, 4};
constexpr u32 kCr3Offset = 0x1C, kTrapOffset = 0x64;

const TssLayout& layout_of(SystemType t) {
  return t == SystemType::Tss32Available || t == SystemType::Tss32Busy ? kTss32 : kTss16;
}

// The new task's state as read from its TSS before the switch commits.
struct TaskImage {
  u32 eip = 0, eflags = 0, cr3 = 0;
  u32 gpr[8] = {};
  u16 seg[kSegCount] = {};
  u16 ldt = 0;
  bool trap = false;  // the T bit (32-bit TSS only)
};

TaskImage read_image(Cpu& c, u32 base, const TssLayout& l) {
  Mmu& m = c.mmu();
  auto rd = [&](u32 off, u32 size) -> u32 {
    return size == 4 ? m.read<u32>(base + off, false) : m.read<u16>(base + off, false);
  };
  TaskImage t;
  t.eip = rd(l.eip, l.gpr_step);
  t.eflags = rd(l.eflags, l.gpr_step);
  for (u32 r = 0; r < 8; ++r) {
    t.gpr[r] = rd(l.gpr + r * l.gpr_step, l.gpr_step);
    // 7.6: a 16-bit TSS holds the low words only. The upper halves of the general registers read as all
    // ones after a switch to a 16-bit task on the Intel parts Bochs models this from; EIP and EFLAGS are
    // zero-extended.
    if (!l.wide) t.gpr[r] |= 0xFFFF0000u;
  }
  for (u32 s = 0; s < l.segs; ++s) t.seg[s] = static_cast<u16>(rd(l.seg + s * l.seg_step, 2));
  t.ldt = static_cast<u16>(rd(l.ldt, 2));
  if (l.wide) {
    t.cr3 = rd(kCr3Offset, 4);
    t.trap = rd(kTrapOffset, 2) & 1;
  } else {
    t.eflags &= 0xFFFFu;  // a 16-bit task cannot hold VM or any other upper flag
  }
  return t;
}

// Writes the dynamic fields of the running task to its TSS (7.3 step 7).
void save_state(Cpu& c, u32 base, const TssLayout& l, u32 eip, u32 flags) {
  Mmu& m = c.mmu();
  auto wr = [&](u32 off, u32 size, u32 v) {
    if (size == 4) m.write<u32>(base + off, v, false);
    else m.write<u16>(base + off, static_cast<u16>(v), false);
  };
  wr(l.eip, l.gpr_step, eip);
  wr(l.eflags, l.gpr_step, flags);
  for (u32 r = 0; r < 8; ++r) wr(l.gpr + r * l.gpr_step, l.gpr_step, c.gpr[r]);
  for (u32 s = 0; s < l.segs; ++s) wr(l.seg + s * l.seg_step, 2, c.seg[s].selector);
}

// A supervisor write probe of [lin, lin + len): the #PF, if any, comes before anything is written.
void probe_write(Cpu& c, u32 lin, u32 len) {
  c.mmu().translate(lin, Access::Write, false);
  c.mmu().translate(lin + len - 1, Access::Write, false);
}

u32 gdt_entry(const Cpu& c, u16 selector) { return c.gdtr.base + (selector & ~7u); }

// Sets (busy) or clears (available) the busy bit of the GDT's TSS descriptor for `selector` (7.2.2).
void set_busy(Cpu& c, u16 selector, bool busy) {
  const u32 at = gdt_entry(c, selector) + 4;
  const u32 hi = c.mmu().read<u32>(at, false);
  c.mmu().write<u32>(at, busy ? hi | (2u << 8) : hi & ~(2u << 8), false);
}

[[noreturn]] void ts(u16 selector) { raise_fault(Vector::TS, selector_error(selector)); }

// Table 7-1, "LDT segment selector of new task is valid" and "LDT of new task is present in memory": a
// null selector leaves the LDT unusable; anything else must be a present LDT descriptor in the GDT.
void load_task_ldt(Cpu& c, u16 selector) {
  if ((selector & ~3u) == 0) {
    c.ldtr = SystemSegment{selector, 0, 0, 0};
    return;
  }
  Descriptor d;
  if ((selector & 4) || !probe_descriptor(c, selector, d)) ts(selector);
  if (d.is_segment() || d.system_type() != SystemType::Ldt || !d.present()) ts(selector);
  c.ldtr = SystemSegment{selector, d.base(), d.limit(), d.access()};
}

// The new task's CS and SS, in table 7-1's order as far as each check can run once its descriptor is read:
// CS valid and DPL/RPL, SS valid, present (#SS), DPL = CPL, CS present (#NP), SS RPL = CPL.
void load_task_code_and_stack(Cpu& c, u16 cs_sel, u16 ss_sel) {
  const u8 cpl = cs_sel & 3;
  Descriptor cs, ss;
  if (!probe_descriptor(c, cs_sel, cs) || !cs.is_code()) ts(cs_sel);
  if (cs.conforming() ? cs.dpl() > cpl : cs.dpl() != cpl) ts(cs_sel);
  if (!probe_descriptor(c, ss_sel, ss) || !ss.writable()) ts(ss_sel);
  if (!ss.present()) raise_fault(Vector::SS, selector_error(ss_sel));
  if (ss.dpl() != cpl) ts(ss_sel);
  if (!cs.present()) raise_fault(Vector::NP, selector_error(cs_sel));
  if ((ss_sel & 3) != cpl) ts(ss_sel);
  mark_accessed(c, ss_sel, ss);
  fill_segment_cache(c.seg[SS], ss_sel, ss);
  load_code_segment(c, cs_sel, cs, cpl);
}

// DS, ES, FS, GS (table 7-1, last four rows): valid, readable, present (#NP), and DPL >= CPL (and RPL)
// unless conforming code. A null selector loads as null.
void load_task_data_segment(Cpu& c, SegReg r, u16 selector) {
  if ((selector & ~3u) == 0) return fill_null_segment(c.seg[r], selector);
  Descriptor d;
  if (!probe_descriptor(c, selector, d) || !d.is_segment()) ts(selector);
  if (!d.readable()) ts(selector);
  if (!d.present()) raise_fault(Vector::NP, selector_error(selector));
  if ((d.is_data() || !d.conforming()) && (d.dpl() < c.cpl || d.dpl() < (selector & 3))) ts(selector);
  mark_accessed(c, selector, d);
  fill_segment_cache(c.seg[r], selector, d);
}

}  // namespace

Descriptor resolve_task_gate(Cpu& c, const Descriptor& gate, u16& tss_selector, u32 ext) {
  tss_selector = gate.gate_selector();
  const u32 err = selector_error(tss_selector) | ext;
  Descriptor d;
  if ((tss_selector & 4) || !probe_descriptor(c, tss_selector, d)) raise_fault(Vector::GP, err);
  const SystemType t = d.system_type();
  if (d.is_segment() || (t != SystemType::Tss16Available && t != SystemType::Tss32Available))
    raise_fault(Vector::GP, err);
  if (!d.present()) raise_fault(Vector::NP, err);
  return d;
}

bool task_switch(Cpu& c, u16 selector, const Descriptor& tss, TaskSwitchSource source, u32 return_eip, u32 ext,
                 bool has_error, u32 error_code) {
  const TssLayout& nl = layout_of(tss.system_type());
  const TssLayout& ol = (c.tr.access & 8) ? kTss32 : kTss16;
  const u32 err = selector_error(selector) | ext;
  // Table 7-1, before the save point: the new TSS must be present (#NP) and cover its layout (#TS).
  if (!tss.present()) raise_fault(Vector::NP, err);
  if (tss.limit() < nl.min_limit) raise_fault(Vector::TS, err);

  // 7.3 step 4 and "checks that the old TSS, new TSS and all segment descriptors used in the task switch
  // are paged into system memory": read what will be loaded, probe what will be written.
  const u32 nbase = tss.base();
  const TaskImage img = read_image(c, nbase, nl);
  const bool nests = source == TaskSwitchSource::Call || source == TaskSwitchSource::Interrupt;
  probe_write(c, c.tr.base + ol.eip, ol.seg + ol.segs * ol.seg_step - ol.eip);
  if (nests) probe_write(c, nbase, 2);
  if (source != TaskSwitchSource::Iret) probe_write(c, gdt_entry(c, selector) + 4, 4);
  // A TR never loaded (selector 0, as after reset) has no descriptor whose busy bit could change.
  const bool leaves_old = (source == TaskSwitchSource::Jmp || source == TaskSwitchSource::Iret) &&
                          (c.tr.selector & ~3u) != 0;
  if (leaves_old) probe_write(c, gdt_entry(c, c.tr.selector) + 4, 4);

  // ---- the save point: from here on the switch completes, and faults belong to the new task ----
  const u8 from = c.cpl;
  const u16 from_cs = c.seg[CS].selector;
  const u32 from_eip = c.eip;
  const u16 old_tr = c.tr.selector;
  u32 saved_flags = c.flags();
  // Steps 5-6 (table 7-2): JMP and IRET leave the old task, so its busy bit clears; IRET also clears NT in
  // the image it saves. CALL and interrupts keep the old task busy: it is nested below the new one.
  if (leaves_old) set_busy(c, old_tr, false);
  if (source == TaskSwitchSource::Iret) saved_flags &= ~NT;
  save_state(c, c.tr.base, ol, return_eip, saved_flags);
  // Steps 8-9: a nested task links back to the old one and runs with NT set; the new TSS becomes busy.
  u32 flags = (img.eflags & ~(VIF | VIP)) | Reserved1;
  if (nests) {
    c.mmu().write<u16>(nbase, old_tr, false);
    flags |= NT;
  }
  if (source != TaskSwitchSource::Iret) set_busy(c, selector, true);
  c.tr = SystemSegment{selector, nbase, tss.limit(), static_cast<u16>(tss.access() | (2u << 8))};
  // 7.3: every task switch sets CR0.TS, so the new task's first FPU instruction can be trapped (#NM).
  c.set_cr0(c.cr0 | cr0::TS);
  // 7.2.1, "CR3 control register field": only a 32-bit TSS holds one. The load is a CR3 write to the TLB
  // model (a flush counted as such) and costs what MOV CR3 does, on top of the switch.
  if (nl.wide && (c.cr0 & cr0::PG)) {
    c.set_cr3(img.cr3);
    c.charge(c.costs().events.cr3_write);
  }

  // Step 11: the registers. Selectors first, with unusable caches, so that a fault below is reported with
  // the new task's selectors in place (its handler sees the state the TSS described).
  for (u32 r = 0; r < 8; ++r) c.gpr[r] = img.gpr[r];
  c.set_flags(flags);
  c.eip = c.next_eip = img.eip;
  for (u8 s = 0; s < kSegCount; ++s) fill_null_segment(c.seg[s], img.seg[s]);
  c.ldtr = SystemSegment{img.ldt, 0, 0, 0};
  c.cpl = (flags & VM) ? 3 : img.seg[CS] & 3;  // CPL is the new CS's RPL from here on, faults included
  c.charge(c.costs().events.task_switch);

  // Step 12 (table 7-1, after the save point): faults now arrive in the new task.
  load_task_ldt(c, img.ldt);
  if (flags & VM) {
    // A switch into virtual-8086 mode (20.2.5): segments are real-mode style, CPL 3.
    for (u8 s = 0; s < kSegCount; ++s) fill_real_mode_segment(c.seg[s], img.seg[s], true);
  } else {
    load_task_code_and_stack(c, img.seg[CS], img.seg[SS]);
    for (SegReg r : {DS, ES, FS, GS}) load_task_data_segment(c, r, img.seg[r]);
  }
  // Vol. 2, JMP/CALL/INT n: "IF EIP not within code segment limit THEN #GP(0)" in the new task.
  if (img.eip > c.seg[CS].limit) raise_fault(Vector::GP, ext);
  // An exception with an error code pushes it on the new task's stack, at the TSS's width (7.4 / 6.13).
  if (has_error) {
    if (nl.wide) c.push<u32>(error_code);
    else c.push<u16>(static_cast<u16>(error_code));
  }
  const TransitionCause cause = source == TaskSwitchSource::Iret ? TransitionCause::Iret
                                : source == TaskSwitchSource::Interrupt ? TransitionCause::Exception
                                                                        : TransitionCause::TaskSwitch;
  if (source != TaskSwitchSource::Interrupt) c.note_transition(cause, 0, from, from_cs, from_eip, img.eip);
  // 7.2.1, T flag: a debug trap before the new task's first instruction (DR6.BT, 17.2.3).
  if (img.trap) c.dr[6] |= 1u << 15;
  return img.trap;
}

}  // namespace ring1
