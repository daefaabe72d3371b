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

}  // namespace ring1
