// The experiment's engine (`ring1 experiment` and `ring1 sweep`, docs/experiment.md): runs one guest image in
// several configurations as child `ring1 run` processes (each run its own process, so that runs share
// nothing), reads the per-region counters of the measurement ports from each run's JSON report, and turns
// them into the CSV files, the ratios table against native beside the paper's Linux/XenoLinux ratios, and
// the inputs of the plots (bench/plot_experiment.py draws them with matplotlib).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/types.h"

namespace ring1::experiment {

// One way to run the image: the platform (native PC, or PV with the hypervisor in the shared top 64 MB or
// in its own address space), the TLB kind, and an optional what-if geometry (--tlb-geometry).
struct Config {
  std::string platform;  // "native", "pv-shared" or "pv-separate"
  std::string tlb;       // "untagged" or "tagged"
  std::string geometry;  // empty: the profile's
  std::string name() const { return platform + "/" + tlb; }
  bool native() const { return platform == "native"; }
};

inline const std::vector<std::string> kPlatforms = {"native", "pv-shared", "pv-separate"};
inline const std::vector<std::string> kTlbKinds = {"untagged", "tagged"};

// "native,pv-shared" (platforms, each with both TLB kinds) or explicit "native/untagged,pv-separate/tagged".
// nullopt with `error` for an unknown name or an empty list.
std::optional<std::vector<Config>> parse_configs(const std::string& list, std::string& error);

// One region of one run, as the JSON report gives it.
struct Region {
  std::string name;
  u64 samples = 0, min_cycles = 0, median_cycles = 0;
  std::vector<u64> totals;  // in measure_field_names() order
};

struct Result {
  Config config;
  std::vector<Region> regions;
  std::vector<std::pair<std::string, u64>> errors;  // the ports' error counts that are not zero
};

// What every child run gets besides the configuration.
struct RunSettings {
  std::string ring1;        // the ring1 program to run (this one)
  std::string image;
  std::string cmdline;      // the guest's command line
  std::string tlb_profile;  // empty: ring1 run's default
  std::string cost_profile;
  std::string max_instructions;
  std::string work_dir;     // where each run's console and report go
  std::vector<std::string> extra;  // further `ring1 run` options (an I/O row's --disk)
};

// Runs `image` in `config`; false with a one-line `error` if the run failed or measured nothing (the last
// lines of the guest's console are in the error).
bool run_config(const RunSettings& s, const Config& config, Result& out, std::string& error);

// Reads the "measure" section of a `ring1 run --report json` report.
bool parse_report_regions(const std::string& json_text, Result& out, std::string& error);

// experiment.csv: one row per (configuration, region), every counter.
std::string results_csv(const std::vector<Result>& results);
std::string results_csv_header();

// The paper's lmbench rows (Barham et al., SOSP 2003, tables 3-5; XEN-NOTES.md): native Linux (L-UP) and
// XenoLinux (Xen) in microseconds, under the suite's row names.
struct PaperRow {
  const char* name;
  double linux_us, xen_us;
};
const std::vector<PaperRow>& paper_rows();
const PaperRow* paper_row(const std::string& region);

// The ratio of each configuration's median cycles per operation to native's with the same TLB kind, per
// region: ratios.csv and the printed table (median cycles of native untagged, the ratios, the paper's).
std::string ratios_csv(const std::vector<Result>& results);
std::string ratios_table(const std::vector<Result>& results);

// The sweep: one row per (geometry, TLB kind, region) with misses and cycles per operation.
std::string sweep_csv(const std::vector<Result>& results, const std::vector<u32>& entries, u32 ways);

// Runs the plot script (python3 SCRIPT MODE CSV... OUTDIR); false with `error` when it failed. `available`
// says whether python3 with matplotlib can be found at all (plots are then skipped with a note).
bool matplotlib_available();
bool run_plot_script(const std::string& script, const std::vector<std::string>& args, std::string& error);

}  // namespace ring1::experiment
