#include "common/cost_profile.h"

#include <algorithm>
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
// Domain 0's store daemon is priced per request (xs_request 2000: in Xen the guest's notification wakes
// dom0's kernel, which wakes xenstored in user space; it parses the message, looks the node up in its
// database and writes the reply, a few thousand instructions on the paths xenstored_core.c takes) and per
// byte through the ring (xs_byte 2: a load and a store each way).
//
// A hardware task switch (task_switch) is priced at 300: Intel's 386 and 486 manuals list a little over
// 300 clocks for JMP/CALL to a TSS or task gate, and P6 microcode is of the same order (Agner Fog does not
// time it; no fast path exists). It covers saving and loading the TSSes and checking the new segments;
// the TLB refills after the CR3 load are charged as they happen.
//
// A grant operation (hv_grant, 100) stands for Xen 3.2's __gnttab_map_grant_ref / __gnttab_unmap_common:
// the domain and entry lookups, the cmpxchg loop on the shared entry's flags, the active entry and the
// maptrack handle, and the frame's reference counts, about a hundred instructions. A host mapping's
// page-table entry is charged on top as a validated entry (hv_validate_pte), and the bytes a copy moves as
// string iterations of four bytes each.
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
      EventCosts{10, 5, 36, 25, 20, 40, 80, 20, 40, 60, 50, 20, 30, 300, 100, 2000, 2}};
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
    RING1_EVENT("hv_grant", hv_grant),
    RING1_EVENT("xs_request", xs_request), RING1_EVENT("xs_byte", xs_byte),
};
#undef RING1_INSN
#undef RING1_EVENT
}  // namespace

bool CostProfile::set(std::string_view key, u32 value) {
  if (value == 0) return false;
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

CostProfile CostProfile::parse(std::string_view text, std::string_view source) {
  CostProfile p = pentium3();
  p.name = std::string(source);
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
  };
  // A value is decimal digits only (no sign: strtoul would turn -4294967295 into 1), checked against the
  // entry's range before any narrowing, and never 0: a free instruction or event would let a guest run
  // without the cycle count moving, and --max-cycles could then never stop it.
  auto number = [](std::string_view v) -> std::optional<u32> {
    if (v.empty() || v.size() > 9) return std::nullopt;
    u32 n = 0;
    for (char ch : v) {
      if (ch < '0' || ch > '9') return std::nullopt;
      n = n * 10 + u32(ch - '0');
    }
    return n;
  };
  int n = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++n;
    const std::string_view whole = line;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    if (trim(line).empty()) continue;
    auto eq = line.find('=');
    const std::string key(trim(eq == std::string_view::npos ? line : line.substr(0, eq)));
    const std::string_view val = eq == std::string_view::npos ? std::string_view{} : trim(line.substr(eq + 1));
    const auto v = number(val);
    if (eq == std::string_view::npos || !v || !p.set(key, *v))
      throw std::runtime_error(fmt::format(
          "{}:{}: expected `key = cycles` with a known key and a value in range (1..255 for an instruction "
          "class, 1..65535 for an event), got '{}'",
          source, n, trim(whole)));
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
