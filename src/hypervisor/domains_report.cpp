// The per-domain report (see the header).
#include "hypervisor/domains_report.h"

#include <fmt/format.h>

#include "hypervisor/domain_scheduler.h"
#include "hypervisor/hv_report.h"

namespace ring1::hv {
namespace {

struct EventTotals {
  u64 sent = 0, raised = 0, delivered = 0;
};

EventTotals event_totals(const EventChannels& ev) {
  EventTotals t;
  for (u32 p = 0; p < EventChannels::kPorts; ++p) {
    const PortCounters& c = ev.counters(p);
    t.sent += c.sent;
    t.raised += c.raised;
    t.delivered += c.delivered;
  }
  return t;
}

u64 hypercall_total(const Hypervisor& hv) {
  u64 n = 0;
  for (u64 c : hv.stats().hypercalls) n += c;
  return n;
}

const char* run_state_name(RunState s) {
  switch (s) {
    case RunState::Runnable: return "runnable";
    case RunState::Running: return "running";
    case RunState::Blocked: return "blocked";
    case RunState::Paused: return "paused";
    case RunState::Dead: return "ended";
  }
  return "?";
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') out += fmt::format("\\{}", ch);
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\u{:04x}", c);
    else out += ch;
  }
  return out + "\"";
}

}  // namespace

std::string domains_report_text(const DomainScheduler& s) {
  const BvtConfig& b = s.bvt().config();
  std::string out = fmt::format("  domains:       {} under BVT (mcu {} cycles, allowance {} cycles); {} switches, {} "
                                "cycles idle\n",
                                s.count(), b.mcu, b.ctx_allow, s.switches(), s.idle_cycles());
  for (u32 i = 0; i < s.count(); ++i) {
    const Hypervisor& hv = s.domain(i);
    const DomainAccount& a = s.account(i);
    const BvtParams& p = s.params(i);
    const EventTotals ev = event_totals(hv.events());
    out += fmt::format("    d{} {}: {} pages, weight {}", hv.domain().id.value, s.kernel(i), s.pages(i), p.weight);
    if (p.warp) out += fmt::format(", warp {} (limit {}, unwarp {})", p.warp, p.warp_limit, p.unwarp_requirement);
    out += fmt::format("; {} ({})\n", s.destroyed(i) ? "destroyed" : domain_state_text(hv),
                       run_state_name(s.run_state(i)));
    out += fmt::format("      {} instructions; cycles ring 0 {}, ring 1 {}, ring 3 {}; switched in {}x\n",
                       a.instructions, a.cycles_by_ring[0], a.cycles_by_ring[1], a.cycles_by_ring[3], a.switches_in);
    out += fmt::format("      TLB {} misses, {} flushes; {} hypercalls; events {} sent, {} raised, {} delivered, "
                       "{} upcalls; blocked {} cycles",
                       a.tlb_misses, a.tlb_flushes, hypercall_total(hv), ev.sent, ev.raised, ev.delivered,
                       hv.stats().upcalls, a.blocked_cycles);
    if (a.paused_cycles) out += fmt::format(", paused {} cycles", a.paused_cycles);
    const FrameTable::Totals ft = hv.frames().totals(hv.domain().id);
    out += fmt::format("\n      memory: reservation {} of {} pages; frame table: {} frames owned, {} allocated\n",
                       hv.domain().tot_pages, hv.domain().max_pages, ft.owned, ft.allocated);
    std::string life;
    for (const LifecycleEvent& e : s.lifecycle())
      if (e.dom == hv.domain().id.value) life += fmt::format("{}{} at {}", life.empty() ? "" : "; ", e.what, e.at);
    if (!life.empty()) out += fmt::format("      lifecycle: {}\n", life);
  }
  for (const ControlEvent& e : s.control()) {
    std::string what = e.op == ControlEvent::Op::Create && !(e.result && *e.result > 0)
                           ? fmt::format("create {}", e.spec)
                           : fmt::format("{} d{}", control_op_name(e.op), e.dom);
    if (e.op == ControlEvent::Op::Create && e.result && *e.result > 0) what += fmt::format(" ({})", e.spec);
    if (e.op == ControlEvent::Op::MemSet || e.op == ControlEvent::Op::MemMax) what += fmt::format(" {} MiB", e.mib);
    out += fmt::format("    control: at {} {}: {}\n", e.at, what,
                       !e.result ? "not reached" : *e.result >= 0 ? "done" : fmt::format("error {}", *e.result));
  }
  return out;
}

std::string domains_report_json(const DomainScheduler& s) {
  const BvtConfig& b = s.bvt().config();
  std::string list;
  for (u32 i = 0; i < s.count(); ++i) {
    const Hypervisor& hv = s.domain(i);
    const DomainAccount& a = s.account(i);
    const BvtParams& p = s.params(i);
    const EventTotals ev = event_totals(hv.events());
    const FrameTable::Totals ft = hv.frames().totals(hv.domain().id);
    list += fmt::format(
        R"({}{{"id":{},"kernel":{},"pages":{},"weight":{},"warp":{},"warp_limit":{},"unwarp":{},"state":{},)"
        R"("run_state":"{}","instructions":{},"cycles_by_ring":[{},{},{},{}],"tlb_misses":{},"tlb_flushes":{},)"
        R"("hypercalls":{},"events_sent":{},"events_raised":{},"events_delivered":{},"upcalls":{},)"
        R"("switches_in":{},"blocked_cycles":{},"paused_cycles":{},"tot_pages":{},"max_pages":{},)"
        R"("frames_owned":{},"frames_allocated":{}}})",
        i ? "," : "", hv.domain().id.value, json_string(s.kernel(i)), s.pages(i), p.weight, p.warp, p.warp_limit,
        p.unwarp_requirement, json_string(s.destroyed(i) ? "destroyed" : domain_state_text(hv)), run_state_name(s.run_state(i)), a.instructions,
        a.cycles_by_ring[0], a.cycles_by_ring[1], a.cycles_by_ring[2], a.cycles_by_ring[3], a.tlb_misses,
        a.tlb_flushes, hypercall_total(hv), ev.sent, ev.raised, ev.delivered, hv.stats().upcalls, a.switches_in,
        a.blocked_cycles, a.paused_cycles, hv.domain().tot_pages, hv.domain().max_pages, ft.owned, ft.allocated);
  }
  std::string control;
  for (const ControlEvent& e : s.control()) {
    std::string extra;
    if (e.op == ControlEvent::Op::Create) extra = fmt::format(R"(,"spec":{})", json_string(e.spec));
    if (e.op == ControlEvent::Op::MemSet || e.op == ControlEvent::Op::MemMax) extra = fmt::format(R"(,"mib":{})", e.mib);
    control += fmt::format(R"({}{{"at":{},"op":"{}","domain":{},"result":{}{}}})", control.empty() ? "" : ",", e.at,
                           control_op_name(e.op), e.dom, e.result ? std::to_string(*e.result) : "null", extra);
  }
  std::string life;
  for (const LifecycleEvent& e : s.lifecycle())
    life += fmt::format(R"({}{{"at":{},"domain":{},"event":{}}})", life.empty() ? "" : ",", e.at, e.dom,
                        json_string(e.what));
  return fmt::format(
      R"({{"switches":{},"idle_cycles":{},"bvt":{{"mcu":{},"allow":{}}},"list":[{}],"control":[{}],"lifecycle":[{}]}})",
      s.switches(), s.idle_cycles(), b.mcu, b.ctx_allow, list, control, life);
}

}  // namespace ring1::hv
