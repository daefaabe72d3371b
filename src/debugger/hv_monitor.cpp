// `monitor hv` (see the header). Shared info is read from machine memory by its machine address, as the
// hypervisor itself reads it; the guest need not have mapped it.
#include "debugger/hv_monitor.h"

#include <cstddef>

#include <fmt/format.h>

#include "cpu/fault.h"
#include "hypervisor/hv_report.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"
#include "machine/machine.h"

namespace ring1 {

namespace {

std::string vector_text(u32 v) {
  if (v < 20) return fmt::format("{:3} {}", v, vector_name(static_cast<u8>(v)));
  return fmt::format("{:3} (int {:#04x})", v, v);
}

std::string trap_flags(const hv::VirtualTrap& t) {
  std::string s = fmt::format("dpl {}", t.dpl());
  if (t.masks_events()) s += ", masks events";
  return s;
}

}  // namespace

std::string hv_monitor_text(Machine& m, const hv::Hypervisor& hv) {
  const hv::HypervisorStats& st = hv.stats();
  const hv::VirtualCpu& v = hv.vcpu();
  std::string out = fmt::format("hypervisor: domain {} {}{}; layout {}; {} entries\n", hv.domain().id.value,
                                hv::domain_state_text(hv), hv.domain().privileged ? " (privileged)" : "",
                                hv.layout() == hv::Layout::Shared ? "shared (top 64 MB of every address space)"
                                                                  : "separate (its own page directory)",
                                st.entries);
  if (hv.domain().guest_table)
    out += fmt::format("  page directory: base pointer mfn {:#x} (machine {:#010x}); cr3 {:#010x}{}\n",
                       hv.domain().guest_table->value, hv.domain().guest_table->value << 12, m.cpu().cr3,
                       m.cpu().cpl == 0 ? " (in the hypervisor)" : "");
  else
    out += "  page directory: no base pointer installed\n";

  out += "  vcpu 0 trap table (entries set):\n";
  bool any = false;
  for (u32 n = 0; n < v.traps.size(); ++n) {
    const hv::VirtualTrap& t = v.traps[n];
    if (!t.present()) continue;
    any = true;
    out += fmt::format("    {} -> {:04x}:{:08x} {}{}\n", vector_text(n), t.cs, t.address, trap_flags(t),
                       v.syscall_vector == n && n != 0 ? "; direct gate in the IDT (no hypervisor on the path)" : "");
  }
  if (!any) out += "    (none)\n";
  if ((v.kernel_ss & ~3u) != 0)
    out += fmt::format("  kernel stack (stack_switch): {:04x}:{:08x}\n", v.kernel_ss, v.kernel_sp);
  else
    out += "  kernel stack (stack_switch): not set\n";
  auto callback = [](u16 cs, u32 eip) {
    return (cs & ~3u) != 0 ? fmt::format("{:04x}:{:08x}", cs, eip) : std::string("not set");
  };
  out += fmt::format("  callbacks: event {}, failsafe {}\n", callback(v.event_cs, v.event_eip),
                     callback(v.failsafe_cs, v.failsafe_eip));
  if (v.vcpu_info && m.ram().contains(v.vcpu_info, sizeof(xen::VcpuInfo))) {
    xen::VcpuInfo vi;
    m.ram().read_bytes(v.vcpu_info, &vi, sizeof vi);
    out += fmt::format(
        "  shared info (machine {:#010x}): vcpu_info[0] evtchn_upcall_mask {} ({}), evtchn_upcall_pending {}, "
        "evtchn_pending_sel {:#010x}, arch.cr2 {:#010x}\n",
        v.vcpu_info, vi.evtchn_upcall_mask, vi.evtchn_upcall_mask ? "events held off" : "events delivered",
        vi.evtchn_upcall_pending, vi.evtchn_pending_sel, vi.arch.cr2);
  } else {
    out += "  shared info: none\n";
  }
  // Event channels in use (pending/masked from shared_info) and the vCPU's timers.
  const hv::EventChannels& ev = hv.events();
  std::string ports;
  for (u32 p = 1; p < hv::EventChannels::kPorts && ev.shared_info(); ++p) {
    const hv::PortState ps = ev.state(p);
    if (ps == hv::PortState::Free) continue;
    const char* kind = ps == hv::PortState::Virq ? "virq" : ps == hv::PortState::Ipi ? "ipi"
                       : ps == hv::PortState::Interdomain ? "interdomain" : "unbound";
    ports += fmt::format("{}{} {}{}{}{}", ports.empty() ? "" : ", ", p, kind,
                         ps == hv::PortState::Virq ? fmt::format(" {}", ev.bound_virq(p)) : "",
                         ev.port_pending(p) ? " pending" : "", ev.port_masked(p) ? " masked" : "");
  }
  out += fmt::format("  event channels: {}\n", ports.empty() ? "none bound" : ports);
  const hv::VcpuTimers& t = hv.timers();
  out += fmt::format("  time: system {} ns; single-shot {}; periodic {}\n", hv.now_ns(),
                     t.singleshot ? fmt::format("at {} ns", *t.singleshot) : std::string("off"),
                     t.period ? fmt::format("every {} ns", t.period) : std::string("off"));

  std::string calls;
  for (u32 nr = 0; nr < hv::HypervisorStats::kHypercalls; ++nr)
    if (st.hypercalls[nr])
      calls += fmt::format("{}{} x{}", calls.empty() ? "" : ", ", hv::hypercall_name(nr), st.hypercalls[nr]);
  out += fmt::format("  hypercalls: {}\n", calls.empty() ? "none" : calls);
  if (st.multicall_entries) out += fmt::format("  calls made from multicalls: {}\n", st.multicall_entries);
  std::string bounces;
  for (u32 n = 0; n < st.bounces.size(); ++n)
    if (st.bounces[n]) bounces += fmt::format("{}{} x{}", bounces.empty() ? "" : ", ", n, st.bounces[n]);
  out += fmt::format("  bounced to the guest: {}\n", bounces.empty() ? "none" : "vectors " + bounces);
  out += fmt::format("  system calls through the hypervisor: {}\n", st.syscalls_via_hypervisor);
  return out;
}

}  // namespace ring1
