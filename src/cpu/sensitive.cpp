// The table of sensitive but unprivileged instructions, the decoder's classification into it, and the words
// the trace uses for each effect. Far CALL/JMP/RET and INT n are not rows: when their privilege checks
// refuse a deprivileged kernel they raise #GP or #NP, which a trap-and-emulate monitor does see.
#include "cpu/sensitive.h"

#include <fmt/format.h>

#include "common/eflags.h"
#include "cpu/segment.h"

namespace ring1 {

using S = SensitiveInsn;

const std::array<SensitiveRow, static_cast<size_t>(SensitiveInsn::Count)> kSensitiveTable = {{
    {S::Pushf, "pushf", "stores the kernel's own IF and IOPL",
     "stores the processor's IF and IOPL: a monitor's real values, not the kernel's virtual ones",
     "vol. 2 PUSHF; vol. 3 2.3"},
    {S::Popf, "popf", "loads every flag, IF and IOPL included",
     "IOPL is kept at CPL > 0 and IF at CPL > IOPL, silently: an attempt to disable interrupts does nothing",
     "vol. 2 POPF (protected-mode table)"},
    {S::Iret, "iret", "loads the popped EFLAGS image, IF and IOPL included",
     "as POPF: IOPL is kept at CPL > 0 and IF at CPL > IOPL, with no exception", "vol. 2 IRET"},
    {S::Cli, "cli", "clears IF", "at CPL <= IOPL clears the processor's IF, masking interrupts for everyone "
                                 "(at CPL > IOPL it is #GP: that case traps)", "vol. 2 CLI"},
    {S::Sti, "sti", "sets IF", "at CPL <= IOPL sets the processor's IF (at CPL > IOPL it is #GP: that case traps)",
     "vol. 2 STI"},
    {S::Sgdt, "sgdt", "stores the kernel's GDT base and limit",
     "stores the GDTR the processor uses: the monitor's table, not the one the kernel believes it loaded",
     "vol. 2 SGDT; vol. 3 2.8"},
    {S::Sidt, "sidt", "stores the kernel's IDT base and limit",
     "stores the IDTR the processor uses: the monitor's table", "vol. 2 SIDT; vol. 3 2.8"},
    {S::Sldt, "sldt", "stores the kernel's LDT selector", "stores the LDTR selector the processor uses",
     "vol. 2 SLDT"},
    {S::Str, "str", "stores the kernel's TSS selector", "stores the TR selector the processor uses (the monitor's TSS)",
     "vol. 2 STR"},
    {S::Smsw, "smsw", "stores CR0's low word",
     "stores the processor's CR0 low word (PE, MP, EM, TS, ET, NE): the monitor's settings", "vol. 2 SMSW"},
    {S::Lar, "lar", "descriptor visible when DPL >= RPL",
     "descriptor visible only when DPL >= max(CPL, RPL): the answer (ZF) depends on the ring",
     "vol. 2 LAR; vol. 3 5.10.1"},
    {S::Lsl, "lsl", "descriptor visible when DPL >= RPL",
     "descriptor visible only when DPL >= max(CPL, RPL): the answer (ZF) depends on the ring", "vol. 2 LSL"},
    {S::Verr, "verr", "readable when DPL >= RPL", "readable only when DPL >= max(CPL, RPL): ZF depends on the ring",
     "vol. 2 VERR/VERW"},
    {S::Verw, "verw", "writable when DPL >= RPL", "writable only when DPL >= max(CPL, RPL): ZF depends on the ring",
     "vol. 2 VERR/VERW"},
    {S::PushCs, "push cs", "pushes CS with RPL 0", "pushes CS with RPL = CPL: the kernel sees the ring it runs in",
     "vol. 3 5.5 (CS.RPL = CPL)"},
    {S::PushSs, "push ss", "pushes SS with RPL 0", "pushes SS with RPL = CPL: the ring shows", "vol. 3 5.7 (SS.RPL = CPL)"},
    {S::MovFromCs, "mov r/m, cs", "stores CS with RPL 0", "stores CS with RPL = CPL: the ring shows",
     "vol. 2 MOV; vol. 3 5.5"},
    {S::MovFromSs, "mov r/m, ss", "stores SS with RPL 0", "stores SS with RPL = CPL: the ring shows",
     "vol. 2 MOV; vol. 3 5.7"},
}};

const SensitiveRow& sensitive_row(SensitiveInsn i) { return kSensitiveTable[static_cast<size_t>(i)]; }

std::string_view sensitive_effect_name(SensitiveEffect e) {
  switch (e) {
    case SensitiveEffect::IfChangeIgnored: return "if-change-ignored";
    case SensitiveEffect::IoplChangeIgnored: return "iopl-change-ignored";
    case SensitiveEffect::FlagsRevealed: return "flags-revealed";
    case SensitiveEffect::RealIfChanged: return "real-if-changed";
    case SensitiveEffect::TableRevealed: return "table-revealed";
    case SensitiveEffect::SelectorRevealed: return "selector-revealed";
    case SensitiveEffect::Cr0Revealed: return "cr0-revealed";
    case SensitiveEffect::RplShowsRing: return "rpl-shows-ring";
    case SensitiveEffect::AccessCheckDiffers: return "access-check-differs";
    case SensitiveEffect::NoDifference: return "no-difference";
    case SensitiveEffect::Count: break;
  }
  return "?";
}

std::optional<SensitiveInsn> classify_sensitive(const DecodedInsn& d) {
  using M = Mnemonic;
  auto seg_operand = [&](u8 k) -> int {
    if (k < d.operand_count && d.op[k].kind == OpKind::Reg && d.op[k].reg_class == RegClass::Seg) return d.op[k].reg;
    return -1;
  };
  switch (d.mnemonic) {
    case M::PUSHF: case M::PUSHFD: return S::Pushf;
    case M::POPF: case M::POPFD: return S::Popf;
    case M::IRET: case M::IRETD: return S::Iret;
    case M::CLI: return S::Cli;
    case M::STI: return S::Sti;
    case M::SGDT: return S::Sgdt;
    case M::SIDT: return S::Sidt;
    case M::SLDT: return S::Sldt;
    case M::STR: return S::Str;
    case M::SMSW: return S::Smsw;
    case M::LAR: return S::Lar;
    case M::LSL: return S::Lsl;
    case M::VERR: return S::Verr;
    case M::VERW: return S::Verw;
    case M::PUSH:
      if (seg_operand(0) == CS) return S::PushCs;
      if (seg_operand(0) == SS) return S::PushSs;
      return std::nullopt;
    case M::MOV:
      if (seg_operand(1) == CS) return S::MovFromCs;
      if (seg_operand(1) == SS) return S::MovFromSs;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::string sensitive_detail(const SensitiveEvent& e) {
  switch (e.effect) {
    case SensitiveEffect::IfChangeIgnored:
      return fmt::format("tried to change IF from {} to {}: ignored (CPL {} > IOPL {})", e.a & 1, e.b & 1, e.cpl,
                         e.a >> 1);
    case SensitiveEffect::IoplChangeIgnored:
      return fmt::format("tried to change IOPL from {} to {}: ignored (CPL {} > 0)", e.a, e.b, e.cpl);
    case SensitiveEffect::FlagsRevealed:
      return fmt::format("stored EFLAGS {:#010x}: the processor's IF={} IOPL={}", e.a, (e.a & eflags::IF) ? 1 : 0,
                         (e.a & eflags::IOPL) >> 12);
    case SensitiveEffect::RealIfChanged:
      return fmt::format("changed the processor's IF from {} to {} (CPL {} <= IOPL {})", e.a & 1, e.b & 1, e.cpl,
                         e.a >> 1);
    case SensitiveEffect::TableRevealed:
      return fmt::format("revealed base={:#010x} limit={:#06x}", e.a, e.b);
    case SensitiveEffect::SelectorRevealed:
      return fmt::format("revealed selector {:#06x}", e.a);
    case SensitiveEffect::Cr0Revealed:
      return fmt::format("revealed CR0 low word {:#06x}", e.a);
    case SensitiveEffect::RplShowsRing:
      return fmt::format("stored selector {:#06x}: RPL {} shows ring {}", e.a, e.a & 3, e.cpl);
    case SensitiveEffect::AccessCheckDiffers:
      return fmt::format("answered ZF={} at CPL {} where CPL 0 gets ZF={}", e.b & 1, e.cpl, (e.b >> 1) & 1);
    case SensitiveEffect::NoDifference:
      return "behaved as at CPL 0";
    case SensitiveEffect::Count: break;
  }
  return "?";
}

}  // namespace ring1
