#include "cpu/cost_profile.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace ring1 {

// Default profile "p3": an in-order-issue approximation of a Pentium III-class core, the generation the
// paper's lmbench runs were contemporary with. Latencies follow Agner Fog's instruction tables
// ("Instruction tables", Pentium II/III section) and Intel's P6 optimisation manual, rounded to the
// throughput a dependent chain would see: simple ALU 1, loads 3 (L1 hit latency), stores 1 issue + the
// load side for read-modify-write, taken branches 2 (BTB hit, P6 front end), 32-bit MUL 4, DIV 39,
// string iterations 3 per element. This is a model: it orders and scales costs plausibly; it does not
// claim cycle accuracy for any real part.
//
// Events. A TLB miss walks two levels: each read is priced as an L1/L2 cache hit on a P6 (walk_access 10;
// page tables are usually cached), plus 5 to install the entry: ~25 cycles per 4 KiB miss, inside the
// 20-30 range usually quoted for P6-class TLB misses. MOV CR3 is serialising (36) and INVLPG 25 (Agner
// Fog lists both as microcoded, tens of cycles). Exception delivery through an interrupt gate within a ring
// 40 and with a stack switch 80, IRET 20 within a ring and 40 to an outer one: P6 microcode figures of the
// order Agner Fog gives for INT/IRET. With these a null system call (INT 0x80 + IRET) costs ~120 modelled
// cycles of transition, before any kernel work.
//
// Hypervisor work (the C++ that stands for Xen's ring-0 code) is priced by the instructions Xen runs for
// it at about one per cycle: entry and exit (x86_32 entry.S SAVE_ALL/RESTORE_ALL, the hypercall table
// jump and the pending-event test) ~60; create_bounce_frame ~50; one request of a batch (copy_from_guest
// of the request, the command switch) 20; validating one page-table entry (get_page_from_l1e: owner, type
// and count checks, a cmpxchg on the count) 30. Their sum is what batching amortises (the paper, 3.3.3).
//
// A hardware task switch (task_switch) is priced at 300: Intel's 386 and 486 manuals list a little over
// 300 clocks for JMP/CALL to a TSS or task gate, and P6 microcode is of the same order (Agner Fog does not
// time it; no fast path exists). It covers saving and loading the TSSes and checking the new segments;
// the TLB refills after the CR3 load are charged as they happen.
const CostProfile& CostProfile::pentium3() {
  static const CostProfile p{
      "p3",
      {
          1,   // Simple
          3,   // Load
          3,   // Store
          2,   // Branch
          4,   // Multiply
          39,  // Divide
          3,   // StringIter
          2,   // Stack
          12,  // Complex
      },
      EventCosts{10, 5, 36, 25, 20, 40, 80, 20, 40, 60, 50, 20, 30, 300}};
  return p;
}

namespace {
struct Entry {
  const char* key;
  u8* (*insn)(CostProfile&);
  u16* (*event)(CostProfile&);
};
#define RING1_INSN(k, c) {k, [](CostProfile& p) { return &p.insn[static_cast<size_t>(CostClass::c)]; }, nullptr}
#define RING1_EVENT(k, f) {k, nullptr, [](CostProfile& p) { return &p.events.f; }}
const Entry kEntries[] = {
    RING1_INSN("simple", Simple), RING1_INSN("load", Load), RING1_INSN("store", Store),
    RING1_INSN("branch", Branch), RING1_INSN("multiply", Multiply), RING1_INSN("divide", Divide),
    RING1_INSN("string_iteration", StringIter), RING1_INSN("stack", Stack), RING1_INSN("complex", Complex),
    RING1_EVENT("walk_access", walk_access), RING1_EVENT("tlb_refill", tlb_refill),
    RING1_EVENT("cr3_write", cr3_write), RING1_EVENT("invlpg", invlpg), RING1_EVENT("cr_write", cr_write),
    RING1_EVENT("exception", exception), RING1_EVENT("exception_ring_change", exception_ring_change),
    RING1_EVENT("iret", iret), RING1_EVENT("iret_ring_change", iret_ring_change),
    RING1_EVENT("hv_entry", hv_entry), RING1_EVENT("hv_bounce", hv_bounce), RING1_EVENT("hv_request", hv_request),
    RING1_EVENT("hv_validate_pte", hv_validate_pte), RING1_EVENT("task_switch", task_switch),
};
#undef RING1_INSN
#undef RING1_EVENT
}  // namespace

bool CostProfile::set(std::string_view key, u32 value) {
  for (const Entry& e : kEntries) {
    if (key != e.key) continue;
    if (e.insn) {
      if (value > 255) return false;
      *e.insn(*this) = static_cast<u8>(value);
    } else {
      if (value > 65535) return false;
      *e.event(*this) = static_cast<u16>(value);
    }
    return true;
  }
  return false;
}

std::vector<std::string> CostProfile::entry_names() {
  std::vector<std::string> out;
  for (const Entry& e : kEntries) out.emplace_back(e.key);
  return out;
}

CostProfile CostProfile::load(std::string_view name_or_file) {
  if (auto p = named(name_or_file)) return *p;
  std::ifstream in{std::string(name_or_file)};
  if (!in) throw std::runtime_error(fmt::format("no cost profile named '{}' and no such file", name_or_file));
  CostProfile p = pentium3();
  p.name = std::string(name_or_file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    auto eq = line.find('=');
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t\r"));
      s.erase(s.find_last_not_of(" \t\r") + 1);
      return s;
    };
    if (trim(line).empty()) continue;
    std::string key = eq == std::string::npos ? trim(line) : trim(line.substr(0, eq));
    std::string val = eq == std::string::npos ? "" : trim(line.substr(eq + 1));
    char* end = nullptr;
    unsigned long v = std::strtoul(val.c_str(), &end, 10);
    if (eq == std::string::npos || val.empty() || *end != '\0' || !p.set(key, static_cast<u32>(v)))
      throw std::runtime_error(fmt::format("{}:{}: expected `key = cycles` with a known key and a value in range, got '{}'",
                                           name_or_file, n, line));
  }
  return p;
}

std::optional<CostProfile> CostProfile::named(std::string_view name) {
  if (name == "p3" || name == "default") return pentium3();
  return std::nullopt;
}

std::string_view cost_class_name(CostClass c) {
  switch (c) {
    case CostClass::Simple: return "simple";
    case CostClass::Load: return "load";
    case CostClass::Store: return "store";
    case CostClass::Branch: return "branch";
    case CostClass::Multiply: return "multiply";
    case CostClass::Divide: return "divide";
    case CostClass::StringIter: return "string-iteration";
    case CostClass::Stack: return "stack";
    case CostClass::Complex: return "complex";
    case CostClass::Count: break;
  }
  return "?";
}

}  // namespace ring1
