// `ring1 experiment` and `ring1 sweep` (experiment_command.h; docs/experiment.md). Both check everything they
// can before the first run (the image, the configurations, every geometry, the counts), so that a bad
// argument is one line and exit status 2, never a half-finished directory of results.
#include "experiment/cli/experiment_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "experiment/experiment.h"
#include "experiment/io_batching.h"
#include "machine/input_file.h"
#include "mmu/tlb_profile.h"

#ifndef RING1_EXPERIMENT_IMAGE
#define RING1_EXPERIMENT_IMAGE ""
#endif
#ifndef RING1_DISK_IMAGE
#define RING1_DISK_IMAGE ""
#endif
#ifndef RING1_PLOT_SCRIPT
#define RING1_PLOT_SCRIPT ""
#endif

namespace ring1 {

struct CommonOptions {
  std::string image = RING1_EXPERIMENT_IMAGE;
  std::string out;
  std::string cmdline;
  std::string tlb_profile = "p3";
  std::string cost_profile;
  std::string max_instructions = "2000000000";
  std::string plot_script = RING1_PLOT_SCRIPT;
  bool no_plots = false;
};

struct ExperimentOptions : CommonOptions {
  std::string configs = "native,pv-shared,pv-separate";
  std::string tlb_geometry;
  std::string pages, batch;
  std::string batching_image = RING1_DISK_IMAGE;  // the I/O row "requests per notification" (io_batching.h)
  bool no_batching = false;
};

struct SweepOptions : CommonOptions {
  std::string platform = "native";
  std::string entries = "4,8,16,32,64,128,256";
  std::string ways = "4";
  std::string policy = "lru";
};

namespace {

constexpr int kExitBadInput = 2;
constexpr int kExitRunFailed = 1;

int fail(const std::string& cmd, const std::string& msg) {
  std::fputs(fmt::format("ring1 {}: {}\n", cmd, escape_control(msg)).c_str(), stderr);
  return kExitBadInput;
}

// Decimal digits only, 1..max.
std::optional<u32> parse_small(const std::string& text, u32 max) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  u32 v = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + u32(ch - '0');
  }
  if (v == 0 || v > max) return std::nullopt;
  return v;
}

// This program, to run the child runs with (the same build as the command).
std::string self_path(const char* argv0) {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) return std::string(buf, size_t(n));
  return argv0;
}

void add_common(CLI::App* c, CommonOptions& o, const char* default_out) {
  o.out = default_out;
  c->add_option("image", o.image,
                "A kit guest that brackets its operations with the measurement ports (kit/measure.h); default: "
                "the build's suite image")
      ->capture_default_str();
  c->add_option("--out", o.out, "Directory for the CSV files, the plots and each run's report and console")
      ->capture_default_str();
  c->add_option("--cmdline", o.cmdline, "The guest's command line, in every run");
  c->add_option("--tlb-profile", o.tlb_profile, "TLB profile under every run: p3, p4, tiny")->capture_default_str();
  c->add_option("--cost-profile", o.cost_profile, "Cycle-cost profile (as ring1 run's)");
  c->add_option("--max-instructions", o.max_instructions, "Bound on each run (as ring1 run's)")->capture_default_str();
  c->add_option("--plot-script", o.plot_script, "The matplotlib script that draws the plots")->capture_default_str();
  c->add_flag("--no-plots", o.no_plots, "Write the CSV files only");
}

// What both commands check before running: the image can be read, the output directory made, the counts are
// counts, the profile exists.
std::optional<int> check_common(const std::string& cmd, const CommonOptions& o) {
  if (o.image.empty()) return fail(cmd, "an IMAGE is required (this build has no default suite image)");
  std::string error;
  if (!read_input_file(o.image, 64u << 20, error)) return fail(cmd, error);
  if (!TlbProfile::named(o.tlb_profile)) return fail(cmd, fmt::format("--tlb-profile '{}' is not p3, p4 or tiny", o.tlb_profile));
  if (o.max_instructions.empty() || o.max_instructions.size() > 19 ||
      o.max_instructions.find_first_not_of("0123456789") != std::string::npos ||
      o.max_instructions.find_first_not_of('0') == std::string::npos)
    return fail(cmd, fmt::format("--max-instructions '{}' is not a count", o.max_instructions));
  if (o.out.empty()) return fail(cmd, "--out needs a directory");
  if (mkdir(o.out.c_str(), 0755) != 0 && errno != EEXIST)
    return fail(cmd, fmt::format("cannot make the directory '{}': {}", o.out, std::strerror(errno)));
  struct stat st {};
  if (stat(o.out.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return fail(cmd, fmt::format("'{}' is not a directory", o.out));
  if (mkdir((o.out + "/runs").c_str(), 0755) != 0 && errno != EEXIST)
    return fail(cmd, fmt::format("cannot make '{}/runs': {}", o.out, std::strerror(errno)));
  return std::nullopt;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.flush();
  return bool(f);
}

experiment::RunSettings settings(const CommonOptions& o, const char* argv0) {
  experiment::RunSettings s;
  s.ring1 = self_path(argv0);
  s.image = o.image;
  s.cmdline = o.cmdline;
  s.tlb_profile = o.tlb_profile;
  s.cost_profile = o.cost_profile;
  s.max_instructions = o.max_instructions;
  s.work_dir = o.out + "/runs";
  return s;
}

// Draws the plots (a note instead when matplotlib is missing); false when the script failed.
bool plots(const std::string& cmd, const CommonOptions& o, const std::vector<std::string>& args) {
  if (o.no_plots) return true;
  if (!experiment::matplotlib_available()) {
    fmt::print("plots: skipped (python3 with matplotlib not found: scripts/install-deps.sh installs python3-matplotlib)\n");
    return true;
  }
  std::string error;
  if (!experiment::run_plot_script(o.plot_script, args, error)) {
    std::fputs(fmt::format("ring1 {}: plots: {}\n", cmd, escape_control(error)).c_str(), stderr);
    return false;
  }
  return true;
}

void print_errors(const experiment::Result& r) {
  for (const auto& [name, n] : r.errors)
    std::fputs(fmt::format("ring1: note: {}: the guest's measurement errors: {} x{}\n", r.config.name(), name, n).c_str(),
               stderr);
}

int experiment_command(const ExperimentOptions& o, const char* argv0) {
  const std::string cmd = "experiment";
  std::string error;
  auto configs = experiment::parse_configs(o.configs, error);
  if (!configs) return fail(cmd, error);
  if (!o.tlb_geometry.empty()) {
    if (!TlbProfile::with_geometry(TlbProfile::named(o.tlb_profile).value_or(TlbProfile::p3()), o.tlb_geometry, error))
      return fail(cmd, error);
    for (auto& c : *configs) c.geometry = o.tlb_geometry;
  }
  std::string cmdline = o.cmdline;
  // The suite's sizes, handed to the guest as "pages=N batch=B" (the kit's PV platform sends at most 2048
  // page-table updates per hypercall, as XenoLinux does).
  if (!o.pages.empty()) {
    const auto n = parse_small(o.pages, 1u << 20);
    if (!n) return fail(cmd, fmt::format("--pages '{}' is not a page count from 1 to 1048576", o.pages));
    cmdline += fmt::format("{}pages={}", cmdline.empty() ? "" : " ", *n);
  }
  if (!o.batch.empty()) {
    const auto b = parse_small(o.batch, 2048);
    if (!b) return fail(cmd, fmt::format("--batch '{}' is not a batch size from 1 to 2048", o.batch));
    cmdline += fmt::format("{}batch={}", cmdline.empty() ? "" : " ", *b);
  }
  ExperimentOptions opts = o;
  opts.cmdline = cmdline;
  if (auto bad = check_common(cmd, opts)) return *bad;
  const auto s = settings(opts, argv0);
  std::vector<experiment::Result> results;
  for (const auto& c : *configs) {
    experiment::Result r;
    fmt::print("running {} ...\n", c.name());
    std::fflush(stdout);
    if (!experiment::run_config(s, c, r, error)) {
      std::fputs(fmt::format("ring1 experiment: {}\n", escape_control(error)).c_str(), stderr);
      return kExitRunFailed;
    }
    print_errors(r);
    results.push_back(std::move(r));
  }
  const std::string csv = o.out + "/experiment.csv", ratios = o.out + "/ratios.csv";
  if (!write_file(csv, experiment::results_csv(results)) || !write_file(ratios, experiment::ratios_csv(results)))
    return fail(cmd, fmt::format("cannot write the CSV files in '{}'", o.out));
  fmt::print("\n{}\nCSV: {}\nCSV: {}\n", experiment::ratios_table(results), csv, ratios);
  if (!o.no_batching && !o.batching_image.empty()) {
    std::vector<experiment::BatchingRow> rows;
    if (!experiment::run_batching(s, o.batching_image, *configs, rows, error)) {
      std::fputs(fmt::format("ring1 experiment: {}\n", escape_control(error)).c_str(), stderr);
      return kExitRunFailed;
    }
    const std::string io = o.out + "/io-batching.csv";
    if (!rows.empty() && !write_file(io, experiment::batching_csv(rows))) return fail(cmd, fmt::format("cannot write '{}'", io));
    if (!rows.empty()) fmt::print("\n{}CSV: {}\n", experiment::batching_table(rows), io);
  }
  if (!plots(cmd, o, {"experiment", csv, ratios, o.out})) return kExitRunFailed;
  if (!o.no_plots && experiment::matplotlib_available())
    fmt::print("plots: {}/ratios.png {}/cycles.png\n", o.out, o.out);
  return 0;
}

int sweep_command(const SweepOptions& o, const char* argv0) {
  const std::string cmd = "sweep";
  std::string error;
  if (!experiment::parse_configs(o.platform, error) || o.platform.find_first_of(",/") != std::string::npos)
    return fail(cmd, fmt::format("--platform '{}' is not one of native, pv-shared, pv-separate", o.platform));
  const auto ways = parse_small(o.ways, TlbProfile::kMaxWays);
  if (!ways) return fail(cmd, fmt::format("--ways '{}' is not a count from 1 to {}", o.ways, TlbProfile::kMaxWays));
  std::vector<u32> entries;
  std::stringstream ss(o.entries);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto e = parse_small(item, TlbProfile::kMaxEntries);
    if (!e) return fail(cmd, fmt::format("--entries: '{}' is not a count from 1 to {}", item, TlbProfile::kMaxEntries));
    entries.push_back(*e);
  }
  if (entries.empty()) return fail(cmd, "--entries: empty");
  if (entries.size() > 16) return fail(cmd, "--entries: at most 16 sizes (each is two runs)");
  std::vector<experiment::Config> grid;
  for (u32 e : entries) {
    const std::string g = fmt::format("itlb={}x{},dtlb={}x{},policy={}", e, *ways, e, *ways, o.policy);
    if (!TlbProfile::with_geometry(TlbProfile::p3(), g, error)) return fail(cmd, error);
    for (const auto& t : experiment::kTlbKinds) grid.push_back(experiment::Config{o.platform, t, g});
  }
  if (auto bad = check_common(cmd, o)) return *bad;
  const auto s = settings(o, argv0);
  std::vector<experiment::Result> results;
  for (const auto& c : grid) {
    experiment::Result r;
    fmt::print("running {} {} ...\n", c.name(), c.geometry);
    std::fflush(stdout);
    if (!experiment::run_config(s, c, r, error)) {
      std::fputs(fmt::format("ring1 sweep: {}\n", escape_control(error)).c_str(), stderr);
      return kExitRunFailed;
    }
    print_errors(r);
    results.push_back(std::move(r));
  }
  const std::string csv = o.out + "/sweep.csv";
  if (!write_file(csv, experiment::sweep_csv(results, entries, *ways)))
    return fail(cmd, fmt::format("cannot write '{}'", csv));
  fmt::print("CSV: {}\n", csv);
  if (!plots(cmd, o, {"sweep", csv, o.out})) return kExitRunFailed;
  if (!o.no_plots && experiment::matplotlib_available()) fmt::print("plots: {}/sweep.png\n", o.out);
  return 0;
}

}  // namespace

ExperimentCommands add_experiment_commands(CLI::App& app) {
  ExperimentCommands c;
  c.eo = std::make_shared<ExperimentOptions>();
  c.so = std::make_shared<SweepOptions>();
  ExperimentOptions& e = *c.eo;
  c.experiment = app.add_subcommand(
      "experiment",
      "Run a measured guest natively and paravirtualized (hypervisor in the top 64 MB, or in its own address "
      "space), each with an untagged and a tagged TLB; write every counter per region to CSV, the ratios to "
      "native beside the paper's, and plots.");
  add_common(c.experiment, e, "experiment-out");
  c.experiment->add_option("--configs", e.configs,
                           "Platforms (each with both TLB kinds) or platform/tlb pairs: native, pv-shared, pv-separate")
      ->capture_default_str();
  c.experiment->add_option("--tlb-geometry", e.tlb_geometry, "What-if TLB geometry for every run (as ring1 run's)");
  c.experiment->add_option("--pages", e.pages, "Page count handed to the guest as pages=N on its command line");
  c.experiment->add_option("--batch", e.batch, "mmu_update batch size handed to the guest as batch=B (1..2048)");
  c.experiment->add_option("--batching-image", e.batching_image,
                           "The disk example whose runs give the I/O row 'requests per notification' (PV configurations)")
      ->capture_default_str();
  c.experiment->add_flag("--no-batching", e.no_batching, "Leave out the I/O row 'requests per notification'");
  c.experiment->footer(
      "Writes OUT/experiment.csv, OUT/ratios.csv, OUT/ratios.png, OUT/cycles.png, OUT/io-batching.csv and OUT/runs/\n"
      "(each run's JSON report and console). Exit status: 0 done; 1 a run failed (its console's last lines are printed); 2 bad input.");

  SweepOptions& w = *c.so;
  c.sweep = app.add_subcommand(
      "sweep", "Run a measured guest over a grid of TLB sizes, untagged and tagged, and plot misses and cycles per "
               "operation against TLB size.");
  add_common(c.sweep, w, "sweep-out");
  c.sweep->add_option("--platform", w.platform, "native, pv-shared or pv-separate")->capture_default_str();
  c.sweep->add_option("--entries", w.entries, "ITLB and DTLB entries (4 KiB arrays), a comma list of powers of two")
      ->capture_default_str();
  c.sweep->add_option("--ways", w.ways, "Associativity of each size (a power of two, at most the entries)")
      ->capture_default_str();
  c.sweep->add_option("--policy", w.policy, "Replacement policy")
      ->check(CLI::IsMember({"lru", "fifo"}))
      ->capture_default_str();
  c.sweep->footer("Writes OUT/sweep.csv, OUT/sweep.png and OUT/runs/. Exit status as ring1 experiment's.");
  return c;
}

std::optional<int> run_experiment_commands(const ExperimentCommands& c, const char* argv0) {
  if (c.experiment->parsed()) return experiment_command(*c.eo, argv0);
  if (c.sweep->parsed()) return sweep_command(*c.so, argv0);
  return std::nullopt;
}

}  // namespace ring1
