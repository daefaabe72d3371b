// `ring1 vectors FILE.json[.gz]`: runs per-instruction test vectors in the format of the public
// SingleStepTests real-mode suites (a JSON array of {name, bytes, initial, final[, exception]} states captured
// from hardware) on a bare ring1 CPU, one test at a time, and reports every test whose end state differs.
// This is how ring1 is checked one instruction at a time against real processors.
#pragma once
#include <functional>
#include <string>

#include "cpu/cpu_model.h"
#include "common/types.h"

namespace ring1 {

struct VectorOptions {
  std::string file;       // .json, or gzip-compressed (detected by content, whatever the name)
  u32 flags_mask = 0;     // EFLAGS bits not compared (the instructions' undefined flags)
  CpuModel model = kDefaultCpuModel;
  u64 max_instructions = 100'000;  // per test: a vector that never reaches HLT fails
};

struct VectorSummary {
  u64 passed = 0, failed = 0;
};

// Runs every test in the file; `on_failure` receives one line per failing test (its index, name and the first
// differences). Throws std::runtime_error with a one-line message for a file that cannot be read or is not
// a test-vector array.
VectorSummary run_vectors(const VectorOptions& opts, const std::function<void(const std::string&)>& on_failure);

}  // namespace ring1
