// ring1's exit statuses (see exit_status.h).
#include "machine/exit_status.h"

#include "hypervisor/hypervisor.h"

namespace ring1 {

int exit_status_for(StopReason why) {
  switch (why) {
    case StopReason::Halted: return 0;
    case StopReason::UnhandledFault:
    case StopReason::TripleFault: return kExitGuestCrash;
    case StopReason::InsnLimit:
    case StopReason::CycleLimit: return kExitLimit;
    case StopReason::HostError: return kExitHostError;
    case StopReason::NotModelled: return kExitNotModelled;
    case StopReason::Ring1Bug: return kExitRing1Bug;
    case StopReason::Requested: return kExitKilled;
    default: return 0;
  }
}

int run_exit_status(StopReason why, bool killed, std::optional<u64> guest_exit, const hv::Hypervisor* hypervisor) {
  if (why == StopReason::Requested && guest_exit) return int(*guest_exit & 0xFF);
  if (hypervisor && why == StopReason::Requested && hypervisor->state() == hv::DomainState::Crashed)
    return kExitGuestCrash;
  if (why == StopReason::Requested) return killed ? kExitKilled : 0;
  return exit_status_for(why);
}

}  // namespace ring1
