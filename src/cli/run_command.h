// `ring1 run`: checks the options, assembles the machine and the guest (bare PC or PV domains), wires the
// devices and instruments, runs under the debugger session, and writes the report. main.cpp parses the
// command line into RunOptions and calls this; its value is ring1's exit status (machine/exit_status.h).
#pragma once
#include "cli/run_options.h"

namespace ring1 {

int run_command(const RunOptions& given);

}  // namespace ring1
