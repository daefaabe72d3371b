#include "machine/report.h"

#include <fmt/format.h>

#include "cpu/isa/ud.h"
#include "hypervisor/hv_report.h"

namespace ring1 {

namespace {
std::string disasm_at(Machine& m, u32 eip) {
  Cpu& c = m.cpu();
  u32 lin = c.seg[CS].base + eip;
  u8 bytes[15] = {};
  u32 n = 0;
  for (; n < 15 && m.ram().contains(lin + n, 1); ++n) bytes[n] = *m.ram().host(lin + n);
  if (n == 0) return "(no memory)";
  std::string text = c.decode_cache().decoder().disassemble(bytes, n, c.code32(), eip);
  return text;
}

std::string json_escape(std::string_view in) {
  std::string out;
  for (char ch : in) {
    if (ch == '"' || ch == '\\') out += '\\', out += ch;
    else if (static_cast<unsigned char>(ch) < 0x20) out += fmt::format("\\u{:04x}", int(ch));
    else out += ch;
  }
  return out;
}

double mips(const Machine& m, const RunSummary& s) {
  return s.wall_seconds > 0 ? double(const_cast<Machine&>(m).cpu().instret) / s.wall_seconds / 1e6 : 0.0;
}
}  // namespace

std::string describe_fault(Machine& m) {
  Cpu& c = m.cpu();
  const FaultRecord& f = c.last_fault();
  std::string err = f.has_error_code ? fmt::format(" error code {:#x}", f.error_code) : "";
  // A fault reports the faulting instruction; a trap (INT n) the one it was raised by, just before EIP.
  std::string insn = f.software ? "software interrupt" : disasm_at(m, f.eip);
  return fmt::format("{} (vector {}){} at EIP {:#010x} in ring {}: {}", vector_name(f.vector), f.vector, err, f.eip,
                     f.cpl, insn);
}

// The TLB, transition, exception and port sections, shared by both formats' builders below.
std::string tlb_text(Machine& m) {
  const MmuStats& st = m.mmu().stats();
  std::string out = fmt::format("  tlb:           {} profile {}, paging {}\n",
                                m.mmu().mode() == TlbMode::Tagged ? "tagged" : "untagged", m.mmu().profile().name,
                                m.mmu().paging() ? "on" : "off");
  for (auto [name, t] : {std::pair{"itlb", &st.itlb}, std::pair{"dtlb", &st.dtlb}})
    out += fmt::format("    {}:         {} lookups, {} hits, {} misses, {} fills, {} evictions\n", name, t->lookups,
                       t->hits(), t->misses, t->fills, t->evictions);
  for (size_t k = 0; k < st.flushes.size(); ++k)
    if (st.flushes[k])
      out += fmt::format("    flush {:<9} {} flushes, {} entries dropped\n", flush_cause_name(FlushCause(k)),
                         st.flushes[k], st.entries_dropped[k]);
  out += fmt::format("    walks:        {} ({} cycles), {} page faults\n", st.walks, st.walk_cycles, st.page_faults);
  return out;
}

std::string transitions_text(Machine& m) {
  const InterruptStats& is = m.cpu().interrupt_stats;
  std::string out;
  for (int f = 0; f < 4; ++f)
    for (int t = 0; t < 4; ++t) {
      if (is.deliveries[f][t]) out += fmt::format("    ring {} -> ring {}: {} by interrupt or exception\n", f, t, is.deliveries[f][t]);
      if (is.returns[f][t]) out += fmt::format("    ring {} -> ring {}: {} by IRET\n", f, t, is.returns[f][t]);
    }
  std::string vectors;
  for (int v = 0; v < 256; ++v)
    if (is.by_vector[v]) vectors += fmt::format("{}{} x{}", vectors.empty() ? "" : ", ", vector_name(u8(v)) == "INT n" ? fmt::format("INT {:#x}", v) : std::string(vector_name(u8(v))), is.by_vector[v]);
  if (!out.empty()) out = "  transitions:\n" + out;
  if (!vectors.empty()) out += fmt::format("  vectors:       {}\n", vectors);
  return out;
}

std::string ports_text(Machine& m) {
  std::string list;
  for (const PortCount& p : m.ports().touched())
    list += fmt::format("{}{:#06x} ({}r/{}w)", list.empty() ? "" : ", ", p.port, p.reads, p.writes);
  return list.empty() ? "" : fmt::format("  i/o ports:     {}\n", list);
}

std::string describe_triple_fault(Machine& m) {
  Cpu& c = m.cpu();
  const FaultRecord& f = c.last_fault();
  return fmt::format("triple fault in ring {} at EIP {:#010x} ({}): {}", f.cpl, f.eip, disasm_at(m, f.eip),
                     c.host_error());
}

std::string report_text(Machine& m, const RunSummary& s) {
  Cpu& c = m.cpu();
  std::string out;
  out += fmt::format("ring1 report: {}\n", s.image);
  out += fmt::format("  stopped:       {}\n", stop_reason_name(s.reason));
  if (s.reason == StopReason::UnhandledFault) out += fmt::format("  exception:     {}\n", describe_fault(m));
  if (s.reason == StopReason::HostError) out += fmt::format("  error:         {}\n", c.host_error());
  if (s.reason == StopReason::NotModelled) out += fmt::format("  not modelled:  {}\n", c.host_error());
  if (s.reason == StopReason::Ring1Bug) out += fmt::format("  ring1 bug:     {}\n", c.host_error());
  if (s.reason == StopReason::Halted && !c.host_error().empty())
    out += fmt::format("  halt:          {}\n", c.host_error());
  if (s.reason == StopReason::TripleFault) out += fmt::format("  crash:         {}\n", describe_triple_fault(m));
  if (s.guest_exit_status)
    out += fmt::format("  guest exit:    {} (isa-debug-exit value {:#x})\n", *s.guest_exit_status,
                       *s.guest_exit_status >> 1);
  out += fmt::format("  instructions:  {}\n", c.instret);
  out += fmt::format("  cycles:        {} (modelled, profile {})\n", c.cycles, m.costs().name);
  if (c.halted_cycles) out += fmt::format("    halted:      {} cycles waiting in HLT\n", c.halted_cycles);
  for (int r = 0; r < 4; ++r)
    if (c.insns_by_ring[r])
      out += fmt::format("    ring {}:      {} instructions, {} cycles\n", r, c.insns_by_ring[r], c.cycles_by_ring[r]);
  out += fmt::format("  registers:     eax={:08x} ebx={:08x} ecx={:08x} edx={:08x}\n", c.gpr[EAX], c.gpr[EBX],
                     c.gpr[ECX], c.gpr[EDX]);
  out += fmt::format("                 esi={:08x} edi={:08x} ebp={:08x} esp={:08x}\n", c.gpr[ESI], c.gpr[EDI],
                     c.gpr[EBP], c.gpr[ESP]);
  out += fmt::format("                 eip={:08x} eflags={:08x} cpl={}\n", c.eip, c.eflags, c.cpl);
  out += tlb_text(m);
  if (s.hypervisor) out += hv::hv_report_text(*s.hypervisor);
  out += transitions_text(m);
  out += ports_text(m);
  const auto& dc = c.decode_cache().stats();
  out += fmt::format("  decode cache:  {} blocks built, {} instructions decoded, {} frames invalidated\n",
                     dc.blocks_built, dc.insns_decoded, dc.frames_invalidated);
  out += fmt::format("  host:          {:.3f} s wall, {:.1f} guest MIPS\n", s.wall_seconds, mips(m, s));
  return out;
}

std::string report_json(Machine& m, const RunSummary& s) {
  Cpu& c = m.cpu();
  std::string fault = "null";
  if (s.reason == StopReason::UnhandledFault || s.reason == StopReason::TripleFault) {
    const FaultRecord& f = c.last_fault();
    std::string what = s.reason == StopReason::TripleFault ? describe_triple_fault(m) : describe_fault(m);
    fault = fmt::format(R"({{"vector":{},"error_code":{},"eip":{},"ring":{},"description":"{}"}})", f.vector,
                        f.has_error_code ? std::to_string(f.error_code) : "null", f.eip, f.cpl, json_escape(what));
  }
  std::string rings;
  for (int r = 0; r < 4; ++r)
    rings += fmt::format(R"({}{{"ring":{},"instructions":{},"cycles":{}}})", r ? "," : "", r, c.insns_by_ring[r],
                         c.cycles_by_ring[r]);
  const MmuStats& st = m.mmu().stats();
  auto tlb_json = [](const TlbCounters& t) {
    return fmt::format(R"({{"lookups":{},"hits":{},"misses":{},"fills":{},"evictions":{}}})", t.lookups, t.hits(),
                       t.misses, t.fills, t.evictions);
  };
  std::string flushes;
  for (size_t k = 0; k < st.flushes.size(); ++k)
    flushes += fmt::format(R"({}"{}":{{"flushes":{},"entries_dropped":{}}})", k ? "," : "",
                           flush_cause_name(FlushCause(k)), st.flushes[k], st.entries_dropped[k]);
  std::string tlb = fmt::format(
      R"({{"mode":"{}","profile":"{}","itlb":{},"dtlb":{},"flushes":{{{}}},"walks":{},"walk_cycles":{},"page_faults":{}}})",
      m.mmu().mode() == TlbMode::Tagged ? "tagged" : "untagged", m.mmu().profile().name, tlb_json(st.itlb),
      tlb_json(st.dtlb), flushes, st.walks, st.walk_cycles, st.page_faults);
  const InterruptStats& is = c.interrupt_stats;
  std::string transitions, vectors, ports;
  for (int f = 0; f < 4; ++f)
    for (int t = 0; t < 4; ++t)
      if (is.deliveries[f][t] || is.returns[f][t])
        transitions += fmt::format(R"({}{{"from":{},"to":{},"interrupts":{},"irets":{}}})", transitions.empty() ? "" : ",",
                                   f, t, is.deliveries[f][t], is.returns[f][t]);
  for (int v = 0; v < 256; ++v)
    if (is.by_vector[v]) vectors += fmt::format(R"({}"{}":{})", vectors.empty() ? "" : ",", v, is.by_vector[v]);
  for (const PortCount& p : m.ports().touched())
    ports += fmt::format(R"({}{{"port":{},"reads":{},"writes":{}}})", ports.empty() ? "" : ",", p.port, p.reads, p.writes);
  const auto& dc = c.decode_cache().stats();
  return fmt::format(
      R"({{"image":"{}","stopped":"{}","instructions":{},"cycles":{},"cost_profile":"{}","halted_cycles":{},)"
      R"("guest_exit_status":{},"by_ring":[{}],)"
      R"("exception":{},"tlb":{},"transitions":[{}],"vectors":{{{}}},"io_ports":[{}],"registers":{{"eax":{},"ebx":{},"ecx":{},"edx":{},"esi":{},"edi":{},"ebp":{},"esp":{},)"
      R"("eip":{},"eflags":{}}},"decode_cache":{{"blocks_built":{},"insns_decoded":{},"frames_invalidated":{}}},)"
      R"("hypervisor":{},"host":{{"wall_seconds":{:.6f},"mips":{:.3f}}}}})"
      "\n",
      json_escape(s.image), stop_reason_name(s.reason), c.instret, c.cycles, json_escape(m.costs().name),
      c.halted_cycles, s.guest_exit_status ? std::to_string(*s.guest_exit_status) : "null", rings, fault,
      tlb, transitions, vectors, ports, c.gpr[EAX], c.gpr[EBX],
      c.gpr[ECX], c.gpr[EDX], c.gpr[ESI], c.gpr[EDI], c.gpr[EBP], c.gpr[ESP], c.eip, c.eflags, dc.blocks_built,
      dc.insns_decoded, dc.frames_invalidated, s.hypervisor ? hv::hv_report_json(*s.hypervisor) : "null",
      s.wall_seconds, mips(m, s));
}

}  // namespace ring1
