// The end-of-run report: what ran, what it cost in modelled cycles, and why it stopped, as text for people
// and JSON for scripts. Host wall time and MIPS are reported but never asserted by tests.
#pragma once
#include <optional>
#include <string>

#include "machine/machine.h"

namespace ring1 {
namespace hv {
class Hypervisor;
class DomainScheduler;
class IoDevices;
}
class MeasurePorts;

// What the run was configured with, beyond what the machine itself knows (TLB kind and profile, cost profile).
struct RunConfig {
  std::string platform = "pc";  // "pc" (the bare PC) or "pv" (a domain under the hypervisor)
  std::string hv_layout;        // "shared" or "separate" on "pv"; empty on "pc"
  u64 memory_bytes = 0;
  u64 cpu_mhz = 0;              // the PC's modelled clock; 0 on "pv" (no PIT or CMOS there)
  u64 max_instructions = 0;     // 0: no limit
  u64 max_cycles = 0;
};

struct RunSummary {
  StopReason reason = StopReason::None;
  double wall_seconds = 0;
  std::string image;
  std::optional<u64> guest_exit_status;  // (value << 1) | 1 from isa-debug-exit, if the guest wrote one
  const hv::Hypervisor* hypervisor = nullptr;  // a paravirtual run: its section of the report
  const hv::DomainScheduler* domains = nullptr;  // several domains: the per-domain section (docs/domains.md)
  const hv::IoDevices* io = nullptr;            // PV with --disk or --vif: the devices' section (docs/block.md)
  bool killed = false;                         // the debugger killed the run
  const MeasurePorts* measure = nullptr;       // the measurement ports' regions (machine/measure_ports.h)
  RunConfig config;
};

// Why the run ended, as both reports name it: "halted", "guest exit", "domain shutdown", "domain crashed",
// "instruction limit", "cycle limit", "killed by debugger", "unhandled exception", "triple fault",
// "host error", "not modelled", "ring1 bug" (docs/reports.md).
std::string stop_name(const RunSummary& s);

std::string report_text(Machine& m, const RunSummary& s);
std::string report_json(Machine& m, const RunSummary& s);
// One line naming vector, EIP, ring and instruction, for a run that ended on an exception.
std::string describe_fault(Machine& m);
// One line for a run that ended in a triple fault: ring, EIP and instruction of the first exception, and
// the chain of exceptions that followed.
std::string describe_triple_fault(Machine& m);

}  // namespace ring1
