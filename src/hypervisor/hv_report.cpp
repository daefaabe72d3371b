// The hypervisor's report section (see the header).
#include "hypervisor/hv_report.h"

#include <fmt/format.h>

#include "control/xenstore/xenstored_report.h"
#include "cpu/cpu.h"
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"

namespace ring1::hv {
namespace {

const char* state_name(DomainState s) {
  switch (s) {
    case DomainState::Running: return "running";
    case DomainState::Shutdown: return "shut down";
    case DomainState::Crashed: return "crashed";
    case DomainState::Blocked: return "blocked";
  }
  return "?";
}

const char* shutdown_reason_name(u32 r) {
  switch (r) {
    case xen::kShutdownPoweroff: return "poweroff";
    case xen::kShutdownReboot: return "reboot";
    case xen::kShutdownSuspend: return "suspend";
    case xen::kShutdownCrash: return "crash";
    case xen::kShutdownWatchdog: return "watchdog";
    case xen::kShutdownSoftReset: return "soft_reset";
  }
  return "unknown";
}

// The bucket [lo, hi] of batch_bucket(): 0, 1, 2-3, 4-7, ...
std::string bucket_label(u32 b) {
  if (b == 0) return "0";
  const u32 lo = 1u << (b - 1), hi = (1u << b) - 1;
  if (b == kBatchBuckets - 1) return fmt::format("{}+", lo);
  return lo == hi ? fmt::format("{}", lo) : fmt::format("{}-{}", lo, hi);
}

const char* virq_name(u32 v) {
  static const char* const names[] = {"timer", "debug", "console", "dom_exc", "tbuf", "virq_5", "debugger",
                                      "xenoprof", "con_ring"};
  return v < sizeof(names) / sizeof(names[0]) ? names[v] : "virq";
}

const char* port_kind(const EventChannels& ev, u32 p) {
  switch (ev.state(p)) {
    case PortState::Virq: return "virq";
    case PortState::Ipi: return "ipi";
    case PortState::Interdomain: return "interdomain";
    case PortState::Unbound: return "unbound";
    default: return "closed";
  }
}

bool any(const PortCounters& c) { return c.sent + c.raised + c.delivered != 0; }

// Events by port (and by VIRQ), upcalls, and time blocked: the events part of the report.
std::string events_report_text(const Hypervisor& hv) {
  const HypervisorStats& st = hv.stats();
  const EventChannels& ev = hv.events();
  std::string out;
  if (st.upcalls + st.event_interrupts + st.blocks + st.timer_events + st.failsafe_callbacks)
    out += fmt::format("    events:      {} upcalls ({} by interrupting the running guest), {} failsafe callbacks, "
                       "{} timer events; {} blocks, {} cycles blocked\n",
                       st.upcalls, st.event_interrupts, st.failsafe_callbacks, st.timer_events, st.blocks,
                       st.blocked_cycles);
  for (u32 p = 1; p < EventChannels::kPorts; ++p) {
    const PortCounters& c = ev.counters(p);
    if (!any(c)) continue;
    std::string what = port_kind(ev, p);
    if (ev.state(p) == PortState::Virq) what += fmt::format(" {}", virq_name(ev.bound_virq(p)));
    if (static_cast<i32>(p) == hv.console_port()) what += " console";
    out += fmt::format("      port {:<4} {:<18} sent {}, raised {}, delivered {}, held masked {} (port) {} (upcalls)\n",
                       p, what, c.sent, c.raised, c.delivered, c.held_port_masked, c.held_upcall_masked);
  }
  for (u32 v = 0; v < xen::virq::kCount; ++v) {
    const PortCounters& c = ev.virq_counters(v);
    if (!any(c)) continue;
    out += fmt::format("      virq {:<8} raised {}, delivered {}, held masked {} (port) {} (upcalls)\n", virq_name(v),
                       c.raised, c.delivered, c.held_port_masked, c.held_upcall_masked);
  }
  if (ev.virqs_lost()) out += fmt::format("      virqs raised with no port bound: {}\n", ev.virqs_lost());
  return out;
}

std::string counters_json(const PortCounters& c) {
  return fmt::format(R"({{"sent":{},"raised":{},"delivered":{},"held_port_masked":{},"held_upcall_masked":{}}})", c.sent,
                     c.raised, c.delivered, c.held_port_masked, c.held_upcall_masked);
}

std::string events_report_json(const Hypervisor& hv) {
  const HypervisorStats& st = hv.stats();
  const EventChannels& ev = hv.events();
  std::string ports, virqs;
  for (u32 p = 1; p < EventChannels::kPorts; ++p)
    if (any(ev.counters(p)))
      ports += fmt::format(R"({}"{}":{})", ports.empty() ? "" : ",", p, counters_json(ev.counters(p)));
  for (u32 v = 0; v < xen::virq::kCount; ++v)
    if (any(ev.virq_counters(v)))
      virqs += fmt::format(R"({}"{}":{})", virqs.empty() ? "" : ",", virq_name(v), counters_json(ev.virq_counters(v)));
  return fmt::format(
      R"({{"upcalls":{},"event_interrupts":{},"failsafe_callbacks":{},"timer_events":{},"blocks":{},"blocked_cycles":{},)"
      R"("virqs_lost":{},"ports":{{{}}},"virqs":{{{}}}}})",
      st.upcalls, st.event_interrupts, st.failsafe_callbacks, st.timer_events, st.blocks, st.blocked_cycles,
      ev.virqs_lost(), ports, virqs);
}

}  // namespace

std::string hypercall_name(unsigned nr) {
  const char* name = hypercall_info(nr).name;
  return name ? std::string(name) : fmt::format("hypercall_{}", nr);
}

std::string domain_state_text(const Hypervisor& hv) {
  std::string out = state_name(hv.state());
  if (hv.state() == DomainState::Shutdown) out += fmt::format(" ({})", shutdown_reason_name(hv.shutdown_reason()));
  if (hv.state() == DomainState::Crashed || hv.state() == DomainState::Blocked)
    out += fmt::format(": {}", hv.crash_message());
  return out;
}

std::string hv_report_text(const Hypervisor& hv) {
  const HypervisorStats& st = hv.stats();
  std::string out = fmt::format("  hypervisor:    domain {} {}; {} entries\n", hv.domain().id.value,
                                domain_state_text(hv), st.entries);
  std::string calls;
  for (u32 nr = 0; nr < HypervisorStats::kHypercalls; ++nr)
    if (st.hypercalls[nr]) calls += fmt::format("{}{} x{}", calls.empty() ? "" : ", ", hypercall_name(nr), st.hypercalls[nr]);
  if (!calls.empty()) out += fmt::format("    hypercalls:  {}\n", calls);
  if (st.multicall_entries) out += fmt::format("    multicall:   {} calls made from multicalls\n", st.multicall_entries);
  const MmuCounters& mc = hv.mmu_ops().counters();
  std::string hist;
  for (u32 b = 0; b < kBatchBuckets; ++b)
    if (mc.batch_sizes[b]) hist += fmt::format("{}{}: {}", hist.empty() ? "" : ", ", bucket_label(b), mc.batch_sizes[b]);
  if (!hist.empty())
    out += fmt::format("    batches:     requests per mmu_update/mmuext_op call: {}; {} done, {} failed\n", hist,
                       mc.requests_done, mc.requests_failed);
  const FrameTableStats& fs = hv.frames().stats();
  if (fs.l1_entries_checked + fs.l2_entries_checked)
    out += fmt::format("    validation:  {} L1 and {} L2 entries checked, {} L1 and {} L2 tables validated, {} torn down\n",
                       fs.l1_entries_checked, fs.l2_entries_checked, fs.l1_validations, fs.l2_validations,
                       fs.unvalidations);
  if (mc.flush_all_requested + mc.invlpg_requested + mc.new_base_requested)
    out += fmt::format("    tlb asks:    {} full flushes, {} single pages, {} new base pointers\n",
                       mc.flush_all_requested, mc.invlpg_requested, mc.new_base_requested);
  if (fs.coherence_flushes)
    out += fmt::format("    coherence:   {} TLB flushes before a frame maybe still cached became a page table ({}) or "
                       "was reused ({})\n",
                       fs.coherence_flushes, fs.retype_flushes, fs.reuse_flushes);
  if (hv.preemption().continuations())
    out += fmt::format("    preempted:   {} continuations (hypercalls left and made again)\n",
                       hv.preemption().continuations());
  std::string bounces;
  for (u32 v = 0; v < 256; ++v)
    if (st.bounces[v]) bounces += fmt::format("{}{} x{}", bounces.empty() ? "" : ", ", v, st.bounces[v]);
  if (!bounces.empty()) out += fmt::format("    bounced:     vectors {}\n", bounces);
  out += events_report_text(hv);
  out += xs::xenstored_report_text(hv.store());
  const Cpu& c = hv.cpu();
  out += fmt::format("    syscalls:    {} by the direct gate (ring 3 -> ring 1), {} through the hypervisor\n",
                     c.interrupt_stats.deliveries[3][1], st.syscalls_via_hypervisor);
  return out;
}

std::string hv_report_json(const Hypervisor& hv) {
  const HypervisorStats& st = hv.stats();
  std::string calls, bounces, hist;
  for (u32 nr = 0; nr < HypervisorStats::kHypercalls; ++nr)
    if (st.hypercalls[nr]) calls += fmt::format(R"({}"{}":{})", calls.empty() ? "" : ",", hypercall_name(nr), st.hypercalls[nr]);
  for (u32 v = 0; v < 256; ++v)
    if (st.bounces[v]) bounces += fmt::format(R"({}"{}":{})", bounces.empty() ? "" : ",", v, st.bounces[v]);
  const MmuCounters& mc = hv.mmu_ops().counters();
  for (u32 b = 0; b < kBatchBuckets; ++b)
    if (mc.batch_sizes[b]) hist += fmt::format(R"({}"{}":{})", hist.empty() ? "" : ",", bucket_label(b), mc.batch_sizes[b]);
  const FrameTableStats& fs = hv.frames().stats();
  return fmt::format(
      R"({{"domain":{},"state":"{}","shutdown_reason":"{}","entries":{},"hypercalls":{{{}}},"multicall_entries":{},)"
      R"("batch_sizes":{{{}}},"requests_done":{},"requests_failed":{},"l1_entries_checked":{},"l2_entries_checked":{},)"
      R"("flush_all_requested":{},"invlpg_requested":{},"new_base_requested":{},"coherence_flushes":{},)"
      R"("continuations":{},"bounces":{{{}}},)"
      R"("syscalls_direct":{},"syscalls_via_hypervisor":{},"events":{},"xenstore":{}}})",
      hv.domain().id.value, state_name(hv.state()),
      hv.state() == DomainState::Running ? "" : shutdown_reason_name(hv.shutdown_reason()), st.entries, calls,
      st.multicall_entries, hist, mc.requests_done, mc.requests_failed, fs.l1_entries_checked, fs.l2_entries_checked,
      mc.flush_all_requested, mc.invlpg_requested, mc.new_base_requested, fs.coherence_flushes,
      hv.preemption().continuations(), bounces,
      hv.cpu().interrupt_stats.deliveries[3][1], st.syscalls_via_hypervisor, events_report_json(hv),
      xs::xenstored_report_json(hv.store()));
}

}  // namespace ring1::hv
