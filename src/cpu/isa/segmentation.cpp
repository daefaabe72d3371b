// The segmentation instructions (SDM vol. 2): LDS/LES/LFS/LGS/LSS, the descriptor-table registers (LGDT,
// LIDT, SGDT, SIDT, LLDT, SLDT, LTR, STR) and the selector probes LAR, LSL, VERR, VERW and ARPL. These are
// how a paravirtualised kernel sets up and inspects its segments; every privilege rule they apply lives in
// the descriptor core (cpu/descriptors.cpp). SGDT/SIDT/SLDT/STR are unprivileged though they reveal system
// state: the "sensitive but unprivileged" instructions that keep IA-32 from being classically virtualisable.
#include "cpu/descriptors.h"
#include "cpu/exec/operands.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

void require_ring0(const Cpu& c) {
  if (c.cpl != 0) raise_fault(Vector::GP, 0);
}
// LLDT, SLDT, LTR, STR, LAR, LSL, VERR, VERW and ARPL are not recognised in real-address and virtual-8086
// mode: #UD (SDM vol. 2, each page's "Real-Address Mode Exceptions").
void require_protected_mode(const Cpu& c) {
  if (!in_protected_mode(c)) raise_fault(Vector::UD);
}

void set_zf(Cpu& c, bool z) {
  const u32 f = c.flags();
  c.set_flags(z ? (f | eflags::ZF) : (f & ~eflags::ZF));
}

template <bool Mem>
u16 selector_operand(Cpu& c, const Insn& i) {
  if constexpr (Mem) return c.read<u16>(i.seg, c.effective_address(i));
  else return c.reg<u16>(i.r2);
}

// LDS/LES/LFS/LGS/LSS r, m16:16 / m16:32 (SDM vol. 2, LDS/LES/LFS/LGS/LSS): offset first, then the
// selector. The segment register is loaded (and may fault) before the general register is written.
template <class T>
void load_far_pointer(Cpu& c, const Insn& i) {
  const u32 ea = c.effective_address(i);
  const T offset = c.read<T>(i.seg, ea);
  const u16 selector = c.read<u16>(i.seg, ea + sizeof(T));
  load_data_segment(c, static_cast<SegReg>(i.op), selector);
  c.set_reg<T>(i.r1, offset);
}

// LGDT/LIDT and SGDT/SIDT m16&32 (SDM vol. 2, LGDT/LIDT, SGDT/SIDT): a 16-bit limit, then the base. With a
// 16-bit operand size only 24 bits of base are loaded, and stored with the top byte zero. The loads are
// privileged (CPL 0, which real mode is); the stores are not.
template <bool Idt, bool Store, bool O16>
void table_register(Cpu& c, const Insn& i) {
  TableRegister& t = Idt ? c.idtr : c.gdtr;
  const u32 ea = c.effective_address(i);
  constexpr u32 base_mask = O16 ? 0x00FFFFFFu : 0xFFFFFFFFu;
  if constexpr (Store) {
    c.write<u32>(i.seg, ea + 2, t.base & base_mask);
    c.write<u16>(i.seg, ea, t.limit);
  } else {
    require_ring0(c);
    const u16 limit = c.read<u16>(i.seg, ea);
    const u32 base = c.read<u32>(i.seg, ea + 2);
    t.limit = limit;
    t.base = base & base_mask;
  }
}

// LLDT r/m16 and LTR r/m16: CPL 0, protected mode; the checks are load_ldtr's and load_task_register's.
template <bool Mem, bool Tr>
void load_system_selector(Cpu& c, const Insn& i) {
  require_protected_mode(c);
  require_ring0(c);
  const u16 sel = selector_operand<Mem>(c, i);
  if constexpr (Tr) load_task_register(c, sel);
  else load_ldtr(c, sel);
}

// SLDT/STR r/m16: any CPL. A 32-bit register destination is zero-extended (P6 and later; SDM vol. 2, SLDT);
// a memory destination is always 16 bits.
template <class T, bool Mem, bool Tr>
void store_system_selector(Cpu& c, const Insn& i) {
  require_protected_mode(c);
  const u16 sel = Tr ? c.tr.selector : c.ldtr.selector;
  if constexpr (Mem) c.write<u16>(i.seg, c.effective_address(i), sel);
  else c.set_reg<T>(i.r1, T(sel));
}

// LAR, LSL, VERR and VERW: ZF = 1 when the descriptor is visible (descriptor_query); LAR then loads the
// access rights (bytes 5 and 6 masked with 00F0FF00, 16-bit: FF00), LSL the byte-granular limit. Nothing
// faults on the selector itself, only on reading a memory operand.
template <class T, bool Mem, DescriptorQuery Q>
void query_selector(Cpu& c, const Insn& i) {
  require_protected_mode(c);
  const u16 sel = selector_operand<Mem>(c, i);
  Descriptor d;
  const bool ok = descriptor_query(c, sel, Q, d);
  if (ok && Q == DescriptorQuery::AccessRights) c.set_reg<T>(i.r1, T(d.hi & 0x00F0FF00u));
  if (ok && Q == DescriptorQuery::SegmentLimit) c.set_reg<T>(i.r1, T(d.limit()));
  set_zf(c, ok);
}

// ARPL r/m16, r16 (SDM vol. 2, ARPL): raises the destination selector's RPL to the source's, ZF = 1 if it did.
template <bool Mem>
void arpl(Cpu& c, const Insn& i) {
  require_protected_mode(c);
  const u32 ea = Mem ? c.effective_address(i) : 0;
  const u16 dst = Mem ? c.read<u16>(i.seg, ea) : c.reg<u16>(i.r1);
  const u16 src = c.reg<u16>(i.r2);
  const bool raise = (dst & 3) < (src & 3);
  if (raise) {
    const u16 v = static_cast<u16>((dst & ~3u) | (src & 3));
    if constexpr (Mem) c.write<u16>(i.seg, ea, v);
    else c.set_reg<u16>(i.r1, v);
  }
  set_zf(c, raise);
}

// ---- builders ----

template <SegReg R>
bool build_load_far_pointer(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2 || !is_gpr(d.op[0]) || d.op[1].kind != OpKind::Mem) return false;
  i.op = R;
  i.r1 = gpr_offset(d.op[0]);
  set_mem(i, d.op[1], d);
  info.cost = CostClass::Complex;
  i.fn = RING1_BY_SIZE_16_32(d.op[0].size, load_far_pointer);
  return i.fn != nullptr;
}

template <bool Idt, bool Store>
bool build_table_register(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1 || d.op[0].kind != OpKind::Mem) return false;
  set_mem(i, d.op[0], d);
  info.cost = CostClass::Complex;
  i.fn = d.operand_size == 2 ? &table_register<Idt, Store, true> : &table_register<Idt, Store, false>;
  return true;
}

template <bool Tr>
bool build_load_system_selector(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1) return false;
  const Operand& o = d.op[0];
  info.cost = CostClass::Complex;
  if (o.kind == OpKind::Mem) {
    set_mem(i, o, d);
    i.fn = &load_system_selector<true, Tr>;
  } else if (is_gpr(o)) {
    i.r2 = gpr_offset(o);
    i.fn = &load_system_selector<false, Tr>;
  }
  return i.fn != nullptr;
}

template <bool Tr>
bool build_store_system_selector(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1) return false;
  const Operand& o = d.op[0];
  if (o.kind == OpKind::Mem) {
    set_mem(i, o, d);
    info.cost = CostClass::Store;
    i.fn = &store_system_selector<u16, true, Tr>;
  } else if (is_gpr(o)) {
    i.r1 = gpr_offset(o);
    i.fn = o.size == 4 ? &store_system_selector<u32, false, Tr> : &store_system_selector<u16, false, Tr>;
  }
  return i.fn != nullptr;
}

// LAR/LSL r, r/m16 (two operands) and VERR/VERW r/m16 (one): the selector is the last operand.
template <DescriptorQuery Q>
bool build_query(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  constexpr bool loads = Q == DescriptorQuery::AccessRights || Q == DescriptorQuery::SegmentLimit;
  if (d.operand_count != (loads ? 2 : 1)) return false;
  if (loads && !is_gpr(d.op[0])) return false;
  const Operand& src = d.op[loads ? 1 : 0];
  const bool mem = src.kind == OpKind::Mem;
  if (mem) set_mem(i, src, d);
  else if (is_gpr(src)) i.r2 = gpr_offset(src);
  else return false;
  u8 size = 2;
  if (loads) {
    i.r1 = gpr_offset(d.op[0]);
    size = d.op[0].size;
  }
  info.cost = CostClass::Complex;
  if (size == 4) i.fn = mem ? &query_selector<u32, true, Q> : &query_selector<u32, false, Q>;
  else i.fn = mem ? &query_selector<u16, true, Q> : &query_selector<u16, false, Q>;
  return true;
}

bool build_arpl(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2 || !is_gpr(d.op[1])) return false;
  i.r2 = gpr_offset(d.op[1]);
  info.cost = CostClass::Simple;
  if (d.op[0].kind == OpKind::Mem) {
    set_mem(i, d.op[0], d);
    info.cost = CostClass::Store;
    i.fn = &arpl<true>;
  } else if (is_gpr(d.op[0])) {
    i.r1 = gpr_offset(d.op[0]);
    i.fn = &arpl<false>;
  }
  return i.fn != nullptr;
}

}  // namespace

void register_segmentation(IsaTable& t) {
  using M = Mnemonic;
  using Q = DescriptorQuery;
  t.add(M::LDS, &build_load_far_pointer<DS>);
  t.add(M::LES, &build_load_far_pointer<ES>);
  t.add(M::LFS, &build_load_far_pointer<FS>);
  t.add(M::LGS, &build_load_far_pointer<GS>);
  t.add(M::LSS, &build_load_far_pointer<SS>);
  t.add(M::LGDT, &build_table_register<false, false>);
  t.add(M::LIDT, &build_table_register<true, false>);
  t.add(M::SGDT, &build_table_register<false, true>);
  t.add(M::SIDT, &build_table_register<true, true>);
  t.add(M::LLDT, &build_load_system_selector<false>);
  t.add(M::LTR, &build_load_system_selector<true>);
  t.add(M::SLDT, &build_store_system_selector<false>);
  t.add(M::STR, &build_store_system_selector<true>);
  t.add(M::LAR, &build_query<Q::AccessRights>);
  t.add(M::LSL, &build_query<Q::SegmentLimit>);
  t.add(M::VERR, &build_query<Q::Readable>);
  t.add(M::VERW, &build_query<Q::Writable>);
  t.add(M::ARPL, &build_arpl);
}

}  // namespace ring1
