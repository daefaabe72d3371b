// The sensitive but unprivileged instructions of IA-32 (Robin & Irvine, USENIX Security 2000; the Xen paper's
// first argument): instructions that read or change privileged state yet raise no exception outside ring 0,
// so a kernel moved to ring 1 behaves differently without anyone noticing. One table lists them with what
// differs above ring 0; the decoder marks them, and the CPU records each execution in a deprivileged ring.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "common/types.h"
#include "cpu/decode/decoded_insn.h"

namespace ring1 {

// One row of the table per instruction (or instruction form) that behaves differently above ring 0.
enum class SensitiveInsn : u8 {
  Pushf, Popf, Iret, Cli, Sti,
  Sgdt, Sidt, Sldt, Str, Smsw,
  Lar, Lsl, Verr, Verw,
  PushCs, PushSs, MovFromCs, MovFromSs,
  Count
};

// What one execution did differently from ring 0 (the report counts executions by this).
enum class SensitiveEffect : u8 {
  IfChangeIgnored,    // POPF/IRET wanted another IF; CPL > IOPL kept the old one, with no exception
  IoplChangeIgnored,  // POPF/IRET wanted another IOPL; CPL > 0 kept the old one, with no exception
  FlagsRevealed,      // PUSHF stored the processor's IF and IOPL, not the kernel's idea of them
  RealIfChanged,      // CLI/STI/POPF at CPL <= IOPL changed the processor's IF: masking for everyone
  TableRevealed,      // SGDT/SIDT stored the base and limit of the table the processor really uses
  SelectorRevealed,   // SLDT/STR stored the LDT or TSS selector the processor really uses
  Cr0Revealed,        // SMSW stored CR0's low word (PE, MP, EM, TS, ...) as the processor has it
  RplShowsRing,       // CS or SS stored with RPL = CPL: the kernel can see which ring it runs in
  AccessCheckDiffers, // LAR/LSL/VERR/VERW answered otherwise than they would have at CPL 0
  NoDifference,       // this execution happened to behave as it would have at CPL 0
  Count
};

struct SensitiveRow {
  SensitiveInsn insn;
  std::string_view name;        // as the trace and the report spell it
  std::string_view at_ring0;    // what the instruction does for a kernel in ring 0
  std::string_view deprivileged;  // what differs at CPL 1, 2 or 3, with no exception raised
  std::string_view sdm;         // where the SDM says so
};

// The table, indexed by SensitiveInsn.
extern const std::array<SensitiveRow, static_cast<size_t>(SensitiveInsn::Count)> kSensitiveTable;

const SensitiveRow& sensitive_row(SensitiveInsn i);
std::string_view sensitive_effect_name(SensitiveEffect e);

// The row a decoded instruction belongs to, if any (PUSH and MOV only in their CS and SS forms).
std::optional<SensitiveInsn> classify_sensitive(const DecodedInsn& d);

// One execution by code running deprivileged (see Cpu::sensitive_rings). `a` and `b` carry the values the
// effect names: the old and wanted IF or IOPL, a table's base and limit, a selector and the ring, ZF at the
// ring it ran in (bit 0) and at ring 0 (bit 1), the pushed flags image.
struct SensitiveEvent {
  Cycles cycle = 0;
  SensitiveInsn insn = SensitiveInsn::Pushf;
  SensitiveEffect effect = SensitiveEffect::NoDifference;
  u8 cpl = 0;
  u16 cs = 0;
  u32 eip = 0;
  u32 a = 0, b = 0;
};

// What differed, in words, for the trace ("tried to change IF from 1 to 0: ignored at CPL 1 > IOPL 0").
std::string sensitive_detail(const SensitiveEvent& e);

// Counts for the report: executions by instruction and by effect, and by the ring they ran in.
struct SensitiveStats {
  std::array<u64, static_cast<size_t>(SensitiveInsn::Count)> by_insn{};
  std::array<u64, static_cast<size_t>(SensitiveEffect::Count)> by_effect{};
  std::array<u64, 4> by_ring{};
  u64 total = 0;
};

}  // namespace ring1
