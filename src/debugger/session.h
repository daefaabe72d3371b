// Running a guest with the debugger and the tracer attached: `ring1 run --gdb PORT [--gdb-wait]` and
// `--trace LIST [--trace-file PATH]`. With neither, this is exactly Cpu::run.
//
// With --gdb the guest runs in slices of kSliceInstructions instructions (an instruction limit the run loop
// honours exactly, so the modelled cycles, TLB counts and everything else come out as in one unsliced run);
// between slices the stub accepts a client and watches for Ctrl-C. Without --gdb-wait the guest starts at
// once and a client attaching later stops it where it is; with --gdb-wait nothing runs until a client has
// attached and resumed. When the guest ends (halts, crashes, reaches a limit) an attached client is told
// (`W` with ring1's exit status) and ring1 ends as it would without the debugger. `detach` lets the guest
// run on; a later client may attach again. `kill` ends the run (StopReason::Requested).
#pragma once
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "cpu/cpu.h"
#include "debugger/tracer.h"
#include "machine/exit_status.h"

namespace ring1 {

class Machine;
namespace hv {
class Hypervisor;
}

struct DebugOptions {
  std::optional<u16> gdb_port;
  bool gdb_wait = false;
  TraceSet trace;
  std::FILE* trace_out = stderr;
  // A paravirtual run's hypervisor: `--trace hypercall` hooks it, `monitor hv` and `monitor stats` show it.
  hv::Hypervisor* hypervisor = nullptr;
  // ring1's exit status for a run that ended with a reason (the stub's `W` packet): what `ring1 run` will
  // return, which also depends on the guest's isa-debug-exit and the domain's fate. Empty: exit_status_for (machine/exit_status.h).
  std::function<int(StopReason)> exit_status;
};

inline constexpr u64 kSliceInstructions = 200000;

struct DebugOutcome {
  std::string error;    // the stub could not listen (the run then returns StopReason::HostError at once)
  bool killed = false;  // the client killed the run (StopReason::Requested)
};

// Runs the guest to the end under `limits` with the debugger and tracer `o` asks for. Prints the stub's
// "listening" line (with the port, useful with port 0) to stderr.
StopReason run_with_debugger(Machine& m, const RunLimits& limits, const DebugOptions& o, DebugOutcome& out);

}  // namespace ring1
