// The experiment's I/O row "requests per notification" (docs/block.md): what batching on a shared ring saves.
// The disk example (examples/disk) reads 32 one-page requests through the kit's block front end pushed 1, 8
// and 32 at a time, each push one notification of the back end; its measurement-port regions "blk batch 1",
// "blk batch 8" and "blk batch 32" hold the exact modelled cost of each batch. This runs it under the
// hypervisor on a fresh scratch disk image in each paravirtual configuration of the experiment and turns
// the regions into cycles per request and per notification: the CSV io-batching.csv and a small table.
#pragma once
#include <string>
#include <vector>

#include "experiment/experiment.h"

namespace ring1::experiment {

struct BatchingRow {
  Config config;
  u32 batch = 0;            // requests per notification
  u64 notifications = 0;    // the region's samples: one push (and one notification) each
  u64 requests = 0;
  u64 cycles = 0;           // the region's total
  u64 instructions = 0;
  u64 hv_entries = 0;
  double per_request() const { return requests ? double(cycles) / double(requests) : 0.0; }
  double per_notification() const { return notifications ? double(cycles) / double(notifications) : 0.0; }
};

inline constexpr u32 kBatchingDiskSectors = 1024;  // the scratch image: 512 KiB

// Runs `disk_image` (the disk example) with `--disk` on a fresh scratch image under s.work_dir/io-batching in
// every configuration of `configs` that is paravirtual (native ones have no block device): one row per
// (configuration, batch size). False with a one-line `error` if a run failed or lacked the regions.
bool run_batching(const RunSettings& s, const std::string& disk_image, const std::vector<Config>& configs,
                  std::vector<BatchingRow>& rows, std::string& error);

std::string batching_csv(const std::vector<BatchingRow>& rows);
std::string batching_table(const std::vector<BatchingRow>& rows);

}  // namespace ring1::experiment
