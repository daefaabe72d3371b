#include "machine/report.h"

#include <fmt/format.h>

#include "cpu/isa/ud.h"
#include "hypervisor/domains_report.h"
#include "hypervisor/hv_report.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/io_report.h"
#include "mmu/guest_memory.h"
#include "machine/measure_ports.h"

namespace ring1 {

namespace {
// The instruction at `base` + `eip` (CS's base), disassembled, read through the MMU.
std::string disasm_at(Machine& m, u32 base, u32 eip, bool code32) {
  u8 bytes[15] = {};
  // Read as the CPU sees it now, through the page tables when paging is on, without side effects
  // (debug_read walks with Mmu::probe: no TLB fill, no counter moves, so reporting changes nothing).
  const u32 n = debug_read(m.mmu(), base + eip, 15, bytes, false);
  if (n == 0) return "(not mapped, or no memory)";
  return m.cpu().decode_cache().decoder().disassemble(bytes, n, code32, eip);
}
std::string disasm_at(Machine& m, u32 eip) { return disasm_at(m, m.cpu().seg[CS].base, eip, m.cpu().code32()); }

// The base of the code segment `cs` names in the current GDT or LDT, read without side effects (as
// disasm_at). False if the descriptor is outside its table or unreadable.
bool code_segment_base(Machine& m, u16 cs, u32& base) {
  const Cpu& c = m.cpu();
  const bool ldt = cs & 4;
  const u32 table = ldt ? c.ldtr.base : c.gdtr.base;
  const u32 limit = ldt ? c.ldtr.limit : c.gdtr.limit;
  const u32 offset = u32(cs & ~7u);
  if (offset + 7 > limit) return false;
  u8 d[8];
  if (debug_read(m.mmu(), table + offset, 8, d, false) != 8) return false;
  base = u32(d[2]) | u32(d[3]) << 8 | u32(d[4]) << 16 | u32(d[7]) << 24;
  return true;
}

const char* shutdown_name(u32 r) {
  switch (r) {
    case 0: return "poweroff";  // SHUTDOWN_* (xen/sched.h)
    case 1: return "reboot";
    case 2: return "suspend";
    case 3: return "crash";
    case 4: return "watchdog";
  }
  return "unknown";
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

std::string stop_name(const RunSummary& s) {
  if (s.reason == StopReason::Requested) {
    if (s.killed) return "killed by debugger";
    if (s.guest_exit_status) return "guest exit";
    if (s.hypervisor && s.hypervisor->state() == hv::DomainState::Crashed) return "domain crashed";
    if (s.hypervisor && s.hypervisor->state() == hv::DomainState::Shutdown) return "domain shutdown";
    // SCHEDOP_block with no event that could ever arrive: the domain sleeps for good.
    if (s.hypervisor && s.hypervisor->state() == hv::DomainState::Blocked) return "domain blocked";
  }
  return std::string(stop_reason_name(s.reason));
}

namespace {
// Where a PV guest was when its domain stopped inside the hypervisor: ring, EIP, CS and the instruction
// there (for a hypercall, the one after it: the frame holds the return address, as Xen's does).
struct GuestPlace {
  u32 eip = 0;
  u16 cs = 0;
  u8 ring = 0;
  std::string insn;
};
std::optional<GuestPlace> guest_place(Machine& m, const RunSummary& s) {
  if (!s.hypervisor || !s.hypervisor->stop_frame()) return std::nullopt;
  const auto& f = *s.hypervisor->stop_frame();
  GuestPlace p{f.eip, u16(f.cs), u8(f.cs & 3), ""};
  u32 base = 0;
  p.insn = code_segment_base(m, p.cs, base) ? disasm_at(m, base, f.eip, true) : "(code segment unreadable)";
  return p;
}

// What the stop says beyond its name: the guest's exit status, the domain's shutdown reason or crash
// message. Empty when there is nothing to add.
std::string stop_detail(const RunSummary& s) {
  const std::string name = stop_name(s);
  if (name == "guest exit") return fmt::format("status {}", *s.guest_exit_status);
  if (name == "domain shutdown") return shutdown_name(s.hypervisor->shutdown_reason());
  if (name == "domain crashed") return s.hypervisor->crash_message();
  return "";
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

std::string config_text(Machine& m, const RunSummary& s) {
  const RunConfig& k = s.config;
  if (k.memory_bytes == 0) return "";  // a report from the debugger's `monitor stats`: no run configuration
  std::string where = k.platform == "pv" ? fmt::format("pv domain, hypervisor layout {}", k.hv_layout)
                                         : fmt::format("bare PC at {} MHz", k.cpu_mhz);
  std::string limits;
  if (k.max_instructions) limits += fmt::format(", at most {} instructions", k.max_instructions);
  if (k.max_cycles) limits += fmt::format(", at most {} cycles", k.max_cycles);
  return fmt::format("  config:        {}, {} MiB RAM, {} TLB profile {}, cost profile {}{}\n", where,
                     k.memory_bytes >> 20, m.mmu().mode() == TlbMode::Tagged ? "tagged" : "untagged",
                     m.mmu().profile().name, m.costs().name, limits);
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

// Sensitive but unprivileged instructions run in a deprivileged ring (cpu/sensitive.h), by instruction and by
// what differed from ring 0. Absent when there were none.
std::string sensitive_text(const Cpu& c) {
  const SensitiveStats& st = c.sensitive_stats;
  if (!st.total) return "";
  std::string rings, insns, effects;
  for (int r = 0; r < 4; ++r)
    if (st.by_ring[r]) rings += fmt::format("{}ring {}: {}", rings.empty() ? "" : ", ", r, st.by_ring[r]);
  for (size_t k = 0; k < st.by_insn.size(); ++k)
    if (st.by_insn[k])
      insns += fmt::format("{}{} x{}", insns.empty() ? "" : ", ", kSensitiveTable[k].name, st.by_insn[k]);
  for (size_t k = 0; k < st.by_effect.size(); ++k)
    if (st.by_effect[k])
      effects += fmt::format("{}{} x{}", effects.empty() ? "" : ", ", sensitive_effect_name(SensitiveEffect(k)),
                             st.by_effect[k]);
  return fmt::format("  sensitive:     {} executed deprivileged without a trap ({})\n    by insn:     {}\n"
                     "    by effect:   {}\n",
                     st.total, rings, insns, effects);
}

std::string sensitive_json(const Cpu& c) {
  const SensitiveStats& st = c.sensitive_stats;
  std::string insns, effects;
  for (size_t k = 0; k < st.by_insn.size(); ++k)
    insns += fmt::format(R"({}"{}":{})", k ? "," : "", kSensitiveTable[k].name, st.by_insn[k]);
  for (size_t k = 0; k < st.by_effect.size(); ++k)
    effects += fmt::format(R"({}"{}":{})", k ? "," : "", sensitive_effect_name(SensitiveEffect(k)), st.by_effect[k]);
  return fmt::format(R"({{"total":{},"by_ring":[{},{},{},{}],"by_instruction":{{{}}},"by_effect":{{{}}}}})", st.total,
                     st.by_ring[0], st.by_ring[1], st.by_ring[2], st.by_ring[3], insns, effects);
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
  const std::string detail = stop_detail(s);
  out += fmt::format("  stopped:       {}{}\n", stop_name(s), detail.empty() ? "" : " (" + detail + ")");
  if (auto p = guest_place(m, s))
    out += fmt::format("  guest at:      ring {}, EIP {:#010x} (CS {:#06x}): {}\n", p->ring, p->eip, p->cs, p->insn);
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
  out += fmt::format("                 cr0={:08x} cr2={:08x} cr3={:08x} cr4={:08x}\n", c.cr0, c.cr2, c.cr3, c.cr4);
  out += config_text(m, s);
  out += tlb_text(m);
  if (s.hypervisor) out += hv::hv_report_text(*s.hypervisor);
  if (s.domains) out += hv::domains_report_text(*s.domains);
  if (s.io) out += hv::io_report_text(*s.io);
  out += transitions_text(m);
  out += sensitive_text(c);
  out += ports_text(m);
  if (s.measure) out += measure_text(*s.measure);
  // Host-side, not deterministic: wall time, and the decode cache, whose blocks depend on how the run was
  // sliced (gdb's single steps and slices, --trace insn's one-instruction runs).
  const auto& dc = c.decode_cache().stats();
  out += fmt::format("  host:          {:.3f} s wall, {:.1f} guest MIPS\n", s.wall_seconds, mips(m, s));
  out += fmt::format("    decode cache: {} blocks built, {} instructions decoded, {} frames invalidated\n",
                     dc.blocks_built, dc.insns_decoded, dc.frames_invalidated);
  return out;
}

std::string report_json(Machine& m, const RunSummary& s) {
  Cpu& c = m.cpu();
  std::string place = "null";
  if (auto p = guest_place(m, s))
    place = fmt::format(R"({{"eip":{},"cs":{},"ring":{},"instruction":"{}"}})", p->eip, p->cs, p->ring,
                        json_escape(p->insn));
  const std::string name = stop_name(s);
  // The stop's own message: a crashed domain's, or the CPU's for a host error, "not modelled", a ring1 bug or a
  // halt that nothing can end.
  std::string message = "null";
  if (name == "domain crashed" || name == "domain blocked")
    message = fmt::format("\"{}\"", json_escape(s.hypervisor->crash_message()));
  else if (s.reason == StopReason::HostError || s.reason == StopReason::NotModelled || s.reason == StopReason::Ring1Bug ||
           (s.reason == StopReason::Halted && !c.host_error().empty()))  // why nothing can wake the CPU
    message = fmt::format("\"{}\"", json_escape(c.host_error()));
  const std::string shutdown_reason =
      s.hypervisor && s.hypervisor->state() != hv::DomainState::Running &&
              s.hypervisor->state() != hv::DomainState::Blocked
          ? fmt::format("\"{}\"", shutdown_name(s.hypervisor->shutdown_reason()))
          : "null";
  std::string stop = fmt::format(
      R"({{"reason":"{}","guest_exit_status":{},"shutdown_reason":{},"message":{},"guest_at":{}}})", name,
      s.guest_exit_status ? std::to_string(*s.guest_exit_status) : "null", shutdown_reason, message, place);
  std::string config = fmt::format(
      R"({{"platform":"{}","hv_layout":{},"memory_bytes":{},"cpu_mhz":{},"tlb":"{}","tlb_profile":"{}",)"
      R"("cost_profile":"{}","max_instructions":{},"max_cycles":{}}})",
      s.config.platform, s.config.hv_layout.empty() ? "null" : "\"" + s.config.hv_layout + "\"",
      s.config.memory_bytes, s.config.cpu_mhz ? std::to_string(s.config.cpu_mhz) : "null",
      m.mmu().mode() == TlbMode::Tagged ? "tagged" : "untagged", json_escape(m.mmu().profile().name),
      json_escape(m.costs().name), s.config.max_instructions ? std::to_string(s.config.max_instructions) : "null",
      s.config.max_cycles ? std::to_string(s.config.max_cycles) : "null");
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
      R"("guest_exit_status":{},"stop":{},"config":{},"by_ring":[{}],)"
      R"("exception":{},"tlb":{},"transitions":[{}],"vectors":{{{}}},"sensitive":{},"io_ports":[{}],"registers":{{"eax":{},"ebx":{},"ecx":{},"edx":{},"esi":{},"edi":{},"ebp":{},"esp":{},)"
      R"("eip":{},"eflags":{},"cpl":{},"cr0":{},"cr2":{},"cr3":{},"cr4":{}}},)"
      R"("hypervisor":{},"measure":{},"host":{{"wall_seconds":{:.6f},"mips":{:.3f},)"
      R"("decode_cache":{{"blocks_built":{},"insns_decoded":{},"frames_invalidated":{}}}}}}})"
      "\n",
      json_escape(s.image), name, c.instret, c.cycles, json_escape(m.costs().name), c.halted_cycles,
      s.guest_exit_status ? std::to_string(*s.guest_exit_status) : "null", stop, config, rings, fault,
      tlb, transitions, vectors, sensitive_json(c), ports, c.gpr[EAX], c.gpr[EBX],
      c.gpr[ECX], c.gpr[EDX], c.gpr[ESI], c.gpr[EDI], c.gpr[EBP], c.gpr[ESP], c.eip, c.eflags, c.cpl, c.cr0,
      c.cr2, c.cr3, c.cr4,
      (s.hypervisor ? hv::hv_report_json(*s.hypervisor) : "null") +
          (s.domains ? ",\"domains\":" + hv::domains_report_json(*s.domains) : "") +
          (s.io ? ",\"io\":" + hv::io_report_json(*s.io) : ""),
      s.measure ? measure_json(*s.measure) : "null", s.wall_seconds, mips(m, s),
      dc.blocks_built, dc.insns_decoded, dc.frames_invalidated);
}

}  // namespace ring1
