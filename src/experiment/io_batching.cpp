// The "requests per notification" row (io_batching.h): child runs of the disk example and its regions.
#include "experiment/io_batching.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "machine/measure_ports.h"

namespace ring1::experiment {

namespace {
constexpr u32 kBatchSizes[] = {1, 8, 32};

// A fresh image of zeros, so every run starts from the same disk.
bool make_image(const std::string& path, std::string& error) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  const std::vector<char> zeros(size_t(kBatchingDiskSectors) * 512, 0);
  f.write(zeros.data(), std::streamsize(zeros.size()));
  f.flush();
  if (!f) error = fmt::format("cannot write the scratch disk image '{}'", path);
  return bool(f);
}
}  // namespace

bool run_batching(const RunSettings& base, const std::string& disk_image, const std::vector<Config>& configs,
                  std::vector<BatchingRow>& rows, std::string& error) {
  RunSettings s = base;
  s.image = disk_image;
  s.cmdline.clear();  // the measured suite's command line is not the disk example's
  s.work_dir = base.work_dir + "/io-batching";
  if (mkdir(s.work_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    error = fmt::format("cannot make '{}': {}", s.work_dir, std::strerror(errno));
    return false;
  }
  for (const Config& c : configs) {
    if (c.native()) continue;
    const std::string img = fmt::format("{}/{}-{}.img", s.work_dir, c.platform, c.tlb);
    if (!make_image(img, error)) return false;
    RunSettings run = s;
    run.extra = {"--disk", img};
    Result r;
    if (!run_config(run, c, r, error)) {
      error = "requests per notification: " + error;
      return false;
    }
    for (u32 b : kBatchSizes) {
      const std::string name = fmt::format("blk batch {}", b);
      const Region* g = nullptr;
      for (const Region& x : r.regions)
        if (x.name == name) g = &x;
      if (!g) {
        error = fmt::format("requests per notification: {}: the disk example measured no '{}' region", c.name(), name);
        return false;
      }
      BatchingRow row;
      row.config = c;
      row.batch = b;
      row.notifications = g->samples;
      row.requests = g->samples * b;
      row.cycles = g->totals[kCycles];
      row.instructions = g->totals[kInstructions];
      row.hv_entries = g->totals[kHvEntries];
      rows.push_back(row);
    }
  }
  return true;
}

std::string batching_csv(const std::vector<BatchingRow>& rows) {
  std::string out =
      "platform,tlb,requests_per_notification,notifications,requests,cycles,instructions,hv_entries,"
      "cycles_per_request,cycles_per_notification\n";
  for (const BatchingRow& r : rows)
    out += fmt::format("{},{},{},{},{},{},{},{},{:.2f},{:.2f}\n", r.config.platform, r.config.tlb, r.batch,
                       r.notifications, r.requests, r.cycles, r.instructions, r.hv_entries, r.per_request(),
                       r.per_notification());
  return out;
}

std::string batching_table(const std::vector<BatchingRow>& rows) {
  std::string out =
      "requests per notification: 32 one-page reads through the block ring (examples/disk), modelled cycles\n";
  out += fmt::format("{:<20} {:>8} {:>13} {:>12} {:>16}\n", "configuration", "batch", "notifications", "per request",
                     "per notification");
  for (const BatchingRow& r : rows)
    out += fmt::format("{:<20} {:>8} {:>13} {:>12.2f} {:>16.2f}\n", r.config.name(), r.batch, r.notifications,
                       r.per_request(), r.per_notification());
  return out;
}

}  // namespace ring1::experiment
