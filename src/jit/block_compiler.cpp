#include "jit/block_compiler.h"

#include <algorithm>
#include <cstddef>
#include <vector>

#include <xbyak/xbyak.h>

#include "cpu/decode/decode_cache.h"
#include "cpu/isa/ud.h"

namespace ring1::jit {
namespace {

// Byte offsets of the CPU state translated code reaches from rbx (the Cpu*). Taken from the object itself,
// so nothing here depends on Cpu's private layout.
struct Layout {
  i32 gpr, eip, next_eip, cycles, stop_at, lazy, cs_limit, cpl, seg0;
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
  try {
    i->fn(*c, *i);
    return false;
  } catch (...) {
    s->pending = std::current_exception();
    return true;
  }
}

u32 carry_of(const Cpu* c) { return c->carry(); }

enum class Kind : u8 { Call, Nop, MovRR, MovRI, AluRR, AluRI, IncDec, Lea, Jcc, Jmp, Load, StoreR, StoreI };

struct Plan {
  Kind kind = Kind::Call;
  Mnemonic m = Mnemonic::Invalid;
  u8 cc = 0;  // Jcc: the condition code (the low nibble of its opcode)
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

// What the flag record is known to hold at a point of the block, so INC/DEC can find CF inline.
enum class Known : u8 { Unknown, Logic, AddNoCarry, SubNoCarry, IncDec };

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
      if (p.kind == Kind::Load || p.kind == Kind::StoreR || p.kind == Kind::StoreI) {
        emit_memory(k, p, i, k + 1 < n ? rest[k + 1] : 0, k + 1 == n);
        ++stats.inline_insns;
        continue;
      }
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
    mov(eax, dword[rbx + L_.eip]);
    mov(dword[rbx + L_.next_eip], eax);  // as the loop leaves it: next_eip = eip after an instruction
    emit_chain_out(n);
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
  void emit_chain_out(u32 n) {
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
    cmp(dword[rdx + B.jit_epoch], epoch_);
    jne(back, T_NEAR);
    mov(ecx, dword[rbx + L_.eip]);
    mov(eax, dword[rdx + B.bytes]);
    lea(rcx, ptr[rcx + rax - 1]);
    mov(eax, dword[rbx + L_.cs_limit]);
    cmp(rcx, rax);
    ja(back, T_NEAR);
    mov(rax, qword[rdx + B.jit_chain]);
    test(rax, rax);
    jz(back, T_NEAR);
    mov(rcx, qword[rbx + L_.stretch_retired]);
    add(rcx, n);
    mov(esi, n);
    jmp(rax);
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
  void emit_call(u32 k, const Insn& i, u32 rest_cycles, bool last) {
    flush();
    mov(eax, dword[rbx + L_.eip]);
    add(eax, i.len);
    mov(dword[rbx + L_.next_eip], eax);
    mov(rdi, rbx);
    mov(rsi, reinterpret_cast<u64>(&i));
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
    jmp(done, T_NEAR);
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

  // MOV r32, m32 and MOV m32, r32/imm32 along Cpu::read/write's and Mmu::read/write's fast paths: the
  // segment's bounds, then flat RAM (stores: no decoded code in either frame) or the DTLB hint (one compare,
  // the rights at CPL 3, the lookup counted and the entry's age set, stores: no code in the frame). Anything
  // else calls the handler, which takes the same route from the start: nothing has happened before the jump.
  void emit_memory(u32 k, const Plan& p, const Insn& i, u32 rest_cycles, bool last) {
    const bool store = p.kind != Kind::Load;
    const Mmu::FastPathState fp = cpu_.mmu().fast_path_state();
    const i32 sg = L_.seg0 + i32(i.seg * sizeof(Segment));
    Xbyak::Label slow, paged, have, join;
    flush();
    effective_address(i);
    cmp(eax, dword[rbx + sg + i32(store ? offsetof(Segment, write_lo) : offsetof(Segment, read_lo))]);
    jb(slow, T_NEAR);
    lea(rcx, ptr[rax + 3]);
    mov(edx, dword[rbx + sg + i32(store ? offsetof(Segment, write_hi) : offsetof(Segment, read_hi))]);
    cmp(rcx, rdx);
    ja(slow, T_NEAR);
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
    inc(rcx);
    mov(qword[rdi], rcx);
    mov(qword[rsi + i32(offsetof(TlbEntry, age))], rcx);
    mov(rdx, qword[rdx + i32(offsetof(TlbHint, host_base))]);
    L(have);  // rdx + rax: the host address
    if (p.kind == Kind::Load) {
      mov(ecx, dword[rdx + rax]);
      mov(reg32(i.r1), ecx);
    } else if (p.kind == Kind::StoreR) {
      mov(ecx, reg32(i.r2));
      mov(dword[rdx + rax], ecx);
    } else {
      mov(dword[rdx + rax], i.imm);
    }
    add(dword[rbx + L_.eip], i.len);
    add(qword[rbx + L_.cycles], i.cycles);
    jmp(join, T_NEAR);
    L(slow);
    const Known before = known_;
    emit_call(k, i, rest_cycles, last);
    known_ = before;  // a MOV leaves the flag record as it was
    L(join);
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
        mov(edx, eax);
        LazyOp op = LazyOp::Logic;
        bool writes = true;
        switch (p.m) {
          case M::ADD: add(edx, ecx); op = LazyOp::Add; break;
          case M::SUB: sub(edx, ecx); op = LazyOp::Sub; break;
          case M::CMP: sub(edx, ecx); op = LazyOp::Sub; writes = false; break;
          case M::AND: and_(edx, ecx); break;
          case M::OR: or_(edx, ecx); break;
          case M::XOR: xor_(edx, ecx); break;
          default: and_(edx, ecx); writes = false; break;  // TEST
        }
        if (writes) mov(reg32(i.r1), edx);
        mov(lazy(0, 4), edx);
        mov(lazy(4, 4), eax);
        mov(lazy(8, 4), ecx);
        set_lazy_tag(op, 0);
        known_ = op == LazyOp::Add ? Known::AddNoCarry : op == LazyOp::Sub ? Known::SubNoCarry : Known::Logic;
        break;
      }
      case Kind::IncDec: {
        // CF is kept (SDM vol. 2, INC): read it from the record as Cpu::carry() would, inline when the
        // record's kind is known here.
        switch (known_) {
          case Known::Logic: xor_(r8d, r8d); break;
          case Known::IncDec: movzx(r8d, byte[rbx + L_.lazy + 14]); break;
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
      case Kind::Call:
      case Kind::Jcc:
      case Kind::Jmp:
      case Kind::Load:
      case Kind::StoreR:
      case Kind::StoreI:
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
  Xbyak::Label epilogue_, chain_entry_;
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
