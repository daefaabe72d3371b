// Port I/O: IN and OUT (SDM vol. 2, IN and OUT: imm8 and DX forms, AL/AX/EAX) and the string forms INS and
// OUTS (SDM vol. 2, INS/INSB/INSW/INSD and OUTS/OUTSB/OUTSW/OUTSD, with REP). Every access passes the
// protected-mode I/O permission check (SDM vol. 1, 19.5; vol. 3, chapter 20, "I/O-Port-Mapped I/O", for
// virtual-8086 mode) and then
// reaches the machine's PortBus (mmu/port_bus.h). A port access is a side effect that cannot be undone, so
// each instruction makes it only after every check and memory access that could still fault.
#include "cpu/exec/operands.h"
#include "common/arch_bits.h"
#include "cpu/exec/rep_loop.h"
#include "cpu/isa/isa_table.h"
#include "mmu/port_bus.h"

namespace ring1 {
namespace {


// The 32-bit TSS types in the access byte's low five bits (S = 0): available (9) or busy (11) 386 TSS.
constexpr u16 kTss32Available = 0x09, kTss32Busy = 0x0B;
constexpr u32 kTssMinLimit = 103;        // a 32-bit TSS is at least 104 bytes (SDM vol. 3, "Task-State Segment (TSS)")
constexpr u32 kTssIoMapBase = 0x66;      // the u16 I/O map base address field

// SDM vol. 1, 19.5.2, "I/O Permission Bit Map": the bitmap lies at TSS base + the I/O map base; port p is
// bit p % 8 of byte p / 8. The processor reads the two bytes holding the first port's bit (both must lie
// within TR's limit, which is why a bitmap ends with a byte of all ones) and faults unless every bit for
// port..port+size-1 is 0. A TR that does not hold a 32-bit TSS, or one too short to hold the map base, gives
// no permission at all. The reads are supervisor linear accesses and may #PF.
[[gnu::noinline]] void check_io_bitmap(Cpu& c, u16 port, u32 size) {
  const SystemSegment& tr = c.tr;
  const u16 type = tr.access & 0x1F;
  if ((type != kTss32Available && type != kTss32Busy) || tr.limit < kTssMinLimit) raise_fault(Vector::GP, 0);
  Mmu& mmu = c.mmu();
  const u32 map_base = mmu.read<u8>(tr.base + kTssIoMapBase, false) |
                       (u32(mmu.read<u8>(tr.base + kTssIoMapBase + 1, false)) << 8);
  const u32 at = map_base + port / 8u;
  if (u64(at) + 1 > tr.limit) raise_fault(Vector::GP, 0);
  const u32 bits = mmu.read<u8>(tr.base + at, false) | (u32(mmu.read<u8>(tr.base + at + 1, false)) << 8);
  const u32 mask = ((1u << size) - 1) << (port & 7u);
  if (bits & mask) raise_fault(Vector::GP, 0);
}

// SDM vol. 1, 19.5: in protected mode, I/O is sensitive to IOPL: CPL <= IOPL may use any port; otherwise
// (and always in virtual-8086 mode, SDM vol. 3, chapter 20) the TSS bitmap decides. Real mode has no check.
inline void check_io_permission(Cpu& c, u16 port, u32 size) {
  if (!(c.cr0 & cr0::PE)) return;
  const u32 iopl = (c.eflags & eflags::IOPL) >> 12;
  if (c.cpl <= iopl && !(c.eflags & eflags::VM)) [[likely]] return;
  check_io_bitmap(c, port, size);
}

// A CPU with no bus behaves like one whose every port is unclaimed.
// The tracer's hook sees every access, after a read (with its value) and before a write.
inline u32 port_read(Cpu& c, u16 port, u8 size) {
  const u32 v = c.ports ? c.ports->read(port, size) : (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
  if (c.observer.port_access) [[unlikely]] c.observer.port_access(c.observer.context, port, size, v, false);
  return v;
}
inline void port_write(Cpu& c, u16 port, u8 size, u32 value) {
  if (c.observer.port_access) [[unlikely]] c.observer.port_access(c.observer.context, port, size, value, true);
  if (c.ports) c.ports->write(port, size, value);
}

// Where the port number comes from: the instruction's imm8 (ports 0-255) or DX.
enum class Port : u8 { Imm, Dx };

template <Port P>
inline u16 port_of(const Cpu& c, const Insn& i) {
  if constexpr (P == Port::Imm) return static_cast<u16>(i.imm & 0xFF);
  else return c.reg<u16>(gpr_offset(EDX));
}

// IN AL/AX/EAX, imm8 | DX.
template <class T, Port P>
void in_insn(Cpu& c, const Insn& i) {
  const u16 port = port_of<P>(c, i);
  check_io_permission(c, port, sizeof(T));
  c.set_reg<T>(gpr_offset(EAX), static_cast<T>(port_read(c, port, sizeof(T))));
}

// OUT imm8 | DX, AL/AX/EAX.
template <class T, Port P>
void out_insn(Cpu& c, const Insn& i) {
  const u16 port = port_of<P>(c, i);
  check_io_permission(c, port, sizeof(T));
  port_write(c, port, sizeof(T), c.reg<T>(gpr_offset(EAX)));
}

// Faults now, as a write of T at s:offset would, without writing: INS must not read the port (a side
// effect) and then fault on its store. Segment check as Cpu::write, then the page translation(s) for write.
// With paging on this costs the TLB one extra lookup per element (counted in the DTLB statistics).
template <class T>
inline void probe_write(Cpu& c, u8 s, u32 offset) {
  const Segment& sg = c.seg[s];
  if (offset < sg.write_lo || u64(offset) + (sizeof(T) - 1) > sg.write_hi) [[unlikely]] c.segment_violation(s);
  Mmu& mmu = c.mmu();
  if (!mmu.paging()) [[likely]] return;
  const u32 lin = sg.base + offset;
  const bool user = c.cpl == 3;
  mmu.translate(lin, Access::Write, user);
  if ((lin & (kPageSize - 1)) > kPageSize - sizeof(T)) mmu.translate(lin + sizeof(T) - 1, Access::Write, user);
}

// INS: ES:(E)DI <- port DX. ES cannot be overridden (SDM vol. 2, INS).
struct Ins {
  static constexpr u8 kIndex = EDI;
  template <class T>
  static void apply(Cpu& c, u8, u16 port, u32 di) {
    probe_write<T>(c, ES, di);
    const T v = static_cast<T>(port_read(c, port, sizeof(T)));
    c.write<T>(ES, di, v);
  }
};
// OUTS: port DX <- seg:(E)SI, seg = DS unless overridden (SDM vol. 2, OUTS). The read is the last fault.
struct Outs {
  static constexpr u8 kIndex = ESI;
  template <class T>
  static void apply(Cpu& c, u8 src, u16 port, u32 si) {
    const T v = c.read<T>(src, si);
    port_write(c, port, sizeof(T), v);
  }
};

// One element, then its index register steps by +-sizeof(T) (DF); with 16-bit addressing (A = u16) only
// SI/DI change, wrapping at 64 KiB.
template <class T, class A, class Op>
inline void port_element(Cpu& c, u8 seg, u16 port, A step) {
  const A x = static_cast<A>(c.gpr[Op::kIndex]);
  Op::template apply<T>(c, seg, port, x);
  c.set_reg<A>(gpr_offset(Op::kIndex), static_cast<A>(x + step));
}

// INS/OUTS with or without REP. The permission check is made once per execution, before the first element
// and even with a zero count (the SDM's pseudocode puts it ahead of the operation; Bochs does the same): DX,
// CPL, IOPL and the TSS do not change between elements. REP runs as strings.cpp's: registers committed per
// element, StringIter charged per element, and a yield between elements once the run loop's deadline has
// come (SDM vol. 2, REP: interrupts are taken between iterations).
template <class T, class A, class Op, bool Rep>
void port_string(Cpu& c, const Insn& i) {
  const u16 port = c.reg<u16>(gpr_offset(EDX));
  check_io_permission(c, port, sizeof(T));
  const A step = (c.eflags & eflags::DF) ? static_cast<A>(0u - sizeof(T)) : static_cast<A>(sizeof(T));
  if constexpr (!Rep) {
    port_element<T, A, Op>(c, i.seg, port, step);
  } else {
    rep_loop<A>(c, i, [&] { port_element<T, A, Op>(c, i.seg, port, step); }, [] { return false; });
  }
}

// IN: E4/E5 imm8, EC/ED DX. OUT: E6/E7 imm8, EE/EF DX. The even opcode is the byte form; the odd one is
// AX or EAX by operand size.
template <bool Out>
bool build_in_out(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.lock) return false;  // LOCK is #UD here (SDM vol. 2, LOCK)
  constexpr u8 kImmForm = Out ? 0xE6 : 0xE4;
  const u8 op = d.opcode;
  const bool dx = (op & ~1u) == kImmForm + 8;
  if (!dx && (op & ~1u) != kImmForm) return false;
  const u8 size = (op & 1) ? d.operand_size : 1;
  if (!dx) {
    const Operand* imm = nullptr;
    for (u8 k = 0; k < d.operand_count; ++k)
      if (d.op[k].kind == OpKind::Imm) imm = &d.op[k];
    if (!imm) return false;
    i.imm = imm->imm & 0xFF;
  }
  if constexpr (Out) i.fn = dx ? RING1_BY_SIZE(size, out_insn, Port::Dx) : RING1_BY_SIZE(size, out_insn, Port::Imm);
  else i.fn = dx ? RING1_BY_SIZE(size, in_insn, Port::Dx) : RING1_BY_SIZE(size, in_insn, Port::Imm);
  info.cost = CostClass::Complex;
  return i.fn != nullptr;
}

template <class Op, class A, bool Rep>
Handler pick_port_string(u8 size) {
  return RING1_BY_SIZE(size, port_string, A, Op, Rep);
}

// INS: 6C (byte), 6D (word/doubleword). OUTS: 6E, 6F. F2 is treated as REP, as strings.cpp does for MOVS.
// Costs as strings.cpp: a plain form is one StringIter; a REP form pays Complex once and StringIter per
// element.
template <class Op, u8 Opcode>
bool build_port_string(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.opcode != Opcode && d.opcode != Opcode + 1) return false;
  if (d.lock) return false;
  const u8 size = d.opcode == Opcode ? 1 : d.operand_size;
  const bool a16 = d.address_size == 2;
  const bool rep = d.rep || d.repne;
  if (a16) i.fn = rep ? pick_port_string<Op, u16, true>(size) : pick_port_string<Op, u16, false>(size);
  else i.fn = rep ? pick_port_string<Op, u32, true>(size) : pick_port_string<Op, u32, false>(size);
  i.amask = a16 ? 0xFFFFu : 0xFFFFFFFFu;
  i.seg = Op::kIndex == ESI ? implicit_source_segment(d) : u8(ES);
  info.cost = rep ? CostClass::Complex : CostClass::StringIter;
  return i.fn != nullptr;
}

}  // namespace

// Every port instruction ends its block: the device it reached may have raised an interrupt or asked the
// machine to stop, and the run loop should see that at the next instruction boundary.
void register_io(IsaTable& t) {
  using M = Mnemonic;
  t.add(M::IN, &build_in_out<false>, true);
  t.add(M::OUT, &build_in_out<true>, true);
  for (M m : {M::INSB, M::INSW, M::INSD}) t.add(m, &build_port_string<Ins, 0x6C>, true);
  for (M m : {M::OUTSB, M::OUTSW, M::OUTSD}) t.add(m, &build_port_string<Outs, 0x6E>, true);
}

}  // namespace ring1
