// What GDB is told the target looks like (GDB manual, "Target Descriptions"): the i386 core feature GDB
// requires (general registers, EIP, EFLAGS, segment selectors and, because GDB's i386 code insists on them,
// the x87 registers, which ring1 does not model and reports as unavailable) and ring1's own system feature
// (control registers, descriptor-table registers, TR, LDTR and the CPL), so `info registers cr2` and
// `p $cpl` work. Register numbers here are the numbers of `g`, `p` and `P` packets.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/types.h"

namespace ring1 {

class Cpu;

enum class RegKind : u8 { Gpr, Eip, Eflags, Seg, X87, Cr0, Cr2, Cr3, Cr4, GdtrBase, GdtrLimit, IdtrBase,
                          IdtrLimit, Tr, Ldtr, Cpl };

struct RegisterInfo {
  std::string_view name;
  u8 bytes;
  RegKind kind;
  u8 index;  // GPR or segment number
};

// Every register in packet order.
std::span<const RegisterInfo> target_registers();

// The architecture the description names for the CPU as it is now: "i8086" in real and V86 mode, where code
// runs with 16-bit operands and addresses, so GDB disassembles `mov ax,0x1234` as such and not as a 32-bit
// move that swallows the next instruction; "i386" in protected mode. This is also why `set architecture
// i8086` did nothing while ring1 always named i386: GDB 13 keeps the more capable of the user's choice and
// the description's when BFD calls them compatible, and i386 extends i8086 (`maint print architecture`
// shows bfd_arch_info i386 after the command). Under an i8086 description `set architecture i386` does
// switch. GDB reads the description once, when it connects: the mode that counts is the one then.
std::string_view target_architecture(const Cpu& c);

// The target description document named `annex` ("target.xml" and the files it includes); nullopt if none.
std::optional<std::string> target_xml(std::string_view annex, const Cpu& c);

// The register's value as little-endian hex, "xx.." if ring1 does not model it (x87).
std::string read_register_hex(const Cpu& c, const RegisterInfo& r);
// Writes a register from `bytes` little-endian bytes. Returns false for what a debugger may not change this
// way: x87 (not modelled), a segment selector, TR, LDTR or the CPL (they need a descriptor load; write them
// by running guest code).
bool write_register(Cpu& c, const RegisterInfo& r, std::string_view bytes);

}  // namespace ring1
