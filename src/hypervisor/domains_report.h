// The per-domain part of the report when several domains ran (docs/domains.md): for each domain its kernel,
// memory, BVT parameters and fate, and what it did while it held the CPU: instructions, cycles by ring, TLB
// misses and flushes, hypercalls, events, the times it was switched in, and the time it spent blocked.
#pragma once
#include <string>

namespace ring1::hv {

class DomainScheduler;

std::string domains_report_text(const DomainScheduler& s);
// A JSON object (no trailing newline): {"switches":N,"idle_cycles":N,"bvt":{...},"list":[{...},...]}.
std::string domains_report_json(const DomainScheduler& s);

}  // namespace ring1::hv
