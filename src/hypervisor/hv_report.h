// The hypervisor's part of the end-of-run report: the domain's fate, hypercalls by name, the batch sizes of
// the page-table hypercalls, exceptions bounced to the guest, system calls by path (the direct gate or through
// the hypervisor), validation work and the flushes guests asked for.
#pragma once
#include <string>

namespace ring1::hv {

class Hypervisor;

std::string hv_report_text(const Hypervisor& hv);
// A JSON object (no trailing newline).
std::string hv_report_json(const Hypervisor& hv);
// The domain's fate in words: "running", "shut down (poweroff)", "crashed: WHY".
std::string domain_state_text(const Hypervisor& hv);
// The name of hypercall `nr` (xen.h's __HYPERVISOR_* without the prefix), or "hypercall_N".
std::string hypercall_name(unsigned nr);

}  // namespace ring1::hv
