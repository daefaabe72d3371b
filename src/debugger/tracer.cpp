// The tracer's lines (formats in tracer.h).
#include "debugger/tracer.h"

#include <fmt/format.h>

#include "common/fault.h"
#include "mmu/guest_memory.h"
#include "hypervisor/hv_report.h"
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/xen_abi.h"
#include "machine/machine.h"

namespace ring1 {

std::optional<TraceSet> parse_trace_set(std::string_view list, std::string& error) {
  TraceSet s;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    const std::string_view name = list.substr(pos, comma - pos);
    if (name == "ring") s.ring = true;
    else if (name == "fault") s.fault = true;
    else if (name == "tlb") s.tlb = true;
    else if (name == "io") s.io = true;
    else if (name == "insn") s.insn = true;
    else if (name == "hypercall") s.hypercall = true;
    else if (name == "sensitive") s.sensitive = true;
    else {
      error = fmt::format("--trace: unknown event kind '{}' (known: ring, fault, tlb, io, insn, hypercall, sensitive)", name);
      return std::nullopt;
    }
    pos = comma + 1;
  }
  return s;
}

std::string transition_cause_text(TransitionCause cause, u8 vector) {
  switch (cause) {
    case TransitionCause::Exception: return fmt::format("exception {} ({})", vector_name(vector), vector);
    case TransitionCause::SoftwareInterrupt: return fmt::format("int {:#04x}", vector);
    case TransitionCause::ExternalInterrupt: return fmt::format("interrupt {:#04x}", vector);
    case TransitionCause::Iret: return "iret";
    case TransitionCause::FarCall: return "far-call";
    case TransitionCause::FarRet: return "far-ret";
    case TransitionCause::TaskSwitch: return "task-switch";
    case TransitionCause::Sysenter: return "sysenter";
    case TransitionCause::Sysexit: return "sysexit";
  }
  return "?";
}

std::string transition_cause_text(const RingTransition& t, bool paravirtual, u32 eax) {
  std::string text = transition_cause_text(t.cause, t.vector);
  if (paravirtual && t.cause == TransitionCause::SoftwareInterrupt && t.vector == xen::kHypercallVector && t.to_cpl == 0)
    text += fmt::format(" ({})", hv::hypercall_name(eax));
  return text;
}

Tracer::Tracer(Machine& m, TraceSet what, std::FILE* out, bool paravirtual)
    : m_(m), what_(what), out_(out), paravirtual_(paravirtual) {}

// fputs, not fmt::print: a write error (a full disk) must not throw out of the run; it stays in the stream's
// error flag, which `ring1 run` checks at the end (exit status 126 and a line saying the trace was lost).
void Tracer::emit(const std::string& line) { std::fputs(line.c_str(), out_); }

void Tracer::ring_transition(const RingTransition& t) {
  if (!what_.ring) return;
  emit(fmt::format("ring  cycle={} from={}/{:04x}:{:08x} to={}/{:04x}:{:08x} cause={}\n", t.cycle, t.from_cpl,
                   t.from_cs, t.from_eip, t.to_cpl, t.to_cs, t.to_eip,
                   transition_cause_text(t, paravirtual_, m_.cpu().gpr[EAX])));
}

void Tracer::exception(const ExceptionEvent& e) {
  if (!what_.fault) return;
  std::string line = fmt::format("fault cycle={} vector={} {}", e.cycle, e.vector, vector_name(e.vector));
  line += e.has_error_code ? fmt::format(" error={:#010x}", e.error_code) : std::string(" error=-");
  if (e.vector == static_cast<u8>(Vector::PF)) line += fmt::format(" cr2={:#010x}", e.cr2);
  line += fmt::format(" eip={:#010x} ring={}\n", e.eip, e.cpl);
  emit(line);
}

void Tracer::sensitive(const SensitiveEvent& e) {
  if (!what_.sensitive) return;
  fmt::print(out_, "sens  cycle={} ring={} {:04x}:{:08x} {} {}: {}\n", e.cycle, e.cpl, e.cs, e.eip,
             sensitive_row(e.insn).name, sensitive_effect_name(e.effect), sensitive_detail(e));
}

void Tracer::port_access(u16 port, u8 size, u32 value, bool write) {
  if (!what_.io) return;
  emit(fmt::format("io    cycle={} {} port={:#06x} size={} value={:#010x}\n", m_.cpu().cycles,
                   write ? "out" : "in ", port, size, value));
}

void Tracer::tlb_flush(FlushCause cause, u32 dropped, u32 lin) {
  if (!what_.tlb) return;
  // EIP is the instruction doing the flush (MOV CR3, INVLPG, ...), or the hypervisor stub's VMCALL when the
  // hypervisor flushes for a guest's request.
  const Cpu& c = m_.cpu();
  std::string line = fmt::format("tlb   cycle={} ring={} eip={:#010x} flush cause={} dropped={}", c.cycles, c.cpl,
                                 c.eip, flush_cause_name(cause), dropped);
  if (cause == FlushCause::Invlpg) line += fmt::format(" addr={:#010x}", lin);
  line += '\n';
  emit(line);
}

void Tracer::instruction() {
  if (!what_.insn) return;
  const Cpu& c = m_.cpu();
  const Segment& cs = c.seg[CS];
  u8 bytes[15];
  const u32 n = debug_read(m_.mmu(), cs.base + c.eip, sizeof bytes, bytes, false);
  DecodedInsn d;
  u32 len = n;
  if (n && decoder_.decode(bytes, n, cs.big, d) == DecodeStatus::Ok) len = d.length;
  const std::string text = n ? decoder_.disassemble(bytes, n, cs.big, c.eip) : std::string("(unmapped)");
  std::string hex;
  for (u32 k = 0; k < len; ++k) hex += fmt::format("{:02x}", bytes[k]);
  emit(fmt::format("insn  cycle={} ring={} {:04x}:{:08x} {} {}\n", c.cycles, c.cpl, cs.selector, c.eip, hex, text));
}

void Tracer::hypercall(const hv::HypercallEvent& e) {
  if (!what_.hypercall) return;
  std::string line = fmt::format("hcall cycle={} nr={} {}", e.cycle, e.nr, hv::hypercall_name(e.nr));
  if (e.from_multicall) line += fmt::format(" multicall[{}]", e.multicall_index);
  if (const u8 k = hv::hypercall_info(e.nr).count_arg) line += fmt::format(" count={}", e.args[k - 1]);
  line += fmt::format(" ebx={:#010x} ecx={:#010x} edx={:#010x} esi={:#010x} edi={:#010x} eax={:#010x}", e.args[0],
                      e.args[1], e.args[2], e.args[3], e.args[4], e.result);
  if (static_cast<i32>(e.result) < 0 && static_cast<i32>(e.result) > -4096)
    line += fmt::format(" ({})", static_cast<i32>(e.result));
  line += '\n';
  emit(line);
}

void Tracer::bounce(const hv::BounceEvent& e) {
  if (!what_.hypercall) return;
  std::string line = fmt::format("bounce cycle={} vector={} ", e.cycle, e.vector);
  if (e.via_gp) line += fmt::format("int {:#04x} via #GP", e.vector);
  else line += vector_name(e.vector);
  if (e.has_error_code) line += fmt::format(" error={:#010x}", e.error_code);
  if (e.vector == static_cast<u8>(Vector::PF) && !e.via_gp) line += fmt::format(" cr2={:#010x}", e.cr2);
  line += fmt::format(" from={}/{:04x}:{:08x} to={}/{:04x}:{:08x} esp={:#010x}\n", e.from_cpl, e.from_cs, e.from_eip,
                      e.to_cs & 3, e.to_cs, e.to_eip, e.to_esp);
  emit(line);
}

}  // namespace ring1
