// GDB's `monitor` commands (qRcmd): text in, text out, run while the guest is stopped.
//   help, ring-break on|off, phys on|off, tlb, walk ADDR, stats, cycles
#pragma once
#include <string>
#include <string_view>

namespace ring1 {

class Machine;

// Debugger settings the monitor changes and the stub obeys.
struct MonitorState {
  bool ring_break = false;  // stop after the next instruction (or delivery) that changes CPL
  bool physical = false;    // memory packets address physical memory instead of linear
};

struct MonitorReply {
  bool ok = true;  // false: an unknown command or bad argument (the text says which)
  std::string text;
};

MonitorReply monitor_command(Machine& m, MonitorState& state, std::string_view command);

}  // namespace ring1
