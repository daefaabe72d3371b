// The I/O rows between domains (see the header): each a `ring1 run` of two pingpong domains whose report's
// measured region gives the totals; a row is the region's totals divided by its operations.
#include "experiment/io_rows.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "machine/input_file.h"
#include "machine/measure_ports.h"

namespace ring1::experiment {
namespace {

struct IoRun {
  const char* row;
  const char* region;
  u32 ops_per_sample;
};
constexpr IoRun kRuns[] = {{"interdomain round trip", "interdomain round trip", 1},
                           {"domain switch", "two domain switches", 2}};

std::vector<std::string> domains_for(const IoSettings& s, const IoRun& r) {
  const std::string img = s.image + ",memory=8,cmdline=";
  if (r.ops_per_sample == 1)
    return {"--domain", img + fmt::format("ping peer=2 port=3 rounds={}", s.rounds), "--domain",
            img + fmt::format("pong rounds={}", s.rounds)};
  return {"--domain", img + fmt::format("switch rounds={} pages={} measure=1", s.rounds, s.pages), "--domain",
          img + fmt::format("switch rounds={} pages={}", s.rounds, s.pages)};
}

}  // namespace

bool run_io_rows(const IoSettings& s, std::vector<IoRow>& out, std::string& error) {
  for (const IoRun& r : kRuns)
    for (const std::string& tlb : kTlbKinds) {
      const std::string stem = fmt::format("{}/io-{}-{}", s.work_dir, r.ops_per_sample == 1 ? "roundtrip" : "switch", tlb);
      const std::string report = stem + ".json", console = stem + ".console.txt";
      std::vector<std::string> args = {s.ring1, "run", "--quiet", "--report", "json", "--report-file", report,
                                       "--tlb", tlb};
      if (!s.tlb_profile.empty()) args.insert(args.end(), {"--tlb-profile", s.tlb_profile});
      if (!s.cost_profile.empty()) args.insert(args.end(), {"--cost-profile", s.cost_profile});
      if (!s.max_instructions.empty()) args.insert(args.end(), {"--max-instructions", s.max_instructions});
      const auto doms = domains_for(s, r);
      args.insert(args.end(), doms.begin(), doms.end());
      const int status = run_child(args, console, error);
      if (status < 0) return false;
      if (status != 0) {
        error = fmt::format("{} ({}): ring1 run exited {}: {}", r.row, tlb, status, last_lines(read_file_text(console), 3));
        return false;
      }
      Result res;
      if (!parse_report_regions(read_file_text(report), res, error)) {
        error = fmt::format("{} ({}): {}", r.row, tlb, error);
        return false;
      }
      const Region* g = nullptr;
      for (const Region& x : res.regions)
        if (x.name == r.region) g = &x;
      if (!g || g->samples == 0) {
        error = fmt::format("{} ({}): the run measured no '{}' region", r.row, tlb, r.region);
        return false;
      }
      IoRow row;
      row.row = r.row;
      row.tlb = tlb;
      row.samples = g->samples;
      row.ops_per_sample = r.ops_per_sample;
      row.median_sample_cycles = g->median_cycles;
      const double ops = double(g->samples) * r.ops_per_sample;
      u64 flushes = 0;
      for (u32 c = 0; c < u32(FlushCause::Count); ++c) flushes += g->totals[kFlushesFirst + c];
      row.cycles = double(g->totals[kCycles]) / ops;
      row.tlb_misses = double(g->totals[kItlbMisses] + g->totals[kDtlbMisses]) / ops;
      row.flushes = double(flushes) / ops;
      row.hypervisor_cycles = double(g->totals[kCyclesRing0]) / ops;
      out.push_back(row);
    }
  return true;
}

std::string io_csv(const std::vector<IoRow>& rows) {
  std::string out = "row,tlb,samples,ops_per_sample,median_sample_cycles,cycles_per_op,ring0_cycles_per_op,"
                    "tlb_misses_per_op,flushes_per_op\n";
  for (const IoRow& r : rows)
    out += fmt::format("\"{}\",{},{},{},{},{:.2f},{:.2f},{:.2f},{:.2f}\n", r.row, r.tlb, r.samples, r.ops_per_sample,
                       r.median_sample_cycles, r.cycles, r.hypervisor_cycles, r.tlb_misses, r.flushes);
  return out;
}

std::string io_table(const std::vector<IoRow>& rows, u32 pages) {
  std::string out = fmt::format(
      "I/O between two domains (examples/pingpong, BVT, shared layout; modelled means per operation)\n"
      "{:<46}{:>12}{:>12}\n", "row", "untagged", "tagged");
  auto line = [&](const std::string& name, const std::string& row, double IoRow::*field) {
    double v[2] = {0, 0};
    for (const IoRow& r : rows)
      if (r.row == row) v[r.tlb == "tagged" ? 1 : 0] = r.*field;
    out += fmt::format("{:<46}{:>12.2f}{:>12.2f}\n", name, v[0], v[1]);
  };
  line("interdomain round trip: cycles", "interdomain round trip", &IoRow::cycles);
  line("interdomain round trip: TLB misses", "interdomain round trip", &IoRow::tlb_misses);
  const std::string sw = fmt::format("domain switch ({} pages each)", pages);
  line(sw + ": cycles", "domain switch", &IoRow::cycles);
  line(sw + ": TLB misses", "domain switch", &IoRow::tlb_misses);
  line(sw + ": TLB flushes", "domain switch", &IoRow::flushes);
  return out;
}

int io_rows_step(const IoSettings& s, const std::string& out_dir) {
  fmt::print("running the I/O rows (two domains, untagged and tagged) ...\n");
  std::fflush(stdout);
  std::vector<IoRow> rows;
  std::string error;
  if (!run_io_rows(s, rows, error)) {
    std::fputs(fmt::format("ring1 experiment: {}\n", escape_control(error)).c_str(), stderr);
    return 1;
  }
  const std::string csv = out_dir + "/io.csv";
  std::ofstream f(csv, std::ios::binary | std::ios::trunc);
  f << io_csv(rows);
  f.flush();
  if (!f) {
    std::fputs(fmt::format("ring1 experiment: cannot write '{}'\n", escape_control(csv)).c_str(), stderr);
    return 1;
  }
  fmt::print("\n{}CSV: {}\n", io_table(rows, s.pages), csv);
  return 0;
}

}  // namespace ring1::experiment
