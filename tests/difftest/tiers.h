// Tier against tier: the same random sequences run whole on ring1's interpreter and on its translation tier
// (src/jit), every block compiled on its first run, and the complete machine state compared after each.
#pragma once
#include "generator.h"

namespace difftest {

// Returns the number of sequences whose end states differed (each printed, up to max_reports).
u64 run_tiers(const GenConfig& cfg, u64 seed, u64 start, u64 count, u64 max_reports, u64& compared);

}  // namespace difftest
