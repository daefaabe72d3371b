// GDB's `monitor` commands (qRcmd): text in, text out, run while the guest is stopped.
//   help, ring-break on|off, phys on|off, tlb, walk ADDR, stats, cycles, hv
#pragma once
#include <string>
#include <string_view>

namespace ring1 {

class Machine;
namespace hv {
class Hypervisor;
}

// Debugger settings the monitor changes and the stub obeys.
struct MonitorState {
  bool ring_break = false;  // stop after the next instruction (or delivery) that changes CPL
  bool physical = false;    // memory packets address physical memory instead of linear
};

struct MonitorReply {
  bool ok = true;  // false: an unknown command or bad argument (the text says which)
  std::string text;
};

// `hypervisor`: a paravirtual run's (for `hv` and the hypervisor section of `stats`); null on a native run.
MonitorReply monitor_command(Machine& m, MonitorState& state, std::string_view command,
                             const hv::Hypervisor* hypervisor = nullptr);

}  // namespace ring1
