// Domain 0's store daemon in the end-of-run report: requests by type, error replies by name, watch events,
// transactions (committed, refused with EAGAIN, aborted), ring traffic, broken rings, and the modelled
// cycles its work took, which are domain 0's, not the guest's.
#pragma once
#include <string>

namespace ring1::xs {

class Xenstored;

// One or two indented lines for the text report; empty if no guest ever talked to the store.
std::string xenstored_report_text(const Xenstored& d);
// A JSON object (no trailing newline).
std::string xenstored_report_json(const Xenstored& d);

}  // namespace ring1::xs
