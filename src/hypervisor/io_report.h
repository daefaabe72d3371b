// The devices' section of the run's report (text and JSON): what each back end of the run served, from its
// own counters (BlkifStats, NetifStats) - the I/O requests the issue asks the report to count, each device
// under its front end's domain. A vbd's line (DOMAIN/NUMBER, its xvd name) gives its requests by operation, sectors moved, errors, the notifications it served and sent, the most
// requests one notification carried, broken rings, and the cycles its work cost (charged to the modelled
// clock as domain 0's, in ring 0). With vifs, the virtual switch's totals follow, then each vif as
// DOMAIN/NUMBER with its MAC, whether it is still connected, frames each way, drops and errors, the same
// notification counts, and its back end's cycles per frame (docs/network.md).
#pragma once
#include <string>

namespace ring1::hv {

class IoDevices;

std::string io_report_text(const IoDevices& io);
// A JSON object (no trailing newline): {"vbds":[{...},...],"vifs":[{...},...],"switch":{...}}.
std::string io_report_json(const IoDevices& io);

}  // namespace ring1::hv
