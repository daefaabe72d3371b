#include "jit/block_compiler.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <xbyak/xbyak.h>

#include "cpu/decode/decode_cache.h"
#include "cpu/isa/ud.h"

namespace ring1::jit {
namespace {

// Byte offsets of the CPU state translated code reaches from rbx (the Cpu*). Taken from the object itself,
// so nothing here depends on Cpu's private layout.
struct Layout {
  i32 gpr, eip, next_eip, cycles, stop_at, lazy, cs_limit, cpl, seg0, eflags;
  i32 cs_base, cs_big, stretch_left, stretch_retired, block_begin, irq, ring, stop_armed, stop_eip;
  explicit Layout(Cpu& c) {
    const auto* base = reinterpret_cast<const char*>(&c);
    auto at = [&](const void* p) { return i32(reinterpret_cast<const char*>(p) - base); };
    gpr = at(c.gpr);
    eip = at(&c.eip);
    next_eip = at(&c.next_eip);
    cycles = at(&c.cycles);
    stop_at = at(c.deadline_address());
    lazy = at(&c.lazy);
    cs_limit = at(&c.seg[CS].limit);
    cpl = at(&c.cpl);
    seg0 = at(&c.seg[0]);
    eflags = at(&c.eflags);
    cs_base = at(&c.seg[CS].base);
    cs_big = at(&c.seg[CS].big);
    const Cpu::ChainView v = c.chain_view();
    stretch_left = at(v.stretch_left);
    stretch_retired = at(v.stretch_retired);
    block_begin = at(v.block_begin);
    irq = at(v.irq_requested);
    ring = at(v.stretch_ring);
    stop_armed = at(v.stop_eip_armed);
    stop_eip = at(v.stop_eip);
  }
};

// Byte offsets of the Block fields a chain reads, taken from an object as Layout's are.
struct BlockLayout {
  i32 phys, mode, bytes, jit_epoch, jit_chain;
  BlockLayout() {
    static const Block probe;
    const auto* base = reinterpret_cast<const char*>(&probe);
    auto at = [&](const void* p) { return i32(reinterpret_cast<const char*>(p) - base); };
    phys = at(&probe.phys);
    mode = at(&probe.mode);
    bytes = at(&probe.bytes);
    jit_epoch = at(&probe.jit_epoch);
    jit_chain = at(&probe.jit_chain);
  }
};
static_assert(sizeof(Block::phys) == 4 && sizeof(Block::mode) == 1 && sizeof(Block::bytes) == 4 &&
              sizeof(Block::jit_epoch) == 4 && sizeof(Segment::big) == 1);

// The lazy record's op, bits and carry bytes are written as one doubleword (the fourth byte is padding).
static_assert(offsetof(LazyFlags, res) == 0 && offsetof(LazyFlags, a) == 4 && offsetof(LazyFlags, b) == 8);
static_assert(offsetof(LazyFlags, op) == 12 && offsetof(LazyFlags, bits) == 13 && offsetof(LazyFlags, carry) == 14 &&
              sizeof(LazyFlags) == 16);
constexpr u32 lazy_tag(LazyOp op, u32 bits, u32 carry) { return u32(op) | (bits << 8) | (carry << 16); }

// A handler called from translated code. Guest exceptions are C++ exceptions, which must not unwind through
// frames without unwind tables: the trampoline catches, parks the exception and says so, and the translated
// code returns to the run loop, which raises it again with `i` on this instruction.
bool call_out(Cpu* c, const Insn* i, CallOutState* s) noexcept {
  s->dirty = true;
  try {
    i->fn(*c, *i);
    return false;
  } catch (...) {
    s->pending = std::current_exception();
    return true;
  }
}

u32 carry_of(const Cpu* c) { return c->carry(); }

// RET's #GP(0) for a return address beyond the CS limit (SDM vol. 2, RET), raised through call_out after
// the inline code has already read the address: calling RET's own handler would look the stack page up a
// second time and count that lookup twice.
void raise_gp0(Cpu&, const Insn&) { raise_fault(Vector::GP, 0); }
const Insn kRaiseGp0 = [] {
  Insn i{};
  i.fn = &raise_gp0;
  return i;
}();

enum class Kind : u8 {
  Call, Nop, MovRR, MovRI, AluRR, AluRI, IncDec, Lea, Jcc, Jmp, Load, StoreR, StoreI,
  AluRM, AluMR, AluMI,   // ADD..TEST with a 32-bit memory operand (read-modify-write, or read for CMP/TEST)
  ShiftI, RotateI,       // SHL/SHR/SAR and ROL/ROR r32 by an immediate count
  Push, Pop, CallRel, Ret,  // through SS with a 32-bit stack
};

struct Plan {
  Kind kind = Kind::Call;
  Mnemonic m = Mnemonic::Invalid;
  u8 cc = 0;  // Jcc: the condition code (the low nibble of its opcode)
  bool imm_operand = false;  // PUSH imm
};

// Jcc's condition code by mnemonic, in the opcode's order (SDM vol. 1, appendix B).
int condition_code(Mnemonic m) {
  using M = Mnemonic;
  static constexpr M kJcc[16] = {M::JO, M::JNO, M::JB,  M::JNB,  M::JZ, M::JNZ, M::JBE, M::JNBE,
                                 M::JS, M::JNS, M::JP,  M::JNP,  M::JL, M::JNL, M::JLE, M::JNLE};
  for (int k = 0; k < 16; ++k)
    if (kJcc[k] == m) return k;
  return -1;
}

bool gpr32(const Operand& o) { return o.kind == OpKind::Reg && o.reg_class == RegClass::Gpr32; }

// Which instructions are emitted inline: 32-bit register and immediate forms without prefixes whose handler
// is the ISA table's own (not #UD for this model, not the sensitive-instruction recorder).
Plan classify(const DecodedInsn& d, const Insn& i) {
  Plan p;
  p.m = d.mnemonic;
  constexpr u8 kPrefixes = insn_flag::Rep | insn_flag::Repne | insn_flag::Lock | insn_flag::Osize16;
  if ((i.flags & kPrefixes) || i.fn == &exec_ud || i.fn == &exec_sensitive || d.length != i.len) return p;
  using M = Mnemonic;
  switch (d.mnemonic) {
    case M::NOP:
      if (d.escape == 0 && d.opcode == 0x90) p.kind = Kind::Nop;
      break;
    case M::MOV:
      if (d.operand_count == 2 && gpr32(d.op[0])) {
        if (gpr32(d.op[1])) p.kind = Kind::MovRR;
        else if (d.op[1].kind == OpKind::Imm) p.kind = Kind::MovRI;
        else if (d.op[1].kind == OpKind::Mem && d.op[1].size == 4) p.kind = Kind::Load;
      } else if (d.operand_count == 2 && d.op[0].kind == OpKind::Mem && d.op[0].size == 4) {
        if (gpr32(d.op[1])) p.kind = Kind::StoreR;
        else if (d.op[1].kind == OpKind::Imm) p.kind = Kind::StoreI;
      }
      break;
    case M::ADD: case M::SUB: case M::AND: case M::OR: case M::XOR: case M::CMP: case M::TEST:
      if (d.operand_count == 2 && gpr32(d.op[0])) {
        if (gpr32(d.op[1])) p.kind = Kind::AluRR;
        else if (d.op[1].kind == OpKind::Imm) p.kind = Kind::AluRI;
        else if (d.op[1].kind == OpKind::Mem && d.op[1].size == 4) p.kind = Kind::AluRM;
      } else if (d.operand_count == 2 && d.op[0].kind == OpKind::Mem && d.op[0].size == 4) {
        if (gpr32(d.op[1])) p.kind = Kind::AluMR;
        else if (d.op[1].kind == OpKind::Imm) p.kind = Kind::AluMI;
      }
      break;
    case M::INC: case M::DEC:
      if (d.operand_count == 1 && gpr32(d.op[0])) p.kind = Kind::IncDec;
      break;
    case M::LEA:
      if (d.operand_count == 2 && gpr32(d.op[0]) && d.op[1].kind == OpKind::Mem) p.kind = Kind::Lea;
      break;
    case M::JMP:
      if (d.operand_count == 1 && d.op[0].kind == OpKind::Imm && d.operand_size == 4) p.kind = Kind::Jmp;
      break;
    case M::SHL: case M::SHR: case M::SAR:
      if (d.operand_count == 2 && gpr32(d.op[0]) && d.op[1].kind == OpKind::Imm) p.kind = Kind::ShiftI;
      break;
    case M::ROL: case M::ROR:
      if (d.operand_count == 2 && gpr32(d.op[0]) && d.op[1].kind == OpKind::Imm) p.kind = Kind::RotateI;
      break;
    case M::PUSH:
      if (d.operand_count == 1 && (gpr32(d.op[0]) || d.op[0].kind == OpKind::Imm) && d.operand_size == 4)
        p.kind = Kind::Push;
      p.imm_operand = d.op[0].kind == OpKind::Imm;
      break;
    case M::POP:
      if (d.operand_count == 1 && gpr32(d.op[0]) && d.operand_size == 4) p.kind = Kind::Pop;
      break;
    case M::CALL:
      if (d.operand_count == 1 && d.op[0].kind == OpKind::Imm && d.operand_size == 4) p.kind = Kind::CallRel;
      break;
    case M::RET:
      if (d.operand_size == 4 && (d.opcode == 0xC3 || d.opcode == 0xC2)) p.kind = Kind::Ret;
      break;
    default:
      if (const int cc = condition_code(d.mnemonic);
          cc >= 0 && d.operand_count == 1 && d.op[0].kind == OpKind::Imm && d.operand_size == 4) {
        p.kind = Kind::Jcc;
        p.cc = u8(cc);
      }
      break;
  }
  return p;
}

// What the flag record is known to hold at a point of the block, so INC/DEC can find CF inline and Jcc its
// condition. Shift: a 32-bit LazyOp::Shift record (CF in `carry`). Flags: no record (lazy.op None), EFLAGS
// holds the status flags itself.
enum class Known : u8 { Unknown, Logic, AddNoCarry, SubNoCarry, IncDec, Shift, Flags };

u32 flags_of(const Cpu* c) { return c->flags(); }

class Emitter : public Xbyak::CodeGenerator {
 public:
  Emitter(Cpu& cpu, const Block& b, u8* at, size_t room, CallOutState& state, u32 epoch)
      : Xbyak::CodeGenerator(room, at), cpu_(cpu), b_(b), L_(cpu), state_(state), epoch_(epoch) {}
  const void* chain_entry() const { return chain_entry_.getAddress(); }

  void emit(CompileStats& stats) {
    const auto& insns = b_.insns;
    const u32 n = u32(insns.size());
    std::vector<u32> rest(n + 1, 0);  // static cycles of instructions k.. n-1
    for (u32 k = n; k-- > 0;) rest[k] = rest[k + 1] + insns[k].cycles;

    Xbyak::Label body, decline, chain_out;
    push(rbx);
    mov(rbx, rdi);
    // Enter only if the block's own cycles fit before the deadline: then no inline instruction can reach
    // it, and each call out (which may charge more, or move the deadline) is followed by the same check.
    mov(rax, qword[rbx + L_.cycles]);
    add(rax, rest[0]);
    cmp(rax, qword[rbx + L_.stop_at]);
    jb(body, T_NEAR);
    xor_(eax, eax);
    jmp(epilogue_, T_NEAR);
    emit_chain_entry(n, rest[0], decline);
    L(body);
    mov(rax, reinterpret_cast<u64>(&state_.dirty));
    mov(byte[rax], 0);

    const u8* ram = cpu_.mmu().ram().host(0);
    u32 phys = b_.phys;
    const u32 page_end = (b_.phys | (kPageSize - 1)) + 1;
    for (u32 k = 0; k < n; ++k) {
      const Insn& i = insns[k];
      DecodedInsn d;
      const u32 avail = std::min<u32>(15, page_end - phys);
      Plan p;
      if (cpu_.decode_cache().decoder().decode(ram + phys, avail, b_.mode & 1, d) == DecodeStatus::Ok)
        p = classify(d, i);
      phys += i.len;
      if ((p.kind == Kind::Jcc || p.kind == Kind::Jmp) && k + 1 == n && emit_branch(k, p, i)) {
        ++stats.inline_insns;
        continue;
      }
      if (p.kind == Kind::Jcc || p.kind == Kind::Jmp) p.kind = Kind::Call;
      if (p.kind == Kind::AluRM || p.kind == Kind::AluMR || p.kind == Kind::AluMI) {
        emit_alu_memory(k, p, i, k + 1 < n ? rest[k + 1] : 0, k + 1 == n);
        ++stats.inline_insns;
        continue;
      }
      if (p.kind == Kind::Load || p.kind == Kind::StoreR || p.kind == Kind::StoreI) {
        emit_memory(k, p, i, k + 1 < n ? rest[k + 1] : 0, k + 1 == n);
        ++stats.inline_insns;
        continue;
      }
      if (p.kind == Kind::Push || p.kind == Kind::Pop || ((p.kind == Kind::CallRel || p.kind == Kind::Ret) &&
                                                          k + 1 == n)) {
        emit_stack(k, p, i, k + 1 < n ? rest[k + 1] : 0, k + 1 == n);
        ++stats.inline_insns;
        continue;
      }
      if (p.kind == Kind::CallRel || p.kind == Kind::Ret) p.kind = Kind::Call;
      if (p.kind == Kind::Call) {
        emit_call(k, i, k + 1 < n ? rest[k + 1] : 0, k + 1 == n);
        ++stats.call_insns;
        continue;
      }
      emit_inline(p, i);
      pend_len_ += i.len;
      pend_cycles_ += i.cycles;
      ++stats.inline_insns;
    }
    flush();
    // Falling through (a Jcc not taken; a handler's branch leaves `dirty`); an inline RET's target is
    // known only at run time.
    emit_exit(n, ends_in_ret_ ? kNoDelta : i64(b_.bytes));
    if (has_taken_exit_) {
      L(exit_taken_);
      emit_exit(n, taken_delta_);
    }
    L(decline);  // a block chained into this one, but this one may not start: the other's count
    mov(eax, esi);
    L(epilogue_);
    pop(rbx);
    ret();
    for (auto& [label, value] : exits_) {
      L(*label);
      mov(eax, value);
      jmp(epilogue_, T_NEAR);
    }
    align(8);
    for (auto& cell : cells_) {
      L(*cell);
      dq(0);
    }
  }

 private:
  Xbyak::Address reg32(u8 byte_offset) { return dword[rbx + L_.gpr + byte_offset]; }
  Xbyak::Address lazy(i32 off, int size) {
    return size == 4 ? dword[rbx + L_.lazy + off] : qword[rbx + L_.lazy + off];
  }

  // EIP and the cycle counter of inline instructions are added up and stored before anything that can see
  // them (a call out, the block's end).
  void flush() {
    if (pend_len_) add(dword[rbx + L_.eip], pend_len_);
    if (pend_cycles_) add(qword[rbx + L_.cycles], pend_cycles_);
    pend_len_ = 0;
    pend_cycles_ = 0;
  }

  // The block retired in full: find the block the run loop would fetch next, as Cpu::fetch_block's fast
  // path does (EIP inside CS, the fetch latch or flat RAM, the decode cache's slot, the block inside CS), and
  // jump into its translation if it has one of this arena's epoch. Only where the loop would go straight on
  // to offer it in full: chaining allowed for this entry, no interrupt line up (the loop looks for one IF
  // admits after each block), the same ring. The target's chain entry checks the deadline, the step budget
  // and the stop address, and takes the retired count (rcx) and this block's count (esi). Anything else
  // returns n to the run loop, which does the same work itself.
  // The block's end with EIP stored: next_eip as the loop leaves it, then on to the next block. `delta`:
  // the next EIP minus the block's own entry EIP when it is fixed here (a fall-through, a direct branch).
  // If no handler ran in this block (CS, CPL, paging and the fetch latch are as when the block was
  // fetched) and the target lies in the block's own page, its physical address is the block's plus
  // delta; a cell remembers the block found there last time, and checking it against the decode cache's
  // slot for that address, its epoch and the CS limit replaces the whole lookup.
  void emit_exit(u32 n, i64 delta) {
    mov(eax, dword[rbx + L_.eip]);
    mov(dword[rbx + L_.next_eip], eax);
    const i64 offset = i64(b_.phys & (kPageSize - 1)) + delta;
    const u32 target = b_.phys + u32(delta);
    const Mmu::FastPathState fp = cpu_.mmu().fast_path_state();
    if (delta == kNoDelta || offset < 0 || offset >= i64(kPageSize) || u64(target) + 1 > *fp.ram_size) {
      emit_chain_out(n, nullptr);
      return;
    }
    const BlockLayout B;
    Xbyak::Label full;
    cells_.push_back(std::make_unique<Xbyak::Label>());
    Xbyak::Label& cell = *cells_.back();
    mov(rax, reinterpret_cast<u64>(&state_));
    cmp(byte[rax + i32(offsetof(CallOutState, dirty))], 0);
    jne(full, T_NEAR);
    cmp(byte[rax + i32(offsetof(CallOutState, may_chain))], 0);
    je(full, T_NEAR);
    cmp(byte[rbx + L_.irq], 0);
    jne(full, T_NEAR);
    mov(rdx, qword[rip + cell]);
    test(rdx, rdx);
    jz(full, T_NEAR);
    mov(rax, reinterpret_cast<u64>(cpu_.decode_cache().fast_slots() + DecodeCache::slot(target)));
    cmp(rdx, qword[rax]);
    jne(full, T_NEAR);
    cmp(dword[rdx + B.phys], target);
    jne(full, T_NEAR);
    cmp(byte[rdx + B.mode], b_.mode);
    jne(full, T_NEAR);
    emit_jump_into(n, full, nullptr);
    L(full);
    emit_chain_out(n, &cell);
  }

  // The last steps of both ways out into the next block (rdx: that block, found and of this mode): a
  // translation of this arena's epoch, the whole block inside CS, a chain entry; then `cell` (if any)
  // remembers it and the jump carries the stretch's retired count (rcx) and this block's count (esi).
  // Anything else goes to `fail`.
  void emit_jump_into(u32 n, Xbyak::Label& fail, Xbyak::Label* cell) {
    const BlockLayout B;
    cmp(dword[rdx + B.jit_epoch], epoch_);
    jne(fail, T_NEAR);
    mov(ecx, dword[rbx + L_.eip]);
    mov(eax, dword[rdx + B.bytes]);
    lea(rcx, ptr[rcx + rax - 1]);
    mov(eax, dword[rbx + L_.cs_limit]);
    cmp(rcx, rax);
    ja(fail, T_NEAR);
    mov(rax, qword[rdx + B.jit_chain]);
    test(rax, rax);
    jz(fail, T_NEAR);
    if (cell) mov(qword[rip + *cell], rdx);
    mov(rcx, qword[rbx + L_.stretch_retired]);
    add(rcx, n);
    mov(esi, n);
    jmp(rax);
  }

  void emit_chain_out(u32 n, Xbyak::Label* cell) {
    const Mmu::FastPathState fp = cpu_.mmu().fast_path_state();
    const BlockLayout B;
    Xbyak::Label back, flat, supervisor;
    mov(rdx, reinterpret_cast<u64>(&state_.may_chain));
    cmp(byte[rdx], 0);
    je(back, T_NEAR);
    cmp(byte[rbx + L_.irq], 0);
    jne(back, T_NEAR);
    mov(al, byte[rbx + L_.cpl]);
    cmp(al, byte[rbx + L_.ring]);
    jne(back, T_NEAR);
    mov(eax, dword[rbx + L_.eip]);
    cmp(eax, dword[rbx + L_.cs_limit]);
    ja(back, T_NEAR);
    add(eax, dword[rbx + L_.cs_base]);  // the linear address, zero-extended in rax
    mov(rdx, reinterpret_cast<u64>(fp.paging));
    cmp(byte[rdx], 0);
    je(flat, T_NEAR);
    mov(ecx, eax);
    and_(ecx, ~(kPageSize - 1));
    cmp(byte[rbx + L_.cpl], 3);
    jne(supervisor, T_NEAR);
    or_(ecx, 1);
    L(supervisor);
    mov(rdx, reinterpret_cast<u64>(fp.fetch_tag));
    cmp(ecx, dword[rdx]);
    jne(back, T_NEAR);
    and_(eax, kPageSize - 1);
    mov(rdx, reinterpret_cast<u64>(fp.fetch_phys_page));
    or_(eax, dword[rdx]);
    L(flat);  // rax: the physical address
    mov(rdx, reinterpret_cast<u64>(fp.ram_size));
    cmp(rax, qword[rdx]);
    jae(back, T_NEAR);
    mov(ecx, eax);
    shr(ecx, 14);
    xor_(ecx, eax);
    and_(ecx, DecodeCache::kFastSlots - 1);
    static_assert(DecodeCache::kFastSlots == 1u << 14);  // DecodeCache::slot()
    mov(rdx, reinterpret_cast<u64>(cpu_.decode_cache().fast_slots()));
    mov(rdx, qword[rdx + rcx * 8]);
    test(rdx, rdx);
    jz(back, T_NEAR);
    cmp(dword[rdx + B.phys], eax);
    jne(back, T_NEAR);
    mov(cl, byte[rbx + L_.cs_big]);
    cmp(byte[rdx + B.mode], cl);
    jne(back, T_NEAR);
    emit_jump_into(n, back, cell);
    L(back);
    mov(eax, n);
    jmp(epilogue_, T_NEAR);
  }

  // Where a chain arrives (rcx: the stretch's retired count with the block before, esi: that block's count).
  // This block starts only where the run loop would offer it in full: its cycles fit before the deadline
  // (so the one before did not reach it), its instructions fit in the step budget, the stop address is not
  // inside it. Then it becomes the current block; otherwise the block before returns its count.
  void emit_chain_entry(u32 n, u32 cycles, Xbyak::Label& decline) {
    Xbyak::Label go;
    L(chain_entry_);
    mov(rax, qword[rbx + L_.cycles]);
    add(rax, cycles);
    cmp(rax, qword[rbx + L_.stop_at]);
    jae(decline, T_NEAR);
    mov(rax, qword[rbx + L_.stretch_left]);
    sub(rax, rcx);
    cmp(rax, n);
    jb(decline, T_NEAR);
    cmp(byte[rbx + L_.stop_armed], 0);
    je(go, T_NEAR);
    mov(eax, dword[rbx + L_.stop_eip]);
    sub(eax, dword[rbx + L_.eip]);
    cmp(eax, b_.bytes);
    jb(decline, T_NEAR);
    L(go);
    mov(qword[rbx + L_.stretch_retired], rcx);
    mov(rax, reinterpret_cast<u64>(b_.insns.data()));
    mov(qword[rbx + L_.block_begin], rax);
    mov(rdx, reinterpret_cast<u64>(&state_));
    mov(rax, reinterpret_cast<u64>(&b_));
    mov(qword[rdx + i32(offsetof(CallOutState, current))], rax);
    inc(qword[rdx + i32(offsetof(CallOutState, chains))]);
  }

  Xbyak::Label& exit_with(u32 value) {
    exits_.emplace_back(std::make_unique<Xbyak::Label>(), value);
    return *exits_.back().first;
  }

  // The run loop's step for one instruction: next_eip = eip + len; fn(); eip = next_eip; cycles += cost;
  // then stop if the deadline could be reached before the block's end.
  // `callee`, when given, runs instead of i's handler (kRaiseGp0).
  void emit_call(u32 k, const Insn& i, u32 rest_cycles, bool last, const Insn* callee = nullptr) {
    flush();
    mov(eax, dword[rbx + L_.eip]);
    add(eax, i.len);
    mov(dword[rbx + L_.next_eip], eax);
    mov(rdi, rbx);
    mov(rsi, reinterpret_cast<u64>(callee ? callee : &i));
    mov(rdx, reinterpret_cast<u64>(&state_));
    mov(rax, reinterpret_cast<u64>(&call_out));
    call(rax);
    test(al, al);
    jnz(exit_with(k), T_NEAR);
    mov(eax, dword[rbx + L_.next_eip]);
    mov(dword[rbx + L_.eip], eax);
    add(qword[rbx + L_.cycles], i.cycles);
    known_ = Known::Unknown;
    if (last) return;
    mov(rax, qword[rbx + L_.cycles]);
    if (rest_cycles) add(rax, rest_cycles);
    cmp(rax, qword[rbx + L_.stop_at]);
    jae(exit_with(k + 1), T_NEAR);
  }

  // The host condition that holds when guest condition `cc` does, read from the flag record whose kind the
  // block's own inline instructions fixed; false when that needs the full flags (the handler is called).
  // Compares are left in the host flags for the returned jump.
  bool condition(u8 cc, Xbyak::Label& taken) {
    const u8 k = cc >> 1;
    const bool negate = cc & 1;
    auto res_zero = [&] { cmp(lazy(0, 4), 0); };
    auto a_vs_b = [&] {
      mov(eax, lazy(4, 4));
      cmp(eax, lazy(8, 4));
    };
    if (known_ == Known::Unknown) return false;
    if (known_ == Known::Flags) {  // EFLAGS itself: O, B, Z and S are one bit each
      static constexpr u32 kBit[8] = {eflags::OF, eflags::CF, eflags::ZF, 0, eflags::SF, 0, 0, 0};
      if (!kBit[k]) return false;
      test(dword[rbx + L_.eflags], kBit[k]);
      negate ? jz(taken, T_NEAR) : jnz(taken, T_NEAR);
      return true;
    }
    if (known_ == Known::Shift && k == 1) {  // B: the record's carry
      cmp(byte[rbx + L_.lazy + 14], 0);
      negate ? je(taken, T_NEAR) : jne(taken, T_NEAR);
      return true;
    }
    if (k == 2) {  // Z: res == 0, whatever the record's kind
      res_zero();
      negate ? jne(taken, T_NEAR) : je(taken, T_NEAR);
      return true;
    }
    if (k == 4) {  // S: the result's sign bit (32-bit records only here)
      res_zero();
      negate ? jns(taken, T_NEAR) : js(taken, T_NEAR);
      return true;
    }
    if (known_ == Known::SubNoCarry) {  // a - b: B a < b, BE a <= b, L and LE signed
      switch (k) {
        case 1: a_vs_b(); negate ? jae(taken, T_NEAR) : jb(taken, T_NEAR); return true;
        case 3: a_vs_b(); negate ? ja(taken, T_NEAR) : jbe(taken, T_NEAR); return true;
        case 6: a_vs_b(); negate ? jge(taken, T_NEAR) : jl(taken, T_NEAR); return true;
        case 7: a_vs_b(); negate ? jg(taken, T_NEAR) : jle(taken, T_NEAR); return true;
        default: return false;
      }
    }
    if (known_ == Known::Logic) {  // CF = OF = 0: O and B never, BE is ZF, L is SF, LE is ZF or SF
      switch (k) {
        case 0:
        case 1:
          if (negate) jmp(taken, T_NEAR);
          return true;
        case 3: res_zero(); negate ? jne(taken, T_NEAR) : je(taken, T_NEAR); return true;
        case 6: res_zero(); negate ? jns(taken, T_NEAR) : js(taken, T_NEAR); return true;
        case 7: res_zero(); negate ? jg(taken, T_NEAR) : jle(taken, T_NEAR); return true;
        default: return false;
      }
    }
    return false;
  }

  // A block-ending JMP rel32 or Jcc rel32 inline: not taken, EIP moves past it; taken, to the target after
  // the CS limit check (SDM vol. 2, Jcc), which on failure calls the handler to raise #GP as it would.
  bool emit_branch(u32 k, const Plan& p, const Insn& i) {
    Xbyak::Label taken, done, slow;
    flush();
    if (p.kind == Kind::Jcc) {
      if (!condition(p.cc, taken)) return false;
      add(dword[rbx + L_.eip], i.len);
      add(qword[rbx + L_.cycles], i.cycles);
      jmp(done, T_NEAR);
    }
    L(taken);
    mov(eax, dword[rbx + L_.eip]);
    add(eax, u32(i.len + i.imm));
    cmp(eax, dword[rbx + L_.cs_limit]);
    ja(slow, T_NEAR);
    mov(dword[rbx + L_.eip], eax);
    add(qword[rbx + L_.cycles], i.cycles);
    jmp(exit_taken_, T_NEAR);
    has_taken_exit_ = true;
    taken_delta_ = i64(b_.bytes) + i64(i32(i.imm));
    L(slow);
    emit_call(k, i, 0, true);
    L(done);
    return true;
  }

  // eax = the effective address of i's memory operand (Cpu::effective_address).
  void effective_address(const Insn& i) {
    if (i.base != kNoReg) mov(eax, reg32(u8(i.base * 4)));
    else xor_(eax, eax);
    if (i.index != kNoReg) {
      mov(ecx, reg32(u8(i.index * 4)));
      if (i.scale) shl(ecx, i.scale);
      add(eax, ecx);
    }
    if (i.disp) add(eax, i.disp);
    if (i.amask != 0xFFFFFFFFu) and_(eax, i.amask);
  }

  // A 4-byte access at segment offset eax through segment `sg_index`, along Cpu::read/write's and
  // Mmu::read/write's fast paths: the segment's bounds, then flat RAM (stores: no decoded code in either
  // frame) or the DTLB hint (one compare, the rights at CPL 3, the lookup counted and the entry's age set,
  // stores: no code in the frame). Leaves the host address in rdx + rax; anything else jumps to `slow`
  // before anything has been changed. Clobbers rcx, rdx, rsi, rdi, r8.
  // `modify`: a read-modify-write (Cpu::modify), which needs both segment ranges and the write hint, and
  // counts two DTLB lookups on its one translation as Mmu::modify_host does.
  void emit_translate(u8 sg_index, bool store, Xbyak::Label& slow, bool modify = false) {
    const Mmu::FastPathState fp = cpu_.mmu().fast_path_state();
    const i32 sg = L_.seg0 + i32(sg_index * sizeof(Segment));
    Xbyak::Label paged, have;
    if (modify) store = true;
    cmp(eax, dword[rbx + sg + i32(store ? offsetof(Segment, write_lo) : offsetof(Segment, read_lo))]);
    jb(slow, T_NEAR);
    lea(rcx, ptr[rax + 3]);
    mov(edx, dword[rbx + sg + i32(store ? offsetof(Segment, write_hi) : offsetof(Segment, read_hi))]);
    cmp(rcx, rdx);
    ja(slow, T_NEAR);
    if (modify) {
      cmp(eax, dword[rbx + sg + i32(offsetof(Segment, read_lo))]);
      jb(slow, T_NEAR);
      mov(edx, dword[rbx + sg + i32(offsetof(Segment, read_hi))]);
      cmp(rcx, rdx);
      ja(slow, T_NEAR);
    }
    add(eax, dword[rbx + sg + i32(offsetof(Segment, base))]);  // the linear address, zero-extended in rax
    mov(rdx, reinterpret_cast<u64>(fp.paging));
    cmp(byte[rdx], 0);
    jne(paged, T_NEAR);
    // Flat: lin + 4 <= the RAM size (0 while pages are watched).
    lea(rcx, ptr[rax + 4]);
    mov(rdx, reinterpret_cast<u64>(fp.flat_limit));
    cmp(rcx, qword[rdx]);
    ja(slow, T_NEAR);
    if (store) {
      mov(rdx, reinterpret_cast<u64>(fp.code));
      mov(rdx, qword[rdx]);
      mov(ecx, eax);
      shr(ecx, kPageShift);
      mov(r8b, byte[rdx + rcx]);
      lea(ecx, ptr[rax + 3]);
      shr(ecx, kPageShift);
      or_(r8b, byte[rdx + rcx]);
      jnz(slow, T_NEAR);
    }
    mov(rdx, reinterpret_cast<u64>(fp.host));
    mov(rdx, qword[rdx]);
    jmp(have, T_NEAR);
    // Paged: the hint of lin's page, for the page of the access's last byte.
    L(paged);
    mov(ecx, eax);
    shr(ecx, kPageShift - 5);
    and_(ecx, (TlbArray::kHintSlots - 1) << 5);
    mov(rdx, reinterpret_cast<u64>(fp.dtlb_hints));
    add(rdx, rcx);
    lea(ecx, ptr[rax + 3]);
    and_(ecx, ~(kPageSize - 1));
    cmp(ecx, dword[rdx + i32(store ? offsetof(TlbHint, write_page) : offsetof(TlbHint, read_page))]);
    jne(slow, T_NEAR);
    Xbyak::Label rights_ok;
    cmp(byte[rbx + L_.cpl], 3);
    jne(rights_ok, T_NEAR);
    test(byte[rdx + i32(offsetof(TlbHint, perm))], store ? tlb_perm::UserWrite : tlb_perm::UserRead);
    jz(slow, T_NEAR);
    L(rights_ok);
    mov(rsi, qword[rdx + i32(offsetof(TlbHint, entry))]);
    if (store) {  // a frame holding decoded code: the handler's store drops it (self-modifying code)
      mov(ecx, dword[rsi + i32(offsetof(TlbEntry, frame))]);
      shr(ecx, kPageShift);
      mov(rdi, reinterpret_cast<u64>(fp.code));
      mov(rdi, qword[rdi]);
      cmp(byte[rdi + rcx], 0);
      jne(slow, T_NEAR);
    }
    mov(rdi, reinterpret_cast<u64>(fp.dtlb_lookups));
    mov(rcx, qword[rdi]);
    if (modify) add(rcx, 2);
    else inc(rcx);
    mov(qword[rdi], rcx);
    mov(qword[rsi + i32(offsetof(TlbEntry, age))], rcx);
    mov(rdx, qword[rdx + i32(offsetof(TlbHint, host_base))]);
    L(have);  // rdx + rax: the host address
  }

  // The slow path of an inline instruction that touches memory: the handler from the start (nothing has
  // happened before the jump), with the flag record's kind kept if the instruction leaves it alone.
  void emit_slow(u32 k, const Insn& i, u32 rest_cycles, bool last, Xbyak::Label& slow, Xbyak::Label& join,
                 bool keeps_flags) {
    L(slow);
    const Known before = known_;
    emit_call(k, i, rest_cycles, last);
    if (keeps_flags) known_ = before;
    L(join);
  }

  // The same for an instruction whose fast path leaves EIP and the cycle count pending (begun with
  // `pending` = the pending sums before it, nothing flushed): the slow path stores the sums first, as any
  // call out does, and afterwards takes back the instruction's own length and cost and the earlier sums,
  // so both paths reach `join` with the same state in memory and the same sums pending (the handler's
  // extra cycles, a walk's, stay charged).
  struct Pending {
    u32 len, cycles;
  };
  Pending begin_pending() const { return {pend_len_, pend_cycles_}; }
  void emit_slow_pending(u32 k, const Insn& i, u32 rest_cycles, bool last, Xbyak::Label& slow, Xbyak::Label& join,
                         bool keeps_flags, Pending before) {
    L(slow);
    const Known kind = known_;
    pend_len_ = before.len;
    pend_cycles_ = before.cycles;
    emit_call(k, i, rest_cycles, last);
    sub(dword[rbx + L_.eip], before.len + i.len);
    sub(qword[rbx + L_.cycles], before.cycles + i.cycles);
    if (keeps_flags) known_ = kind;
    L(join);
    pend_len_ = before.len + i.len;
    pend_cycles_ = before.cycles + i.cycles;
  }

  // MOV r32, m32 and MOV m32, r32/imm32 (emit_translate's fast path, the handler otherwise).
  void emit_memory(u32 k, const Plan& p, const Insn& i, u32 rest_cycles, bool last) {
    const bool store = p.kind != Kind::Load;
    Xbyak::Label slow, join;
    const Pending before = begin_pending();
    effective_address(i);
    emit_translate(i.seg, store, slow);
    if (p.kind == Kind::Load) {
      mov(ecx, dword[rdx + rax]);
      mov(reg32(i.r1), ecx);
    } else if (p.kind == Kind::StoreR) {
      mov(ecx, reg32(i.r2));
      mov(dword[rdx + rax], ecx);
    } else {
      mov(dword[rdx + rax], i.imm);
    }
    jmp(join, T_NEAR);
    emit_slow_pending(k, i, rest_cycles, last, slow, join, true, before);
  }

  // PUSH r32, POP r32, CALL rel32 and RET [imm16] on a 32-bit stack (SS.B = 1; a 16-bit stack takes the
  // handler), as Cpu::push/pop and the handlers in isa/control.cpp do them: CALL checks its target against
  // the CS limit before the push, RET checks the return address before ESP moves, POP ESP leaves the value
  // popped. CALL and RET end their block and go on through the chain lookup.
  void emit_stack(u32 k, const Plan& p, const Insn& i, u32 rest_cycles, bool last) {
    Xbyak::Label slow, join, beyond_limit;
    const bool push_imm = p.kind == Kind::Push && i.fn != nullptr && p.imm_operand;
    const i32 esp = L_.gpr + 4 * ESP;
    const bool pending = p.kind == Kind::Push || p.kind == Kind::Pop;  // EIP and cycles left pending
    const Pending before = begin_pending();
    if (!pending) flush();
    cmp(byte[rbx + L_.seg0 + i32(SS * sizeof(Segment) + offsetof(Segment, big))], 0);
    je(slow, T_NEAR);
    if (p.kind == Kind::CallRel) {
      mov(r9d, dword[rbx + L_.eip]);
      add(r9d, i.len);  // the return address
      mov(r10d, r9d);
      add(r10d, i.imm);  // the target, modulo 2^32
      cmp(r10d, dword[rbx + L_.cs_limit]);
      ja(slow, T_NEAR);
    }
    mov(eax, dword[rbx + esp]);
    if (p.kind == Kind::Push || p.kind == Kind::CallRel) sub(eax, 4);
    mov(r11d, eax);  // the new ESP (PUSH, CALL) or the old one (POP, RET)
    const bool store = p.kind == Kind::Push || p.kind == Kind::CallRel;
    emit_translate(SS, store, slow);
    switch (p.kind) {
      case Kind::Push:
        if (push_imm) {
          mov(dword[rdx + rax], i.imm);
        } else {
          mov(ecx, reg32(i.r2));  // PUSH ESP pushes the value before the push
          mov(dword[rdx + rax], ecx);
        }
        mov(dword[rbx + esp], r11d);
        break;
      case Kind::Pop:
        mov(ecx, dword[rdx + rax]);
        add(r11d, 4);
        mov(dword[rbx + esp], r11d);
        mov(reg32(i.r1), ecx);
        break;
      case Kind::CallRel:
        mov(dword[rdx + rax], r9d);
        mov(dword[rbx + esp], r11d);
        mov(dword[rbx + L_.eip], r10d);
        break;
      default:  // Ret
        ends_in_ret_ = true;
        mov(ecx, dword[rdx + rax]);
        cmp(ecx, dword[rbx + L_.cs_limit]);
        ja(beyond_limit, T_NEAR);
        add(r11d, 4 + i.imm);
        mov(dword[rbx + esp], r11d);
        mov(dword[rbx + L_.eip], ecx);
        break;
    }
    if (pending) {
      jmp(join, T_NEAR);
      emit_slow_pending(k, i, rest_cycles, last, slow, join, true, before);
      return;
    }
    add(qword[rbx + L_.cycles], i.cycles);
    if (p.kind == Kind::CallRel) {  // the block's last instruction: straight to its exit
      jmp(exit_taken_, T_NEAR);
      has_taken_exit_ = true;
      taken_delta_ = i64(b_.bytes) + i64(i32(i.imm));
    } else {
      jmp(join, T_NEAR);
    }
    if (p.kind == Kind::Ret) {
      L(beyond_limit);
      emit_call(k, i, rest_cycles, last, &kRaiseGp0);
      jmp(join, T_NEAR);
    }
    emit_slow(k, i, rest_cycles, last, slow, join, true);
  }

  // Loads EFLAGS with its status flags as Cpu::flags() gives them into edx: rebuilt from the record with
  // one host instruction whose flags are the record's where the kind is known here (SUB/CMP: CMP a, b;
  // ADD: ADD a, b; logic: TEST res, res with AF clear), the helper otherwise. Clobbers rax, rcx, rdx and,
  // through the helper, the other caller-saved registers.
  void emit_flags_to_edx() {
    using namespace eflags;
    // LAHF has SF ZF AF PF CF in their EFLAGS positions (and is one cheap instruction where PUSHF is
    // not); OF comes from SETO.
    auto rebuilt = [&](u32 mask) {
      if (mask & OF) seto(cl);
      lahf();
      movzx(edx, ah);
      and_(edx, mask & 0xFF);
      if (mask & OF) {
        movzx(ecx, cl);
        shl(ecx, 11);
        or_(edx, ecx);
      }
      mov(eax, dword[rbx + L_.eflags]);
      and_(eax, ~Status);
      or_(edx, eax);
    };
    switch (known_) {
      case Known::Flags:
        mov(edx, dword[rbx + L_.eflags]);
        break;
      case Known::Logic:
        mov(ecx, lazy(0, 4));
        test(ecx, ecx);
        rebuilt(SF | ZF | PF);
        break;
      case Known::AddNoCarry:
        mov(ecx, lazy(4, 4));
        add(ecx, lazy(8, 4));
        rebuilt(Status);
        break;
      case Known::SubNoCarry:
        mov(ecx, lazy(4, 4));
        cmp(ecx, lazy(8, 4));
        rebuilt(Status);
        break;
      default:
        mov(rdi, rbx);
        mov(rax, reinterpret_cast<u64>(&flags_of));
        call(rax);
        mov(edx, eax);
        break;
    }
  }

  // ADD SUB CMP AND OR XOR TEST on eax (a) and ecx (b) as alu.cpp's binary(): edx = the result, the lazy
  // record written as set_lazy does (carry in 0). Returns whether the instruction writes its destination.
  bool emit_alu_core(Mnemonic m) {
    using M = Mnemonic;
    mov(edx, eax);
    LazyOp op = LazyOp::Logic;
    bool writes = true;
    switch (m) {
      case M::ADD: add(edx, ecx); op = LazyOp::Add; break;
      case M::SUB: sub(edx, ecx); op = LazyOp::Sub; break;
      case M::CMP: sub(edx, ecx); op = LazyOp::Sub; writes = false; break;
      case M::AND: and_(edx, ecx); break;
      case M::OR: or_(edx, ecx); break;
      case M::XOR: xor_(edx, ecx); break;
      default: and_(edx, ecx); writes = false; break;  // TEST
    }
    mov(lazy(0, 4), edx);
    mov(lazy(4, 4), eax);
    mov(lazy(8, 4), ecx);
    set_lazy_tag(op, 0);
    known_ = op == LazyOp::Add ? Known::AddNoCarry : op == LazyOp::Sub ? Known::SubNoCarry : Known::Logic;
    return writes;
  }

  // ALU r32, m32 (a read), ALU m32, r32/imm32 (Cpu::modify's one translation for the read and the write;
  // CMP and TEST only read). The handler's slow path leaves the same kind of record as the fast path.
  void emit_alu_memory(u32 k, const Plan& p, const Insn& i, u32 rest_cycles, bool last) {
    const bool reads_only = p.kind == Kind::AluRM || p.m == Mnemonic::CMP || p.m == Mnemonic::TEST;
    Xbyak::Label slow, join;
    const Pending before = begin_pending();
    effective_address(i);
    emit_translate(i.seg, false, slow, !reads_only);
    if (p.kind == Kind::AluRM) {
      mov(ecx, dword[rdx + rax]);
      mov(eax, reg32(i.r1));
      if (emit_alu_core(p.m)) mov(reg32(i.r1), edx);
    } else {
      lea(r9, ptr[rdx + rax]);
      mov(eax, dword[r9]);
      if (p.kind == Kind::AluMR) mov(ecx, reg32(i.r2));
      else mov(ecx, i.imm);
      if (emit_alu_core(p.m)) mov(dword[r9], edx);
    }
    jmp(join, T_NEAR);
    const Known after = known_;
    emit_slow_pending(k, i, rest_cycles, last, slow, join, false, before);
    known_ = after;
  }

  void set_lazy_tag(LazyOp op, u32 carry) { mov(lazy(12, 4), lazy_tag(op, 32, carry)); }

  void emit_inline(const Plan& p, const Insn& i) {
    using M = Mnemonic;
    switch (p.kind) {
      case Kind::Nop:
        break;
      case Kind::MovRR:
        mov(eax, reg32(i.r2));
        mov(reg32(i.r1), eax);
        break;
      case Kind::MovRI:
        mov(reg32(i.r1), i.imm);
        break;
      case Kind::Lea:
        effective_address(i);
        mov(reg32(i.r1), eax);
        break;
      case Kind::AluRR:
      case Kind::AluRI: {
        mov(eax, reg32(i.r1));  // a
        if (p.kind == Kind::AluRR) mov(ecx, reg32(i.r2));
        else mov(ecx, i.imm);  // b
        if (emit_alu_core(p.m)) mov(reg32(i.r1), edx);
        break;
      }
      case Kind::IncDec: {
        // CF is kept (SDM vol. 2, INC): read it from the record as Cpu::carry() would, inline when the
        // record's kind is known here.
        switch (known_) {
          case Known::Logic: xor_(r8d, r8d); break;
          case Known::IncDec:
          case Known::Shift: movzx(r8d, byte[rbx + L_.lazy + 14]); break;
          case Known::Flags:
            mov(r8d, dword[rbx + L_.eflags]);
            and_(r8d, eflags::CF);
            break;
          case Known::AddNoCarry:  // CF = res < a
            mov(eax, lazy(0, 4));
            cmp(eax, lazy(4, 4));
            setb(r8b);
            movzx(r8d, r8b);
            break;
          case Known::SubNoCarry:  // CF = a < b
            mov(eax, lazy(4, 4));
            cmp(eax, lazy(8, 4));
            setb(r8b);
            movzx(r8d, r8b);
            break;
          case Known::Unknown:
            mov(rdi, rbx);
            mov(rax, reinterpret_cast<u64>(&carry_of));
            call(rax);
            mov(r8d, eax);
            break;
        }
        const bool inc = p.m == M::INC;
        mov(eax, reg32(i.r1));
        lea(edx, ptr[rax + (inc ? 1 : -1)]);
        mov(reg32(i.r1), edx);
        mov(lazy(0, 4), edx);
        mov(lazy(4, 4), eax);
        mov(lazy(8, 4), 1);
        mov(ecx, r8d);
        shl(ecx, 16);
        or_(ecx, lazy_tag(inc ? LazyOp::Inc : LazyOp::Dec, 32, 0));
        mov(lazy(12, 4), ecx);
        known_ = Known::IncDec;
        break;
      }
      case Kind::ShiftI: {
        // shift_rotate.cpp's shift() for a 32-bit register: a masked count of 0 changes nothing; otherwise
        // a LazyOp::Shift record with CF in `carry` and OF (plus AF on the 386/486) in `b`.
        const u32 n = i.imm & 31u;
        if (n == 0) break;
        mov(eax, reg32(i.r1));
        mov(edx, eax);
        if (p.m == M::SHL) shl(edx, u8(n));
        else if (p.m == M::SHR) shr(edx, u8(n));
        else sar(edx, u8(n));
        setc(cl);  // the last bit shifted out
        movzx(ecx, cl);
        mov(reg32(i.r1), edx);
        mov(lazy(0, 4), edx);
        mov(lazy(4, 4), eax);
        if (p.m == M::SHL) {  // OF = CF ^ MSB(result)
          mov(r8d, edx);
          shr(r8d, 31);
          xor_(r8d, ecx);
        } else if (p.m == M::SHR && n == 1) {  // OF = MSB(operand); 0 for larger counts, and for SAR
          mov(r8d, eax);
          shr(r8d, 31);
        } else {
          xor_(r8d, r8d);
        }
        if (pre_pentium(cpu_.decode_cache().model())) or_(r8d, eflags::AF);
        mov(lazy(8, 4), r8d);
        shl(ecx, 16);
        or_(ecx, lazy_tag(LazyOp::Shift, 32, 0));
        mov(lazy(12, 4), ecx);
        known_ = Known::Shift;
        break;
      }
      case Kind::RotateI: {
        // ROL/ROR r32, imm: CF and OF from the result (ROL: CF = LSB, OF = CF ^ MSB; ROR: CF = MSB,
        // OF = MSB ^ bit 30), the other status flags kept, so EFLAGS is materialised as set_flags() does.
        const u32 n = i.imm & 31u;
        if (n == 0) break;
        emit_flags_to_edx();
        mov(eax, reg32(i.r1));
        if (p.m == M::ROL) rol(eax, u8(n));
        else ror(eax, u8(n));
        mov(reg32(i.r1), eax);
        mov(ecx, eax);
        if (p.m == M::ROL) {
          and_(ecx, 1);  // CF
          mov(r8d, eax);
          shr(r8d, 31);
        } else {
          shr(ecx, 31);  // CF
          mov(r8d, eax);
          shr(r8d, 30);
          and_(r8d, 1);
        }
        xor_(r8d, ecx);  // OF
        shl(r8d, 11);
        or_(ecx, r8d);
        and_(edx, ~(eflags::CF | eflags::OF));
        or_(edx, ecx);
        mov(dword[rbx + L_.eflags], edx);
        mov(byte[rbx + L_.lazy + i32(offsetof(LazyFlags, op))], u8(LazyOp::None));
        known_ = Known::Flags;
        break;
      }
      case Kind::Call:
      case Kind::Jcc:
      case Kind::Jmp:
      case Kind::Load:
      case Kind::StoreR:
      case Kind::StoreI:
      case Kind::Push:
      case Kind::Pop:
      case Kind::CallRel:
      case Kind::Ret:
      case Kind::AluRM:
      case Kind::AluMR:
      case Kind::AluMI:
        break;
    }
  }

  Cpu& cpu_;
  const Block& b_;
  Layout L_;
  CallOutState& state_;
  u32 pend_len_ = 0;
  u32 pend_cycles_ = 0;
  Known known_ = Known::Unknown;
  u32 epoch_;
  Xbyak::Label epilogue_, chain_entry_, exit_taken_;
  static constexpr i64 kNoDelta = INT64_MIN;
  bool ends_in_ret_ = false;
  bool has_taken_exit_ = false;
  i64 taken_delta_ = 0;  // a taken direct branch's target minus the block's entry EIP
  std::vector<std::unique_ptr<Xbyak::Label>> cells_;  // emit_exit's remembered next blocks
  std::vector<std::pair<std::unique_ptr<Xbyak::Label>, u32>> exits_;
};

}  // namespace

Translation compile_block(Cpu& cpu, const Block& b, CodeArena& arena, CallOutState& state, CompileStats& stats) {
  try {
    CompileStats s;
    Emitter e(cpu, b, arena.cursor(), arena.remaining(), state, arena.epoch());
    e.emit(s);
    e.ready();
    const Translation t{e.getCode(), e.chain_entry()};
    s.code_bytes = e.getSize();
    s.blocks = 1;
    arena.commit(e.getSize());
    stats.blocks += s.blocks;
    stats.inline_insns += s.inline_insns;
    stats.call_insns += s.call_insns;
    stats.code_bytes += s.code_bytes;
    return t;
  } catch (const Xbyak::Error&) {
    return {};  // no room left: the caller empties the arena and tries again
  }
}

}  // namespace ring1::jit
