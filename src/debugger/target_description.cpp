// The register table and target description XML (see target_description.h). The XML follows the feature
// names and register types GDB's i386 support looks for (gdb/features/i386/32bit-core.xml defines the same
// registers); the system feature is ring1's own, so GDB shows its registers by name only.
#include "debugger/target_description.h"

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "cpu/cpu.h"
#include "cpu/descriptors.h"

namespace ring1 {

namespace {

constexpr std::array<RegisterInfo, 43> kRegs = {{
    {"eax", 4, RegKind::Gpr, EAX},       {"ecx", 4, RegKind::Gpr, ECX},
    {"edx", 4, RegKind::Gpr, EDX},       {"ebx", 4, RegKind::Gpr, EBX},
    {"esp", 4, RegKind::Gpr, ESP},       {"ebp", 4, RegKind::Gpr, EBP},
    {"esi", 4, RegKind::Gpr, ESI},       {"edi", 4, RegKind::Gpr, EDI},
    {"eip", 4, RegKind::Eip, 0},         {"eflags", 4, RegKind::Eflags, 0},
    {"cs", 4, RegKind::Seg, CS},         {"ss", 4, RegKind::Seg, SS},
    {"ds", 4, RegKind::Seg, DS},         {"es", 4, RegKind::Seg, ES},
    {"fs", 4, RegKind::Seg, FS},         {"gs", 4, RegKind::Seg, GS},
    {"st0", 10, RegKind::X87, 0},        {"st1", 10, RegKind::X87, 0},
    {"st2", 10, RegKind::X87, 0},        {"st3", 10, RegKind::X87, 0},
    {"st4", 10, RegKind::X87, 0},        {"st5", 10, RegKind::X87, 0},
    {"st6", 10, RegKind::X87, 0},        {"st7", 10, RegKind::X87, 0},
    {"fctrl", 4, RegKind::X87, 0},       {"fstat", 4, RegKind::X87, 0},
    {"ftag", 4, RegKind::X87, 0},        {"fiseg", 4, RegKind::X87, 0},
    {"fioff", 4, RegKind::X87, 0},       {"foseg", 4, RegKind::X87, 0},
    {"fooff", 4, RegKind::X87, 0},       {"fop", 4, RegKind::X87, 0},
    {"cr0", 4, RegKind::Cr0, 0},         {"cr2", 4, RegKind::Cr2, 0},
    {"cr3", 4, RegKind::Cr3, 0},         {"cr4", 4, RegKind::Cr4, 0},
    {"gdtr_base", 4, RegKind::GdtrBase, 0}, {"gdtr_limit", 4, RegKind::GdtrLimit, 0},
    {"idtr_base", 4, RegKind::IdtrBase, 0}, {"idtr_limit", 4, RegKind::IdtrLimit, 0},
    {"tr", 4, RegKind::Tr, 0},           {"ldtr", 4, RegKind::Ldtr, 0},
    {"cpl", 4, RegKind::Cpl, 0},
}};

// The architecture is filled in when the document is asked for: "i8086" or "i386" (BFD's names, which GDB's
// `set architecture` lists).
constexpr std::string_view kTargetXmlHead = R"(<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>)";
constexpr std::string_view kTargetXmlTail = R"(</architecture>
  <xi:include href="i386-core.xml"/>
  <xi:include href="ring1-system.xml"/>
</target>
)";

constexpr std::string_view kCoreXml = R"(<?xml version="1.0"?>
<!DOCTYPE feature SYSTEM "gdb-target.dtd">
<feature name="org.gnu.gdb.i386.core">
  <flags id="i386_eflags" size="4">
    <field name="CF" start="0" end="0"/>
    <field name="" start="1" end="1"/>
    <field name="PF" start="2" end="2"/>
    <field name="AF" start="4" end="4"/>
    <field name="ZF" start="6" end="6"/>
    <field name="SF" start="7" end="7"/>
    <field name="TF" start="8" end="8"/>
    <field name="IF" start="9" end="9"/>
    <field name="DF" start="10" end="10"/>
    <field name="OF" start="11" end="11"/>
    <field name="NT" start="14" end="14"/>
    <field name="RF" start="16" end="16"/>
    <field name="VM" start="17" end="17"/>
    <field name="AC" start="18" end="18"/>
    <field name="VIF" start="19" end="19"/>
    <field name="VIP" start="20" end="20"/>
    <field name="ID" start="21" end="21"/>
  </flags>
  <reg name="eax" bitsize="32" type="int32" regnum="0"/>
  <reg name="ecx" bitsize="32" type="int32"/>
  <reg name="edx" bitsize="32" type="int32"/>
  <reg name="ebx" bitsize="32" type="int32"/>
  <reg name="esp" bitsize="32" type="data_ptr"/>
  <reg name="ebp" bitsize="32" type="data_ptr"/>
  <reg name="esi" bitsize="32" type="int32"/>
  <reg name="edi" bitsize="32" type="int32"/>
  <reg name="eip" bitsize="32" type="code_ptr"/>
  <reg name="eflags" bitsize="32" type="i386_eflags"/>
  <reg name="cs" bitsize="32" type="int32"/>
  <reg name="ss" bitsize="32" type="int32"/>
  <reg name="ds" bitsize="32" type="int32"/>
  <reg name="es" bitsize="32" type="int32"/>
  <reg name="fs" bitsize="32" type="int32"/>
  <reg name="gs" bitsize="32" type="int32"/>
  <reg name="st0" bitsize="80" type="i387_ext"/>
  <reg name="st1" bitsize="80" type="i387_ext"/>
  <reg name="st2" bitsize="80" type="i387_ext"/>
  <reg name="st3" bitsize="80" type="i387_ext"/>
  <reg name="st4" bitsize="80" type="i387_ext"/>
  <reg name="st5" bitsize="80" type="i387_ext"/>
  <reg name="st6" bitsize="80" type="i387_ext"/>
  <reg name="st7" bitsize="80" type="i387_ext"/>
  <reg name="fctrl" bitsize="32" type="int" group="float"/>
  <reg name="fstat" bitsize="32" type="int" group="float"/>
  <reg name="ftag" bitsize="32" type="int" group="float"/>
  <reg name="fiseg" bitsize="32" type="int" group="float"/>
  <reg name="fioff" bitsize="32" type="int" group="float"/>
  <reg name="foseg" bitsize="32" type="int" group="float"/>
  <reg name="fooff" bitsize="32" type="int" group="float"/>
  <reg name="fop" bitsize="32" type="int" group="float"/>
</feature>
)";

constexpr std::string_view kSystemXml = R"(<?xml version="1.0"?>
<!DOCTYPE feature SYSTEM "gdb-target.dtd">
<feature name="org.ring1.system">
  <reg name="cr0" bitsize="32" type="int32" regnum="32" group="system"/>
  <reg name="cr2" bitsize="32" type="data_ptr" group="system"/>
  <reg name="cr3" bitsize="32" type="int32" group="system"/>
  <reg name="cr4" bitsize="32" type="int32" group="system"/>
  <reg name="gdtr_base" bitsize="32" type="data_ptr" group="system"/>
  <reg name="gdtr_limit" bitsize="32" type="int32" group="system"/>
  <reg name="idtr_base" bitsize="32" type="data_ptr" group="system"/>
  <reg name="idtr_limit" bitsize="32" type="int32" group="system"/>
  <reg name="tr" bitsize="32" type="int32" group="system"/>
  <reg name="ldtr" bitsize="32" type="int32" group="system"/>
  <reg name="cpl" bitsize="32" type="int32" group="system"/>
</feature>
)";

u32 value_of(const Cpu& c, const RegisterInfo& r) {
  switch (r.kind) {
    case RegKind::Gpr: return c.gpr[r.index];
    case RegKind::Eip: return c.eip;
    case RegKind::Eflags: return c.flags();
    case RegKind::Seg: return c.seg[r.index].selector;
    case RegKind::Cr0: return c.cr0;
    case RegKind::Cr2: return c.cr2;
    case RegKind::Cr3: return c.cr3;
    case RegKind::Cr4: return c.cr4;
    case RegKind::GdtrBase: return c.gdtr.base;
    case RegKind::GdtrLimit: return c.gdtr.limit;
    case RegKind::IdtrBase: return c.idtr.base;
    case RegKind::IdtrLimit: return c.idtr.limit;
    case RegKind::Tr: return c.tr.selector;
    case RegKind::Ldtr: return c.ldtr.selector;
    case RegKind::Cpl: return c.cpl;
    case RegKind::X87: break;
  }
  return 0;
}

}  // namespace

std::span<const RegisterInfo> target_registers() { return kRegs; }

std::string_view target_architecture(const Cpu& c) { return in_protected_mode(c) ? "i386" : "i8086"; }

std::optional<std::string> target_xml(std::string_view annex, const Cpu& c) {
  if (annex == "target.xml") {
    std::string doc(kTargetXmlHead);
    doc += target_architecture(c);
    doc += kTargetXmlTail;
    // GDB's default OS ABI (GNU/Linux on a Linux host) has no handler for i8086 and says so in a warning at
    // every connection; a bare machine has no OS ABI, so the 16-bit description says none.
    if (!in_protected_mode(c)) doc.insert(doc.find("  <xi:include"), "  <osabi>none</osabi>\n");
    return doc;
  }
  if (annex == "i386-core.xml") return std::string(kCoreXml);
  if (annex == "ring1-system.xml") return std::string(kSystemXml);
  return std::nullopt;
}

std::string read_register_hex(const Cpu& c, const RegisterInfo& r) {
  if (r.kind == RegKind::X87) return std::string(r.bytes * 2u, 'x');
  u8 b[4];
  const u32 v = value_of(c, r);
  std::memcpy(b, &v, 4);
  return fmt::format("{:02x}{:02x}{:02x}{:02x}", b[0], b[1], b[2], b[3]);
}

bool write_register(Cpu& c, const RegisterInfo& r, std::string_view bytes) {
  if (bytes.size() != r.bytes) return false;
  u32 v = 0;
  std::memcpy(&v, bytes.data(), 4 <= bytes.size() ? 4 : bytes.size());
  switch (r.kind) {
    case RegKind::Gpr: c.gpr[r.index] = v; return true;
    case RegKind::Eip: c.eip = c.next_eip = v; return true;
    // The reserved bit 1 always reads as 1. VM keeps its value: entering or leaving V86 mode also reloads
    // the segments and CPL, which a register write does not.
    case RegKind::Eflags: c.set_flags(((v | eflags::Reserved1) & ~eflags::VM) | (c.eflags & eflags::VM)); return true;
    case RegKind::Cr0: c.set_cr0(v); return true;
    case RegKind::Cr2: c.cr2 = v; return true;
    case RegKind::Cr3: c.set_cr3(v); return true;
    case RegKind::Cr4: c.set_cr4(v); return true;
    case RegKind::GdtrBase: c.gdtr.base = v; return true;
    case RegKind::GdtrLimit:
      if (v > 0xFFFF) return false;
      c.gdtr.limit = static_cast<u16>(v);
      return true;
    case RegKind::IdtrBase: c.idtr.base = v; return true;
    case RegKind::IdtrLimit:
      if (v > 0xFFFF) return false;
      c.idtr.limit = static_cast<u16>(v);
      return true;
    // Unchanged values are accepted (a `G` packet carries every register); changes need a descriptor load.
    case RegKind::Seg:
    case RegKind::Tr:
    case RegKind::Ldtr:
    case RegKind::Cpl: return v == value_of(c, r);
    case RegKind::X87: return false;
  }
  return false;
}

}  // namespace ring1
