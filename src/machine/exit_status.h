// ring1's exit statuses, in one place: what `ring1 run` returns and what the gdb stub reports in its `W`
// packet. A guest's isa-debug-exit status is (value << 1) | 1, always odd; ring1's own outcomes are even so
// that the two never collide (README.md, "Exit status"; docs/failure-channels.md).
#pragma once
#include <optional>

#include "cpu/cpu.h"

namespace ring1 {

namespace hv {
class Hypervisor;
}

inline constexpr int kExitBadInput = 2;       // bad input or usage
inline constexpr int kExitNotModelled = 116;  // the guest used something ring1 does not model
inline constexpr int kExitRing1Bug = 118;     // one of ring1's own checks failed: a bug in ring1
inline constexpr int kExitGuestCrash = 120;   // an exception with nowhere to go, or a crashed domain
inline constexpr int kExitKilled = 122;       // killed from the debugger
inline constexpr int kExitLimit = 124;        // an instruction or cycle limit was reached
inline constexpr int kExitHostError = 126;    // a host-side error (output lost, code from unassigned memory)

// The status for a run that ended with `why`, when neither the guest's isa-debug-exit nor a domain's fate
// decides it: 0 halted, 120 crashed, 124 limit, 126 host error, 116 not modelled, 118 ring1 bug, 122 a stop
// requested (by the debugger).
int exit_status_for(StopReason why);

// The status of a whole run: the guest's isa-debug-exit status (`guest_exit`) when it asked to stop, 120 for
// a crashed domain, 122 for a run killed from the debugger, 0 for any other requested stop (a domain's
// shutdown), else exit_status_for(why).
int run_exit_status(StopReason why, bool killed, std::optional<u64> guest_exit, const hv::Hypervisor* hypervisor);

}  // namespace ring1
