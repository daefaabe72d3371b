// `monitor hv`: the hypervisor as a debugger sees it while the guest is stopped. The domain and its fate,
// vCPU 0's virtual CPU (the trap table entries the guest set, the kernel stack it named with stack_switch,
// its callbacks), the event flags in its vcpu_info, the page-directory base pointer, and what the
// hypervisor has done so far (hypercalls by name, bounces by vector).
#pragma once
#include <string>

namespace ring1 {

class Machine;
namespace hv {
class Hypervisor;
}

// Reads state only: no counter moves, no guest memory is touched through the MMU.
std::string hv_monitor_text(Machine& m, const hv::Hypervisor& hv);

}  // namespace ring1
