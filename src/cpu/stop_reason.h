// Why a run of the CPU ended. Devices and the hypervisor ask for a stop with one of these (CpuPins::
// request_stop), the machine maps them to ring1's exit statuses; none of them needs the CPU for that.
#pragma once
#include <string_view>

#include "common/types.h"

namespace ring1 {

enum class StopReason : u8 {
  None,
  Halted,          // HLT with nothing left to wake the CPU
  InsnLimit,       // --max-instructions reached
  CycleLimit,      // --max-cycles reached
  Breakpoint,      // a stop address was reached (tests, debugger)
  UnhandledFault,  // an exception or interrupt with nowhere to go yet (ExceptionMode::Stop)
  HostError,       // something the emulator cannot do (fetch from unassigned memory, say)
  TripleFault,     // an exception while delivering a double fault: the processor shuts down
  Requested,       // a device or the host asked the machine to stop
  NotModelled,     // the guest used something ring1 does not model; the message names the feature
  Ring1Bug,        // one of ring1's own internal checks failed: a bug in ring1, not in the guest
};

std::string_view stop_reason_name(StopReason r);

}  // namespace ring1
