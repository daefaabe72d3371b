// Stack-frame and flag-image instructions (SDM vol. 2): PUSHA/PUSHAD, POPA/POPAD, PUSHF/PUSHFD,
// POPF/POPFD, ENTER, LEAVE, and XLAT. T is the operand size throughout; the stack width is SS.B.
// Each handler probes or reads everything that can fault before it writes memory, and commits ESP/EBP last,
// so a faulting instruction restarts cleanly (SDM vol. 3, 6.5). POPF carries the protected-mode privilege
// rules that make IF silently unchangeable at CPL > IOPL, with no trap: x86's classic virtualisation hole.
#include "cpu/exec/flags.h"
#include "cpu/exec/operands.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

using namespace eflags;

// Raises the fault a stack access of `size` bytes at SS:off would raise, without touching memory.
// (With paging, a page-present probe belongs here too, once the MMU can fault.)
inline void probe_stack_write(Cpu& c, u32 off, u32 size) {
  const Segment& s = c.seg[SS];
  if (off < s.write_lo || u64(off) + (size - 1) > s.write_hi) [[unlikely]] c.segment_violation(SS);
}
inline void probe_stack_read(Cpu& c, u32 off, u32 size) {
  const Segment& s = c.seg[SS];
  if (off < s.read_lo || u64(off) + (size - 1) > s.read_hi) [[unlikely]] c.segment_violation(SS);
}

// PUSHA/PUSHAD: EAX ECX EDX EBX, the ESP from before the instruction, EBP ESI EDI (SDM vol. 2, PUSHA).
template <class T>
void pusha(Cpu& c, const Insn&) {
  constexpr u32 n = sizeof(T);
  const u32 m = c.stack_mask();
  const u32 sp = c.gpr[ESP] & m;
  for (u32 k = 1; k <= 8; ++k) probe_stack_write(c, (sp - k * n) & m, n);
  for (u8 r = EAX; r <= EDI; ++r) c.write<T>(SS, (sp - (r + 1u) * n) & m, c.reg<T>(gpr_offset(r)));
  c.set_esp_masked(sp - 8 * n);
}

// POPA/POPAD: the reverse, discarding the saved ESP slot (SDM vol. 2, POPA). All reads precede any commit.
template <class T>
void popa(Cpu& c, const Insn&) {
  constexpr u32 n = sizeof(T);
  const u32 m = c.stack_mask();
  const u32 sp = c.gpr[ESP] & m;
  T v[8];
  for (u8 r = EAX; r <= EDI; ++r)
    if (r != ESP) v[r] = c.read<T>(SS, (sp + (7u - r) * n) & m);
  for (u8 r = EAX; r <= EDI; ++r)
    if (r != ESP) c.set_reg<T>(gpr_offset(r), v[r]);
  c.set_esp_masked(sp + 8 * n);
}

// Virtual-8086 mode with IOPL < 3 makes PUSHF/POPF #GP(0) to the monitor (SDM vol. 2, PUSHF/POPF; no VME).
inline void v86_iopl_check(const Cpu& c) {
  if ((c.eflags & VM) && (c.eflags & IOPL) != IOPL) [[unlikely]] raise_fault(Vector::GP, 0);
}

// PUSHF/PUSHFD: the image has VM and RF cleared (SDM vol. 2, PUSHF); PUSHF pushes the low word.
template <class T>
void pushf(Cpu& c, const Insn&) {
  v86_iopl_check(c);
  c.push<T>(static_cast<T>(c.flags() & ~(VM | RF)));
}

// Flags POPF may write at CPL 0 in protected mode: every non-reserved flag except RF, VM, VIP, VIF.
// AC and ID are included (a Pentium-class processor with CPUID: software detects CPUID by toggling ID).
inline constexpr u32 kPopfWritable = CF | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT | AC | ID;
// Bits that exist: bit 1 reads as 1; bits 3, 5, 15 and 22-31 are reserved and read as 0 (SDM vol. 1, 3.4.3).
inline constexpr u32 kDefined = kPopfWritable | RF | VM | VIF | VIP;

// POPF/POPFD (SDM vol. 2, POPF, protected mode, VM = 0):
//   CPL = 0:           all writable flags change (IOPL and IF included);
//   0 < CPL <= IOPL:   IOPL is left unchanged, IF changes;
//   CPL > IOPL:        IOPL and IF are left unchanged, and no exception is raised.
// POPFD clears RF; POPF (16-bit) changes only bits 15:0. V86 with IOPL = 3: IOPL is left unchanged.
template <class T>
void popf(Cpu& c, const Insn&) {
  v86_iopl_check(c);
  const u32 v = c.peek<T>(0);
  u32 f = c.flags();
  u32 writable = kPopfWritable;
  if (f & VM) {
    writable &= ~IOPL;
  } else {
    const u8 iopl = static_cast<u8>((f & IOPL) >> 12);
    if (c.cpl > 0) writable &= ~IOPL;
    if (c.cpl > iopl) writable &= ~IF;
  }
  if constexpr (sizeof(T) == 2) writable &= 0xFFFFu;
  // The 386 has neither AC (a 486 addition) nor ID (CPUID): both stay 0, which is how software tells a 386
  // (SDM vol. 1, 19.1 "Using EFLAGS flags to distinguish between 32-bit IA-32 processors").
  if (c.model() == CpuModel::I386) writable &= ~(AC | ID);
  f = (f & ~writable) | (v & writable);
  if constexpr (sizeof(T) == 4) if (!(c.eflags & VM)) f &= ~RF;
  f = (f & kDefined) | Reserved1;
  c.set_esp_masked(c.gpr[ESP] + sizeof(T));
  c.set_flags(f);
}

// ENTER imm16, imm8 (SDM vol. 2, ENTER): push (E)BP; FrameTemp = (E)SP; with a nesting level L > 0 copy L-1
// frame pointers from the enclosing frame ([(E)BP - k*size], k = 1..L-1) and push FrameTemp; then (E)BP =
// FrameTemp and (E)SP -= imm16. Pushes and (E)BP use the operand size T; (E)SP and the reads of the old frame
// wrap at the stack width (SS.B), as the SDM's StackSize cases do. With a 32-bit operand size on a 16-bit
// stack, EBP receives the full ESP (upper half included), as Bochs and real processors do.
// Every access is probed first (reads of the old frame, every push, and the final (E)SP, which the SDM
// requires to lie inside SS: #SS(0)), then the pushes run in the SDM's order, so a read of the old frame
// that overlaps an earlier push sees it, exactly as the interleaved hardware sequence would.
template <class T>
void enter(Cpu& c, const Insn& i) {
  constexpr u32 n = sizeof(T);
  const u32 m = c.stack_mask();
  const u32 alloc = i.imm & 0xFFFFu;
  const u32 level = i.imm2 & 31u;  // the SDM takes the level MOD 32
  const u32 sp = c.gpr[ESP] & m;
  const u32 ebp = c.gpr[EBP];
  const u32 pushes = level == 0 ? 1 : level + 1;
  const u32 frame = (c.gpr[ESP] & ~m) | ((sp - n) & m);  // FrameTemp
  const u32 new_sp = (sp - pushes * n - alloc) & m;

  for (u32 k = 1; k < level; ++k) probe_stack_read(c, (ebp - k * n) & m, n);
  for (u32 k = 1; k <= pushes; ++k) probe_stack_write(c, (sp - k * n) & m, n);
  probe_stack_write(c, new_sp, n);

  c.write<T>(SS, (sp - n) & m, static_cast<T>(ebp));
  if (level > 0) {
    for (u32 k = 1; k < level; ++k) c.write<T>(SS, (sp - (k + 1) * n) & m, c.read<T>(SS, (ebp - k * n) & m));
    c.write<T>(SS, (sp - pushes * n) & m, static_cast<T>(frame));
  }
  // "#PF if ... a write using the final value of the stack pointer (within the current stack segment) would
  // cause a page fault" (SDM vol. 2, ENTER): the page holding the new top of stack is checked for a write at
  // the current privilege, after the pushes and before (E)BP and (E)SP change, so the instruction restarts.
  // test386.asm checks this with ENTER 1,0 at ring 3 and the final ESP on a supervisor page.
  if (c.mmu().paging()) c.mmu().translate(c.seg[SS].base + new_sp, Access::Write, c.cpl == 3);
  c.set_reg<T>(gpr_offset(EBP), static_cast<T>(frame));
  c.set_esp_masked(new_sp);
}

// LEAVE (SDM vol. 2): (E)SP = (E)BP at the stack width, then (E)BP = pop at the operand size.
template <class T>
void leave(Cpu& c, const Insn&) {
  const u32 sp = c.gpr[EBP] & c.stack_mask();
  T v = c.read<T>(SS, sp);
  c.set_esp_masked(sp + sizeof(T));
  c.set_reg<T>(gpr_offset(EBP), v);
}

// XLAT (SDM vol. 2): AL = [seg:(E)BX + zero-extended AL]; A is the address size (BX + AL wraps at 64 KiB).
template <class A>
void xlat(Cpu& c, const Insn& i) {
  const u8 s = i.seg;
  const A off = static_cast<A>(c.gpr[EBX] + (c.gpr[EAX] & 0xFFu));
  c.set_reg<u8>(gpr_offset(EAX), c.read<u8>(s, off));
}

bool build_pusha(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  info.cost = CostClass::Complex;
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, pusha);
  return i.fn != nullptr;
}

bool build_popa(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  info.cost = CostClass::Complex;
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, popa);
  return i.fn != nullptr;
}

bool build_pushf(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  info.cost = CostClass::Stack;
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, pushf);
  return i.fn != nullptr;
}

bool build_popf(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  info.cost = CostClass::Stack;
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, popf);
  return i.fn != nullptr;
}

bool build_enter(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2 || d.op[0].kind != OpKind::Imm || d.op[1].kind != OpKind::Imm) return false;
  i.imm = d.op[0].imm & 0xFFFFu;
  i.imm2 = static_cast<u16>(d.op[1].imm & 0xFFu);
  info.cost = CostClass::Complex;
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, enter);
  return i.fn != nullptr;
}

bool build_leave(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  info.cost = CostClass::Stack;
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, leave);
  return i.fn != nullptr;
}

bool build_xlat(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.opcode != 0xD7) return false;
  bool a16 = d.address_size == 2;
  i.amask = a16 ? 0xFFFFu : 0xFFFFFFFFu;
  i.seg = implicit_source_segment(d);
  info.cost = CostClass::Complex;
  i.fn = a16 ? &xlat<u16> : &xlat<u32>;
  return true;
}

}  // namespace

void register_stack_frame(IsaTable& t) {
  using M = Mnemonic;
  t.add(M::PUSHA, &build_pusha);
  t.add(M::PUSHAD, &build_pusha);
  t.add(M::POPA, &build_popa);
  t.add(M::POPAD, &build_popa);
  t.add(M::PUSHF, &build_pushf);
  t.add(M::PUSHFD, &build_pushf);
  // POPF can set IF or TF: end the block so the run loop sees the new flags at the next boundary.
  t.add(M::POPF, &build_popf, true);
  t.add(M::POPFD, &build_popf, true);
  t.add(M::ENTER, &build_enter);
  t.add(M::LEAVE, &build_leave);
  t.add(M::XLAT, &build_xlat);
}

}  // namespace ring1
