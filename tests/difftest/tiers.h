// Tier against tier: the same random sequences run on ring1's interpreter and on its translation tier
// (src/jit), every block compiled on its first run, in lockstep: the complete machine state (counts and TLB
// counters included) is compared after each translated block, flat and with paging.
#pragma once
#include "generator.h"

namespace difftest {

// Returns the number of sequences whose states differed at some boundary (each printed, up to max_reports);
// with self_check, the translating machine is given one cycle too many, and every sequence must differ.
u64 run_tiers(const GenConfig& cfg, u64 seed, u64 start, u64 count, u64 max_reports, bool self_check,
              u64& compared);

}  // namespace difftest
