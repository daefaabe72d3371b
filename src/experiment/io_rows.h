// The experiment's rows for I/O between domains (`ring1 experiment`, docs/domains.md): two PV domains of the
// pingpong example (examples/pingpong) measuring, with the measurement ports, an interdomain round trip (an
// event sent over an interdomain channel and the answer's upcall) and a domain switch by the BVT scheduler
// (with the incoming domain touching its working set), each on an untagged and a tagged TLB, so that the
// paper's point about the untagged x86 TLB shows in the cost of every switch.
#pragma once
#include <string>
#include <vector>

#include "common/types.h"
#include "experiment/experiment.h"

namespace ring1::experiment {

struct IoSettings {
  std::string ring1;
  std::string image;  // the pingpong example
  std::string tlb_profile, cost_profile, max_instructions;
  std::string work_dir;  // where each run's console and report go
  u32 rounds = 1000;
  u32 pages = 16;  // the switch row's working set per domain
};

// One row in one TLB kind: per operation (a round trip; a switch, of which each sample holds two).
struct IoRow {
  std::string row;  // "interdomain round trip", "domain switch"
  std::string tlb;
  u64 samples = 0;
  u32 ops_per_sample = 1;
  u64 median_sample_cycles = 0;
  double cycles = 0, tlb_misses = 0, flushes = 0, hypervisor_cycles = 0;
};

// Runs both rows on both TLB kinds (four runs of two domains); false with a one-line `error`.
bool run_io_rows(const IoSettings& s, std::vector<IoRow>& out, std::string& error);
// io.csv, and the table printed after the ratios.
std::string io_csv(const std::vector<IoRow>& rows);
std::string io_table(const std::vector<IoRow>& rows, u32 pages);
// The step of `ring1 experiment`: runs the rows, writes OUT/io.csv and prints the table; 0, or 1 with the
// reason on stderr when a run failed.
int io_rows_step(const IoSettings& s, const std::string& out_dir);

}  // namespace ring1::experiment
