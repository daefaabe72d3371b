// Comparison of a native and a ring1 outcome, and the mismatch report (see compare.cpp).
#pragma once
#include <string>

#include "difftest.h"

namespace difftest {

// True if the outcomes agree; otherwise `report` holds the full mismatch description.
bool compare(const Sequence& s, const Outcome& native, const Outcome& ring1, std::string& report);
// The sequence's instructions (both encodings and disassembly) and its initial state.
std::string describe(const Sequence& s);

}  // namespace difftest
