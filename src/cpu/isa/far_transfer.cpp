// Far JMP, CALL and RET: the control transfers that load CS (SDM vol. 2, JMP, CALL, RET; vol. 3, 5.8). In
// real and virtual-8086 mode CS is just selector * 16; in protected mode every privilege rule comes from the
// descriptor core (cpu/descriptors.cpp) and this file only moves data: the return frame, the inner stack of
// a call gate with its copied parameters, and the outer stack of a return. Each transfer reads and checks
// everything, then writes the stack, and commits registers last, so a fault leaves the instruction restartable.
#include "cpu/isa/far_transfer.h"

#include <fmt/format.h>

#include "cpu/descriptors.h"
#include "cpu/exec/operands.h"

namespace ring1 {
namespace {

// Task switches (a task gate or a TSS as the target) are outside ring1: stop with a report, EIP unchanged.
void task_switch_not_implemented(Cpu& c, const char* how, u16 selector) {
  c.not_modelled(fmt::format("task switch through {} selector {:#06x}", how, selector));
  c.next_eip = c.eip;
}

// Real mode and V86 mode: the target offset must be within the current CS limit (SDM vol. 2, JMP, "real-
// address mode: #GP if the target offset is beyond the code segment limit"); the new CS keeps its limit.
void real_mode_transfer(Cpu& c, u16 selector, u32 offset) {
  c.next_eip = offset;
  fill_real_mode_segment(c.seg[CS], selector, c.eflags & eflags::VM);
}

// Pushes CS and EIP as `size`-byte slots on the current stack; ESP moves only after both writes. With a
// 32-bit slot CS is zero-extended (SDM vol. 2, CALL: "padded with 16 high-order bits").
void push_return_frame(Cpu& c, u8 size, u16 cs, u32 eip) {
  const u32 m = c.stack_mask();
  const u32 sp = c.gpr[ESP];
  if (size == 4) {
    c.write<u32>(SS, (sp - 4) & m, cs);
    c.write<u32>(SS, (sp - 8) & m, eip);
  } else {
    c.write<u16>(SS, (sp - 2) & m, cs);
    c.write<u16>(SS, (sp - 4) & m, u16(eip));
  }
  c.set_esp_masked(sp - 2u * size);
}

u32 peek_slot(Cpu& c, u8 size, u32 depth) { return size == 4 ? c.peek<u32>(depth) : c.peek<u16>(depth); }

// CALL through a call gate to a more privileged, non-conforming segment (SDM vol. 3, 5.8.5, figure 5-13):
// the new SS:ESP comes from the TSS; onto it go the caller's SS and ESP, the gate's parameter count of
// dwords (32-bit gate) or words (16-bit gate) copied from the caller's stack in their order, then CS, EIP.
void call_inner(Cpu& c, const FarTarget& t) {
  u16 new_ss;
  u32 new_esp;
  tss_inner_stack(c, t.cpl, new_ss, new_esp);
  Descriptor ssd = check_stack_segment(c, new_ss, t.cpl, Vector::TS);
  Segment ss_cache;
  fill_segment_cache(ss_cache, new_ss, ssd);
  const u8 size = t.gate32 ? 4 : 2;
  const u32 mask = ssd.big() ? 0xFFFFFFFFu : 0xFFFFu;
  const u32 frame = size * (4u + t.params);
  const u32 top = new_esp & mask;
  const u32 sp = (top - frame) & mask;
  // "IF stack does not have room for parameters plus 16 bytes THEN #SS(SS selector)" (vol. 2, CALL).
  if (top < frame || sp < ss_cache.write_lo || u64(sp) + frame - 1 > ss_cache.write_hi)
    raise_fault(Vector::SS, selector_error(new_ss));
  u32 params[31];
  for (u8 k = 0; k < t.params; ++k) params[k] = peek_slot(c, size, k * size);  // caller's stack: #SS(0)
  Descriptor code = t.code;
  mark_accessed(c, t.cs, code);  // descriptor writes may #PF: before anything is committed
  mark_accessed(c, new_ss, ssd);
  // Everything that can fault has passed except the stack writes themselves, which touch only memory.
  const bool user = false;  // the inner ring is 0..2: supervisor accesses
  auto put = [&](u32 slot, u32 v) {
    const u32 lin = ss_cache.base + ((sp + slot * size) & mask);
    if (size == 4) c.mmu().write<u32>(lin, v, user);
    else c.mmu().write<u16>(lin, u16(v), user);
  };
  put(3u + t.params, c.seg[SS].selector);
  put(2u + t.params, c.gpr[ESP]);
  for (u8 k = 0; k < t.params; ++k) put(2u + k, params[k]);
  put(1, c.seg[CS].selector);
  put(0, c.next_eip);
  fill_segment_cache(c.seg[SS], new_ss, ssd);
  c.gpr[ESP] = mask == 0xFFFFu ? (new_esp & 0xFFFF0000u) | sp : sp;
  const u8 from = c.cpl;
  const u16 from_cs = c.seg[CS].selector;
  load_code_segment(c, t.cs, code, t.cpl);
  c.next_eip = t.eip;
  // A stack-switching gate call costs what an inner-ring exception delivery does: both read the TSS, load
  // and check two descriptors and build a frame on the new stack.
  c.charge(c.costs().events.exception_ring_change);
  c.note_transition(TransitionCause::FarCall, 0, from, from_cs, c.eip, t.eip);
}

void far_jump(Cpu& c, u16 selector, u32 offset) {
  if (!in_protected_mode(c)) {
    if (offset > c.seg[CS].limit) raise_fault(Vector::GP, 0);
    real_mode_transfer(c, selector, offset);
    return;
  }
  const FarTarget t = check_far_target(c, selector, offset, FarKind::Jmp);
  if (t.kind == FarTarget::Kind::Task) return task_switch_not_implemented(c, "far JMP to", selector);
  load_code_segment(c, t.cs, t.code, t.cpl);  // JMP never changes CPL (t.cpl == CPL)
  c.next_eip = t.eip;
}

void far_call(Cpu& c, u16 selector, u32 offset, u8 osize) {
  if (!in_protected_mode(c)) {
    if (offset > c.seg[CS].limit) raise_fault(Vector::GP, 0);
    push_return_frame(c, osize, c.seg[CS].selector, c.next_eip);
    real_mode_transfer(c, selector, offset);
    return;
  }
  const FarTarget t = check_far_target(c, selector, offset, FarKind::Call);
  if (t.kind == FarTarget::Kind::Task) return task_switch_not_implemented(c, "far CALL to", selector);
  if (t.inner) return call_inner(c, t);
  // Same privilege: a direct call uses the instruction's operand size, a gate call the gate's size.
  const u8 size = t.kind == FarTarget::Kind::Gate ? (t.gate32 ? 4 : 2) : osize;
  Descriptor code = t.code;
  mark_accessed(c, t.cs, code);
  push_return_frame(c, size, c.seg[CS].selector, c.next_eip);
  load_code_segment(c, t.cs, code, t.cpl);
  c.next_eip = t.eip;
}

// RET far [imm16] (SDM vol. 2, RET): pops EIP and CS; imm16 bytes of parameters are released from the
// caller's stack, and on a return to an outer ring also from the outer stack after ESP and SS are popped.
void far_return(Cpu& c, u8 osize, u16 release) {
  const u32 eip = peek_slot(c, osize, 0);
  const u16 cs = static_cast<u16>(peek_slot(c, osize, osize));
  if (!in_protected_mode(c)) {
    if (eip > c.seg[CS].limit) raise_fault(Vector::GP, 0);
    c.set_esp_masked(c.gpr[ESP] + 2u * osize + release);
    real_mode_transfer(c, cs, eip);
    return;
  }
  Descriptor code = check_return_code_segment(c, cs);
  const u8 rpl = cs & 3;
  if (rpl == c.cpl) {
    if (eip > code.limit()) raise_fault(Vector::GP, 0);
    mark_accessed(c, cs, code);
    c.set_esp_masked(c.gpr[ESP] + 2u * osize + release);
    load_code_segment(c, cs, code, rpl);
    c.next_eip = eip;
    return;
  }
  // Return to an outer ring: ESP and SS follow CS:EIP and the released parameters.
  const u32 depth = 2u * osize + release;
  const u32 new_esp = peek_slot(c, osize, depth);
  const u16 new_ss = static_cast<u16>(peek_slot(c, osize, depth + osize));
  Descriptor ssd = check_stack_segment(c, new_ss, rpl, Vector::GP);
  if (eip > code.limit()) raise_fault(Vector::GP, 0);
  mark_accessed(c, cs, code);
  mark_accessed(c, new_ss, ssd);
  const u8 from = c.cpl;
  const u16 from_cs = c.seg[CS].selector;
  load_code_segment(c, cs, code, rpl);
  fill_segment_cache(c.seg[SS], new_ss, ssd);
  c.gpr[ESP] = osize == 4 ? new_esp : (c.gpr[ESP] & 0xFFFF0000u) | (new_esp & 0xFFFF);
  c.set_esp_masked(c.gpr[ESP] + release);
  null_inaccessible_data_segments(c);
  c.next_eip = eip;
  c.charge(c.costs().events.iret_ring_change);  // the same work as an IRET to an outer ring
  c.note_transition(TransitionCause::FarRet, 0, from, from_cs, c.eip, eip);
}

// One handler per family and operand size: T is the offset's size (and the return frame's for direct
// calls); Mem says whether the far pointer is an immediate (ptr16:16/ptr16:32) or in memory (m16:16/m16:32,
// offset first, then the selector).
template <class T, bool Mem>
void far_pointer(Cpu& c, const Insn& i, u16& selector, u32& offset) {
  if constexpr (Mem) {
    const u32 ea = c.effective_address(i);
    offset = c.read<T>(i.seg, ea);
    selector = c.read<u16>(i.seg, ea + sizeof(T));
  } else {
    offset = i.imm;
    selector = i.imm2;
  }
}

template <class T, bool Mem>
void jmp_far(Cpu& c, const Insn& i) {
  u16 sel;
  u32 off;
  far_pointer<T, Mem>(c, i, sel, off);
  far_jump(c, sel, off);
}

template <class T, bool Mem>
void call_far(Cpu& c, const Insn& i) {
  u16 sel;
  u32 off;
  far_pointer<T, Mem>(c, i, sel, off);
  far_call(c, sel, off, sizeof(T));
}

template <class T>
void ret_far(Cpu& c, const Insn& i) {
  far_return(c, sizeof(T), static_cast<u16>(i.imm));
}

bool build_far(const DecodedInsn& d, Insn& i, BuildInfo& info, bool call) {
  if (d.operand_count != 1 || !is_far_pointer(d, d.op[0])) return false;
  const Operand& o = d.op[0];
  info.cost = CostClass::Complex;
  const bool mem = o.kind == OpKind::Mem;
  if (mem) {
    set_mem(i, o, d);
  } else {
    i.imm = o.imm;
    i.imm2 = o.ptr_selector;
  }
  const bool o16 = d.operand_size == 2;
  if (call)
    i.fn = o16 ? (mem ? &call_far<u16, true> : &call_far<u16, false>) : (mem ? &call_far<u32, true> : &call_far<u32, false>);
  else
    i.fn = o16 ? (mem ? &jmp_far<u16, true> : &jmp_far<u16, false>) : (mem ? &jmp_far<u32, true> : &jmp_far<u32, false>);
  return true;
}

}  // namespace

bool build_far_jmp(const DecodedInsn& d, Insn& i, BuildInfo& info) { return build_far(d, i, info, false); }
bool build_far_call(const DecodedInsn& d, Insn& i, BuildInfo& info) { return build_far(d, i, info, true); }

bool build_far_ret(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  info.cost = CostClass::Complex;
  i.imm = d.operand_count == 1 ? (d.op[0].imm & 0xFFFF) : 0;
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, ret_far);
  return i.fn != nullptr;
}

}  // namespace ring1
