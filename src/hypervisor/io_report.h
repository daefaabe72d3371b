// The devices' part of the report, when a run has any (docs/network.md): the virtual switch's totals, then
// for each vif its domain, number and MAC and what its back end did (kicks, frames each way, drops, errors,
// notifications, the largest batch one kick served, the modelled cycles of back-end work), and for each vbd
// the same for its requests. Text for people, JSON for tests and scripts.
#pragma once
#include <string>

namespace ring1::hv {

class IoDevices;

std::string io_report_text(const IoDevices& io);
// A JSON object (no trailing newline): {"switch":{...},"vifs":[{...},...],"vbds":[{...},...]}.
std::string io_report_json(const IoDevices& io);

}  // namespace ring1::hv
