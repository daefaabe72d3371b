// The devices' section of the run's report (text and JSON): what each back end of the run served, from its
// own counters (BlkifStats, NetifStats) - the I/O requests the issue asks the report to count. A vbd's line
// gives its requests by operation, sectors moved, errors, the notifications it served and sent, the most
// requests one notification carried, broken rings, and the cycles its work cost (charged to the modelled
// clock as domain 0's, in ring 0); a vif's the same for packets.
#pragma once
#include <string>

namespace ring1::hv {

class IoDevices;

std::string io_report_text(const IoDevices& io);
std::string io_report_json(const IoDevices& io);

}  // namespace ring1::hv
