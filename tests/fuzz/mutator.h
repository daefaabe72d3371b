// A small, coverage-blind mutation fuzzer's engine, in plain C++ so it builds with the project's compiler and no
// extra package: a seeded PRNG (splitmix64, so a run is reproducible from its seed), byte-level mutations of the
// kind libFuzzer and AFL apply (bit flips, random and "interesting" bytes and words, block copies, inserts,
// deletions, truncation, splices with another corpus entry), and a driver that feeds a target inputs mutated
// from its corpus for a number of iterations or seconds, saving any input the target reports as a failure.
#pragma once
#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/types.h"

namespace ring1::fuzz {

class Rng {
 public:
  explicit Rng(u64 seed) : s_(seed) {}
  u64 next() {
    u64 z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  u32 below(u32 n) { return n ? u32(next() % n) : 0; }

 private:
  u64 s_;
};

// Applies 1..8 random mutations to `data` (which stays at most `max_size` bytes); `other` is a second corpus
// entry for splices (may be empty).
void mutate(std::vector<u8>& data, Rng& rng, std::span<const u8> other, size_t max_size);

// What a target says about one input: empty if all went well, else what went wrong (an exception that
// escaped, a ring1-bug stop, ...).
using Target = std::function<std::string(std::span<const u8>)>;

struct DriverOptions {
  u64 seed = 1;
  u64 iterations = 0;      // 0: no bound (then `seconds` bounds the run, or nothing: until Ctrl-C)
  double seconds = 0;
  size_t max_size = 1 << 20;
  std::string save_dir;    // where failing inputs are written (crash-<iteration>.bin); empty: not saved
};

struct DriverResult {
  u64 executions = 0;
  u64 failures = 0;
  double seconds = 0;
};

// Runs every corpus entry once as it is (the regression inputs), then mutated inputs until the bound.
DriverResult run_driver(const char* name, const std::vector<std::vector<u8>>& corpus, const Target& target,
                        const DriverOptions& o);

}  // namespace ring1::fuzz
