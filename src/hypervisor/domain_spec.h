// One `--domain KERNEL[,key=value...]` of `ring1 run`: a PV kernel and how its domain is built and
// scheduled. Keys: memory=MiB, cmdline=TEXT (the rest of the argument, commas included, so it comes last),
// weight=N (its CPU share under BVT), warp=CYCLES, warp-limit=CYCLES, unwarp=CYCLES (bvt.h).
#pragma once
#include <optional>
#include <string>

#include <vector>

#include "hypervisor/bvt.h"
#include "hypervisor/domain_scheduler.h"

namespace ring1::hv {

struct DomainSpec {
  std::string kernel;
  std::optional<u32> memory_mib;
  std::optional<std::string> cmdline;
  BvtParams sched;
};

// Parses one --domain argument; nullopt with `error` (one line) on a bad key or value.
std::optional<DomainSpec> parse_domain_spec(const std::string& text, std::string& error);

// `--bvt mcu=CYCLES,allow=CYCLES`: the scheduler's minimum charging unit and context-switch allowance.
std::optional<BvtConfig> parse_bvt_config(const std::string& text, std::string& error);

// `--control "STEP; ..."`: domain 0's operations at modelled cycles, in nondecreasing order of CYCLE:
// "at CYCLE pause|unpause|destroy DOMID", "at CYCLE mem-set|mem-max DOMID MIB", "at CYCLE create SPEC" (SPEC
// a --domain argument, the rest of the step).
std::optional<std::vector<ControlEvent>> parse_control_timeline(const std::string& text, std::string& error);

}  // namespace ring1::hv
