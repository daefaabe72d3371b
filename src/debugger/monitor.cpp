// The monitor commands (see monitor.h). Everything here reads state without side effects: the TLB listing
// walks the arrays, `walk` reads the page tables with physical reads, `stats` and `cycles` read counters.
#include "debugger/monitor.h"

#include <vector>

#include <fmt/format.h>

#include "debugger/hv_monitor.h"
#include "debugger/rsp_packet.h"
#include "machine/machine.h"
#include "machine/report.h"

namespace ring1 {

namespace {

constexpr std::string_view kHelp =
    "ring1 monitor commands:\n"
    "  ring-break on|off  stop after the next instruction or event that changes CPL (either direction)\n"
    "  phys on|off        memory reads and writes use physical instead of linear addresses\n"
    "  tlb                the live ITLB and DTLB entries\n"
    "  walk ADDR          the page-table walk of linear address ADDR (hex), entry by entry\n"
    "  stats              the run report so far (instructions, cycles per ring, TLB, transitions, ports)\n"
    "  cycles             the modelled cycle count and instructions retired\n"
    "  hv                 the hypervisor: domain, trap table, kernel stack, callbacks, event mask, base pointer,\n"
    "                     hypercall counts (a paravirtual run only)\n"
    "  help               this text\n";

std::string entry_flags(u32 e) {
  std::string s;
  s += e & 1 ? 'P' : '-';
  s += e & 2 ? 'W' : 'R';
  s += e & 4 ? 'U' : 'S';
  s += e & 0x20 ? 'A' : '-';
  s += e & 0x40 ? 'D' : '-';
  s += e & 0x80 ? "PS" : "--";
  s += e & 0x100 ? 'G' : '-';
  return s;
}

u32 phys_read32(Machine& m, u32 addr) {
  return m.ram().contains(addr, 4) ? u32(m.ram().host(addr)[0]) | u32(m.ram().host(addr)[1]) << 8 |
                                         u32(m.ram().host(addr)[2]) << 16 | u32(m.ram().host(addr)[3]) << 24
                                   : 0xFFFFFFFFu;
}

std::string walk_text(Machine& m, u32 lin) {
  Cpu& c = m.cpu();
  if (!m.mmu().paging()) return fmt::format("paging is off: linear {:#010x} is physical {:#010x}\n", lin, lin);
  std::string out = fmt::format("walk of {:#010x} (cr3 {:#010x})\n", lin, c.cr3);
  // What entry_flags' letters mean, in the order it prints them (SDM vol. 3, tables 4-5 and 4-6).
  out += "  flags: P present, W/R writable/read-only, U/S user/supervisor, A accessed, D dirty,\n"
         "         PS 4 MiB page (directory entry) or PAT (table entry), G global; '-' where the bit is clear\n";
  const u32 pde_addr = (c.cr3 & ~0xFFFu) | ((lin >> 22) << 2);
  const u32 pde = phys_read32(m, pde_addr);
  out += fmt::format("  pde[{:3}] at {:#010x} = {:#010x} {}\n", lin >> 22, pde_addr, pde, entry_flags(pde));
  if (!(pde & 1)) {
    out += "  not present: #PF\n";
    return out;
  }
  if ((c.cr4 & 0x10) && (pde & 0x80)) {
    out += fmt::format("  4 MiB page: physical {:#010x}\n", (pde & 0xFFC00000u) | (lin & 0x3FFFFFu));
    return out;
  }
  const u32 pte_addr = (pde & ~0xFFFu) | (((lin >> 12) & 0x3FF) << 2);
  const u32 pte = phys_read32(m, pte_addr);
  out += fmt::format("  pte[{:3}] at {:#010x} = {:#010x} {}\n", (lin >> 12) & 0x3FF, pte_addr, pte, entry_flags(pte));
  if (!(pte & 1)) {
    out += "  not present: #PF\n";
    return out;
  }
  const u32 combined = pde & pte & 6;
  out += fmt::format("  4 KiB page: physical {:#010x}, {} {}\n", (pte & ~0xFFFu) | (lin & 0xFFF),
                     combined & 2 ? "writable" : "read-only", combined & 4 ? "user" : "supervisor");
  return out;
}

std::string tlb_text(Machine& m) {
  struct Row {
    bool itlb, large;
    u32 lin, frame;
    u8 rw_us;
    bool dirty, global;
  };
  std::vector<Row> rows;
  m.mmu().for_each_tlb_entry([&](bool itlb, bool large, const TlbEntry& e) {
    const u32 vpn = static_cast<u32>(e.key & 0xFFFFF);
    rows.push_back({itlb, large, large ? vpn << 22 : vpn << 12, e.frame, e.rw_us, e.dirty,
                    (e.perm & tlb_perm::Global) != 0});
  });
  std::string out = fmt::format("tlb: {} profile {}, paging {}, {} live entries\n",
                                m.mmu().mode() == TlbMode::Tagged ? "tagged" : "untagged", m.mmu().profile().name,
                                m.mmu().paging() ? "on" : "off", rows.size());
  for (bool itlb : {true, false}) {
    for (const Row& r : rows) {
      if (r.itlb != itlb) continue;
      out += fmt::format("  {} {} {:#010x} -> {:#010x} {}{}{}{}\n", itlb ? "itlb" : "dtlb", r.large ? "4M" : "4K",
                         r.lin, r.frame, r.rw_us & 2 ? 'W' : 'R', r.rw_us & 4 ? 'U' : 'S', r.dirty ? 'D' : '-',
                         r.global ? 'G' : '-');
    }
  }
  return out;
}

// "on" / "off" into `flag`; false if neither.
bool on_off(std::string_view arg, bool& flag) {
  if (arg == "on") flag = true;
  else if (arg == "off") flag = false;
  else return false;
  return true;
}

}  // namespace

MonitorReply monitor_command(Machine& m, MonitorState& state, std::string_view command,
                             const hv::Hypervisor* hypervisor) {
  while (!command.empty() && command.back() == ' ') command.remove_suffix(1);
  while (!command.empty() && command.front() == ' ') command.remove_prefix(1);
  const size_t sp = command.find(' ');
  const std::string_view verb = command.substr(0, sp);
  std::string_view arg = sp == std::string_view::npos ? std::string_view{} : command.substr(sp + 1);
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);

  if (verb == "help" || verb.empty()) return {true, std::string(kHelp)};
  if (verb == "ring-break") {
    if (!on_off(arg, state.ring_break)) return {false, "usage: monitor ring-break on|off\n"};
    return {true, fmt::format("ring-break {}\n", state.ring_break ? "on" : "off")};
  }
  if (verb == "phys") {
    if (!on_off(arg, state.physical)) return {false, "usage: monitor phys on|off\n"};
    return {true, fmt::format("memory access is {}\n", state.physical ? "physical" : "linear")};
  }
  if (verb == "tlb") return {true, tlb_text(m)};
  if (verb == "walk") {
    if (arg.starts_with("0x") || arg.starts_with("0X")) arg.remove_prefix(2);
    auto a = parse_hex(arg);
    if (!a || *a > 0xFFFFFFFFull) return {false, "usage: monitor walk ADDR (a hex linear address)\n"};
    return {true, walk_text(m, static_cast<u32>(*a))};
  }
  if (verb == "stats") {
    RunSummary s;
    s.image = "(stopped in the debugger)";
    s.hypervisor = hypervisor;
    return {true, report_text(m, s)};
  }
  if (verb == "hv") {
    if (!hypervisor) return {true, "no hypervisor: this guest runs on the bare PC (a native run)\n"};
    return {true, hv_monitor_text(m, *hypervisor)};
  }
  if (verb == "cycles") {
    const Cpu& c = m.cpu();
    std::string out = fmt::format("cycles: {} modelled, {} instructions retired\n", c.cycles, c.instret);
    for (int r = 0; r < 4; ++r)
      if (c.insns_by_ring[r] || c.cycles_by_ring[r])
        out += fmt::format("  ring {}: {} instructions, {} cycles\n", r, c.insns_by_ring[r], c.cycles_by_ring[r]);
    return {true, out};
  }
  return {false, fmt::format("unknown monitor command '{}' (try: monitor help)\n", verb)};
}

}  // namespace ring1
