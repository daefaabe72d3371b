// The experiment's engine (experiment.h): child runs, their reports, and the tables made from them.
#include "experiment/experiment.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "machine/input_file.h"
#include "machine/measure_ports.h"

extern char** environ;

namespace ring1::experiment {

namespace {
using nlohmann::json;

bool known(const std::vector<std::string>& names, const std::string& n) {
  for (const auto& k : names)
    if (k == n) return true;
  return false;
}

// Runs argv with stdout and stderr into `log` and stdin from /dev/null; the exit status, or -1 (with `error`)
// if it could not be started or did not exit normally.
int spawn_and_wait(const std::vector<std::string>& args, const std::string& log, std::string& error) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    error = fmt::format("cannot start '{}': {}", args[0], std::strerror(rc));
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      error = fmt::format("waiting for '{}': {}", args[0], std::strerror(errno));
      return -1;
    }
  if (!WIFEXITED(status)) {
    error = fmt::format("'{}' ended by signal {}", args[0], WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return -1;
  }
  return WEXITSTATUS(status);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The last `n` non-empty lines of `text`, joined with " | ", control bytes escaped (an error message is one line).
std::string tail_lines(const std::string& text, size_t n) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line))
    if (!line.empty()) lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
    out += (out.empty() ? "" : " | ") + escape_control(lines[i]);
  return out;
}

std::string csv_quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string file_stem(const Config& c) {
  std::string stem = c.platform + "-" + c.tlb;
  if (!c.geometry.empty()) {
    std::string g = c.geometry;
    for (char& ch : g)
      if (ch == ',' || ch == '=') ch = '_';
    stem += "-" + g;
  }
  return stem;
}

double per_op(u64 total, u64 samples) { return samples ? double(total) / double(samples) : 0.0; }

const Region* find_region(const Result& r, const std::string& name) {
  for (const Region& g : r.regions)
    if (g.name == name) return &g;
  return nullptr;
}

// The native result with the same TLB kind (and geometry) as `c`, if it was run.
const Result* native_for(const std::vector<Result>& results, const Config& c) {
  for (const Result& r : results)
    if (r.config.native() && r.config.tlb == c.tlb && r.config.geometry == c.geometry) return &r;
  return nullptr;
}

// Region names in the order they first appear across the results.
std::vector<std::string> region_names(const std::vector<Result>& results) {
  std::vector<std::string> names;
  for (const Result& r : results)
    for (const Region& g : r.regions)
      if (!known(names, g.name)) names.push_back(g.name);
  return names;
}
}  // namespace

std::optional<std::vector<Config>> parse_configs(const std::string& list, std::string& error) {
  std::vector<Config> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto slash = item.find('/');
    const std::string platform = item.substr(0, slash);
    if (!known(kPlatforms, platform)) {
      error = fmt::format("--configs: '{}' is not a platform (native, pv-shared, pv-separate)", escape_control(platform));
      return std::nullopt;
    }
    if (slash == std::string::npos) {
      for (const auto& t : kTlbKinds) out.push_back(Config{platform, t, ""});
      continue;
    }
    const std::string tlb = item.substr(slash + 1);
    if (!known(kTlbKinds, tlb)) {
      error = fmt::format("--configs: '{}' is not a TLB kind (untagged, tagged)", escape_control(tlb));
      return std::nullopt;
    }
    out.push_back(Config{platform, tlb, ""});
  }
  if (out.empty()) {
    error = "--configs: empty (give platforms such as native,pv-shared or pairs such as native/tagged)";
    return std::nullopt;
  }
  return out;
}

bool parse_report_regions(const std::string& json_text, Result& out, std::string& error) {
  const json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "the run's JSON report cannot be parsed";
    return false;
  }
  const auto m = j.find("measure");
  if (m == j.end() || m->is_null()) {
    error = "the guest never used the measurement ports (kit/measure.h): nothing was measured";
    return false;
  }
  const auto& names = measure_field_names();
  for (const json& r : m->at("regions")) {
    Region g;
    g.name = r.at("name").get<std::string>();
    g.samples = r.at("samples").get<u64>();
    g.min_cycles = r.at("min_cycles").get<u64>();
    g.median_cycles = r.at("median_cycles").get<u64>();
    for (const auto& n : names) g.totals.push_back(r.at("total").at(n).get<u64>());
    out.regions.push_back(std::move(g));
  }
  for (const auto& [k, v] : m->at("errors").items())
    if (v.get<u64>()) out.errors.emplace_back(k, v.get<u64>());
  if (out.regions.empty()) {
    error = "the guest used the measurement ports but completed no region";
    return false;
  }
  return true;
}

bool run_config(const RunSettings& s, const Config& c, Result& out, std::string& error) {
  const std::string stem = s.work_dir + "/" + file_stem(c);
  const std::string report = stem + ".json", console = stem + ".console.txt";
  std::vector<std::string> args = {s.ring1,          "run", s.image, "--quiet", "--report", "json",
                                   "--report-file", report, "--tlb", c.tlb};
  if (!c.native()) {
    args.insert(args.end(), {"--pv", "--hv-layout", c.platform == "pv-shared" ? "shared" : "separate"});
  }
  if (!s.cmdline.empty()) args.insert(args.end(), {"--cmdline", s.cmdline});
  if (!s.tlb_profile.empty()) args.insert(args.end(), {"--tlb-profile", s.tlb_profile});
  if (!c.geometry.empty()) args.insert(args.end(), {"--tlb-geometry", c.geometry});
  if (!s.cost_profile.empty()) args.insert(args.end(), {"--cost-profile", s.cost_profile});
  if (!s.max_instructions.empty()) args.insert(args.end(), {"--max-instructions", s.max_instructions});
  args.insert(args.end(), s.extra.begin(), s.extra.end());
  const int status = spawn_and_wait(args, console, error);
  if (status < 0) return false;
  // A kit kernel's clean end: isa-debug-exit 0 natively (status 1), or a halt (0); SHUTDOWN_poweroff under
  // the hypervisor (0). Anything else is a failed run.
  if (!(status == 0 || (c.native() && status == 1))) {
    error = fmt::format("{}: ring1 run exited {}: {}", c.name(), status, tail_lines(read_text(console), 3));
    return false;
  }
  out.config = c;
  if (!parse_report_regions(read_text(report), out, error)) {
    error = fmt::format("{}: {}", c.name(), error);
    return false;
  }
  return true;
}

std::string results_csv_header() {
  std::string h = "platform,tlb,tlb_geometry,region,samples,min_cycles,median_cycles,mean_cycles";
  for (const auto& n : measure_field_names()) h += "," + n;
  return h;
}

std::string results_csv(const std::vector<Result>& results) {
  std::string out = results_csv_header() + "\n";
  for (const Result& r : results)
    for (const Region& g : r.regions) {
      out += fmt::format("{},{},{},{},{},{},{},{:.2f}", r.config.platform, r.config.tlb, csv_quote(r.config.geometry),
                         csv_quote(g.name), g.samples, g.min_cycles, g.median_cycles,
                         per_op(g.totals[kCycles], g.samples));
      for (u64 v : g.totals) out += fmt::format(",{}", v);
      out += "\n";
    }
  return out;
}

const std::vector<PaperRow>& paper_rows() {
  // XEN-NOTES.md, "The paper's numbers": tables 3 (processes), 4 (context switches), 5 (file and VM).
  static const std::vector<PaperRow> rows = {
      {"null call", 0.45, 0.46},     {"null I/O", 0.50, 0.50},      {"stat", 1.28, 1.22},
      {"open/close", 1.92, 1.88},    {"sig inst", 0.68, 0.69},      {"sig hndl", 2.49, 1.75},
      {"fork", 110, 198},            {"exec", 530, 768},            {"sh", 4000, 4800},
      {"ctxsw 2p/0K", 0.77, 1.97},   {"ctxsw 2p/16K", 0.91, 2.22},  {"ctxsw 2p/64K", 1.06, 2.67},
      {"ctxsw 8p/16K", 1.03, 3.07},  {"ctxsw 8p/64K", 24.3, 28.7},  {"ctxsw 16p/16K", 3.61, 7.08},
      {"ctxsw 16p/64K", 37.6, 39.4}, {"mmap lat", 68.0, 139},       {"prot fault", 1.06, 1.40},
      {"page fault", 1.42, 2.73},
  };
  return rows;
}

const PaperRow* paper_row(const std::string& region) {
  for (const PaperRow& p : paper_rows())
    if (region == p.name) return &p;
  return nullptr;
}

std::string ratios_csv(const std::vector<Result>& results) {
  std::string out = "region,platform,tlb,tlb_geometry,median_cycles,native_median_cycles,ratio,paper_ratio\n";
  for (const std::string& name : region_names(results))
    for (const Result& r : results) {
      const Region* g = find_region(r, name);
      if (!g) continue;
      const Result* n = native_for(results, r.config);
      const Region* ng = n ? find_region(*n, name) : nullptr;
      const PaperRow* p = paper_row(name);
      out += fmt::format("{},{},{},{},{},{},{},{}\n", csv_quote(name), r.config.platform, r.config.tlb,
                         csv_quote(r.config.geometry), g->median_cycles, ng ? std::to_string(ng->median_cycles) : "",
                         ng && ng->median_cycles ? fmt::format("{:.3f}", double(g->median_cycles) / ng->median_cycles) : "",
                         p ? fmt::format("{:.3f}", p->xen_us / p->linux_us) : "");
    }
  return out;
}

std::string ratios_table(const std::vector<Result>& results) {
  auto abbrev = [](const Config& c) {
    const std::string p = c.platform == "native" ? "nat" : c.platform == "pv-shared" ? "shr" : "sep";
    return p + "/" + (c.tlb == "tagged" ? "t" : "u");
  };
  std::string out =
      "median modelled cycles per operation (native, same TLB kind) and each configuration's ratio to it;\n"
      "nat = native, shr = PV with the hypervisor in the top 64 MB, sep = PV in its own address space;\n"
      "u = untagged TLB, t = tagged; paper = XenoLinux / native Linux (SOSP 2003, tables 3-5)\n";
  out += fmt::format("{:<16} {:>10} {:>10}", "region", "nat/u cyc", "nat/t cyc");
  std::vector<const Result*> cols;
  for (const Result& r : results)
    if (!r.config.native()) {
      cols.push_back(&r);
      out += fmt::format(" {:>7}", abbrev(r.config));
    }
  out += fmt::format(" {:>7}\n", "paper");
  for (const std::string& name : region_names(results)) {
    auto native_median = [&](const std::string& tlb) -> std::string {
      for (const Result& r : results)
        if (r.config.native() && r.config.tlb == tlb)
          if (const Region* g = find_region(r, name)) return std::to_string(g->median_cycles);
      return "-";
    };
    out += fmt::format("{:<16} {:>10} {:>10}", name.size() > 16 ? name.substr(0, 16) : name, native_median("untagged"),
                       native_median("tagged"));
    for (const Result* r : cols) {
      const Region* g = find_region(*r, name);
      const Result* n = native_for(results, r->config);
      const Region* ng = n ? find_region(*n, name) : nullptr;
      out += g && ng && ng->median_cycles ? fmt::format(" {:>7.2f}", double(g->median_cycles) / ng->median_cycles)
                                           : fmt::format(" {:>7}", "-");
    }
    const PaperRow* p = paper_row(name);
    out += p ? fmt::format(" {:>7.2f}\n", p->xen_us / p->linux_us) : fmt::format(" {:>7}\n", "-");
  }
  return out;
}

std::string sweep_csv(const std::vector<Result>& results, const std::vector<u32>& entries, u32 ways) {
  std::string out =
      "entries,ways,platform,tlb,tlb_geometry,region,samples,median_cycles,mean_cycles,misses_per_op,itlb_misses_per_op,"
      "dtlb_misses_per_op,walks_per_op,flushes_per_op\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    const u32 e = entries[i / kTlbKinds.size()];
    for (const Region& g : r.regions) {
      u64 flushes = 0;
      for (u32 f = 0; f < u32(FlushCause::Count); ++f) flushes += g.totals[kFlushesFirst + f];
      out += fmt::format("{},{},{},{},{},{},{},{},{:.2f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f}\n", e, ways, r.config.platform,
                         r.config.tlb, csv_quote(r.config.geometry), csv_quote(g.name), g.samples, g.median_cycles,
                         per_op(g.totals[kCycles], g.samples),
                         per_op(g.totals[kItlbMisses] + g.totals[kDtlbMisses], g.samples),
                         per_op(g.totals[kItlbMisses], g.samples), per_op(g.totals[kDtlbMisses], g.samples),
                         per_op(g.totals[kWalks], g.samples), per_op(flushes, g.samples));
    }
  }
  return out;
}

namespace {
// Debian's python3 (where python3-matplotlib installs), ahead of whatever python3 comes first on PATH (a
// pyenv or virtualenv one would not see the Debian package).
std::vector<std::string> python3() {
  if (access("/usr/bin/python3", X_OK) == 0) return {"/usr/bin/python3"};
  return {"/usr/bin/env", "python3"};
}
}  // namespace

bool matplotlib_available() {
  std::string error;
  std::vector<std::string> argv = python3();
  // Finding the package is enough (and much faster than importing it).
  argv.insert(argv.end(), {"-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('matplotlib') is None)"});
  return spawn_and_wait(argv, "/dev/null", error) == 0;
}

bool run_plot_script(const std::string& script, const std::vector<std::string>& args, std::string& error) {
  std::vector<std::string> argv = python3();
  argv.push_back(script);
  argv.insert(argv.end(), args.begin(), args.end());
  char tmpl[] = "/tmp/ring1-plot-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) {
    error = fmt::format("cannot make a temporary file: {}", std::strerror(errno));
    return false;
  }
  close(fd);
  const int status = spawn_and_wait(argv, tmpl, error);
  const std::string log = read_text(tmpl);
  unlink(tmpl);
  if (status < 0) return false;
  if (status != 0) {
    error = fmt::format("the plot script exited {}: {}", status, tail_lines(log, 2));
    return false;
  }
  return true;
}

}  // namespace ring1::experiment
