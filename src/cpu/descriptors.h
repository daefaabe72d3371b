// Segment and gate descriptors, and loading them into segment registers (SDM vol. 3, 3.4.5, 3.5, 5.x).
// The segmentation, far-transfer and interrupt-delivery code all go through these functions, so the rules
// of who may load what are written once. Descriptor tables are read with supervisor linear accesses through
// the MMU (they may #PF), as the processor's implicit accesses are.
#pragma once
#include "cpu/cpu.h"

namespace ring1 {

// System-descriptor and gate types (S = 0), SDM vol. 3, table 3-2.
enum class SystemType : u8 {
  Tss16Available = 1,
  Ldt = 2,
  Tss16Busy = 3,
  CallGate16 = 4,
  TaskGate = 5,
  InterruptGate16 = 6,
  TrapGate16 = 7,
  Tss32Available = 9,
  Tss32Busy = 11,
  CallGate32 = 12,
  InterruptGate32 = 14,
  TrapGate32 = 15,
};

struct Descriptor {
  u32 lo = 0, hi = 0;

  u32 base() const { return (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u); }
  // Byte-granular limit: with G set the 20-bit limit counts 4 KiB units (low 12 bits all ones).
  u32 limit() const {
    u32 l = (lo & 0xFFFF) | (hi & 0x000F0000u);
    return granular() ? (l << 12) | 0xFFF : l;
  }
  u8 type() const { return (hi >> 8) & 0xF; }
  bool is_segment() const { return hi & (1u << 12); }  // S: code/data (1) or system (0)
  u8 dpl() const { return (hi >> 13) & 3; }
  bool present() const { return hi & (1u << 15); }
  bool big() const { return hi & (1u << 22); }  // D/B
  bool granular() const { return hi & (1u << 23); }
  u16 access() const { return static_cast<u16>((hi >> 8) & 0xF0FF); }  // bytes 5 and 6 as Segment::access

  bool is_code() const { return is_segment() && (type() & 8); }
  bool is_data() const { return is_segment() && !(type() & 8); }
  bool conforming() const { return is_code() && (type() & 4); }
  bool readable() const { return is_data() || (type() & 2); }  // code: R bit
  bool writable() const { return is_data() && (type() & 2); }
  bool expand_down() const { return is_data() && (type() & 4); }
  bool accessed() const { return type() & 1; }
  SystemType system_type() const { return static_cast<SystemType>(type()); }

  // Gates (call, interrupt, trap, task).
  u16 gate_selector() const { return static_cast<u16>(lo >> 16); }
  u32 gate_offset() const { return (lo & 0xFFFF) | (hi & 0xFFFF0000u); }
  u8 gate_param_count() const { return hi & 0x1F; }
};

// The error code a selector-related fault carries: the selector's index and TI, EXT clear (SDM 6.13).
inline u32 selector_error(u16 sel) { return sel & 0xFFFCu; }

// Reads the descriptor a selector names from the GDT or LDT. A selector beyond the table's limit (or an
// LDT selector with no LDT loaded) raises `fault` with the selector error code (#GP for loads, #TS in
// task-related paths). Does not check null selectors: callers decide what null means for them.
Descriptor read_descriptor(Cpu& c, u16 selector, Vector fault = Vector::GP);

// Sets the descriptor's accessed bit in its table, as loading it into a segment register does (3.4.5.1).
void mark_accessed(Cpu& c, u16 selector, Descriptor& d);

// Fills a segment register's hidden part from a descriptor: base, limit, attributes and the offset ranges
// reads and writes may touch (limit, expand-down with B for the upper bound, readable/writable type).
void fill_segment_cache(Segment& s, u16 selector, const Descriptor& d);
// A null selector in DS/ES/FS/GS: the register loads, but any access through it is #GP(0) (5.4.1).
void fill_null_segment(Segment& s, u16 selector);
// Real-address and virtual-8086 mode: base = selector * 16; the limit and attributes stay as they are,
// except that in V86 mode they are forced to a 64 KiB read/write data segment (20.1.1).
void fill_real_mode_segment(Segment& s, u16 selector, bool v86);

// MOV/POP Sreg and LDS/LES/LFS/LGS/LSS: loads SS, DS, ES, FS or GS with every protected-mode check of
// the SDM (MOV instruction page; 5.5, 5.6): #GP(0) for a null SS, #GP(selector) for type and privilege
// violations, #SS(selector) / #NP(selector) when not present. In real or V86 mode it just sets the base.
void load_data_segment(Cpu& c, SegReg r, u16 selector);

// Loads CS for a far transfer that has already been checked, and sets CPL. `rpl` becomes CS.RPL = CPL.
void load_code_segment(Cpu& c, u16 selector, const Descriptor& d, u8 cpl);

// ---- additions for the segmentation instructions and far transfers ----

// Protected mode proper: CR0.PE set and not virtual-8086 mode.
inline bool in_protected_mode(const Cpu& c) { return (c.cr0 & 1) && !(c.eflags & eflags::VM); }

// Reads a descriptor without faulting on the table limit (LAR, LSL, VERR, VERW): false for a null selector,
// an LDT selector with no LDT, or one beyond its table's limit.
bool probe_descriptor(Cpu& c, u16 selector, Descriptor& d);

// The visibility rules of LAR, LSL, VERR and VERW (SDM vol. 2, those pages; vol. 3, 5.10.3): true sets ZF.
// Code and data segments are visible when DPL >= CPL and DPL >= RPL (conforming code is exempt except for
// VERW, which it can never pass); VERR wants a readable and VERW a writable segment; LAR accepts TSSes,
// LDTs, call gates and task gates, LSL only TSSes and LDTs; interrupt and trap gates never pass.
enum class DescriptorQuery : u8 { AccessRights, SegmentLimit, Readable, Writable };
bool descriptor_query(Cpu& c, u16 selector, DescriptorQuery q, Descriptor& d);

// LLDT: a null selector leaves the LDT unusable; otherwise a present LDT descriptor (type 2) in the GDT,
// #GP(selector) for anything else and #NP(selector) if not present (SDM vol. 2, LLDT).
void load_ldtr(Cpu& c, u16 selector);
// LTR: an available 16- or 32-bit TSS in the GDT, #GP(0) for a null selector, #GP(selector) otherwise,
// #NP(selector) if not present; marks the descriptor busy in memory (SDM vol. 2, LTR; vol. 3, 7.2.4).
void load_task_register(Cpu& c, u16 selector);

// The inner-level stack SS:ESP for `ring` (0..2) from the current TSS, 32- or 16-bit by TR's type (SDM vol. 3,
// 7.2.1 and 7.7): #TS(TR selector) when the TSS limit does not cover the entry.
void tss_inner_stack(Cpu& c, u8 ring, u16& ss, u32& esp, u32 ext = 0);

// Checks a stack segment that a privilege change loads: CALL through a gate to an inner ring (faults are
// #TS, `fault` = TS) or RET to an outer ring (`fault` = GP). The selector's RPL and the descriptor's DPL must
// equal `new_cpl` and it must be writable data; null is fault(0), not present #SS(selector) (SDM vol. 2,
// CALL and RET; vol. 3, 5.8.5).
Descriptor check_stack_segment(Cpu& c, u16 selector, u8 new_cpl, Vector fault);

// Where a protected-mode far JMP or CALL goes (SDM vol. 2, JMP and CALL; vol. 3, 5.8.1 to 5.8.6).
enum class FarKind : u8 { Jmp, Call };
struct FarTarget {
  enum class Kind : u8 { Code, Gate, Task } kind = Kind::Code;
  u16 cs = 0;         // the target code segment selector (its RPL becomes the new CPL on load)
  Descriptor code;    // its descriptor, already checked
  u32 eip = 0;        // the target offset, within the segment's limit
  u8 cpl = 0;         // CPL after the transfer
  bool inner = false; // CALL through a gate to a more privileged non-conforming segment: stack switch
  bool gate32 = false;
  u8 params = 0;      // the gate's parameter count
};
// Every check of a far JMP/CALL target, in the SDM's order; nothing is changed. Task gates and available
// TSSes pass their own DPL/present checks and come back as Kind::Task with the selector in `cs` and the
// gate or TSS descriptor in `code`; a busy TSS is #GP(selector) (vol. 2, JMP/CALL, TASK-STATE-SEGMENT).
FarTarget check_far_target(Cpu& c, u16 selector, u32 offset, FarKind kind);

// RET far: the return CS must be code with RPL >= CPL, DPL == RPL (non-conforming) or DPL <= RPL
// (conforming), and present (SDM vol. 2, RET).
Descriptor check_return_code_segment(Cpu& c, u16 selector);

// After a return to an outer ring: DS, ES, FS and GS holding data or non-conforming code with DPL < CPL
// become null, so the outer ring cannot use the inner ring's segments (SDM vol. 2, RET; vol. 3, 5.8.6).
void null_inaccessible_data_segments(Cpu& c);

}  // namespace ring1
