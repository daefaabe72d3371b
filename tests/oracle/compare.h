// The comparison: how a run ended (end of code, or vector + EIP), EAX..EDI, ESP, EIP, every byte of the
// memory windows, and EFLAGS restricted to the compared flags that are defined where the run stopped
// (the analysis says which are undefined). Known Unicorn errors are filtered by the exclusion table in
// compare.cpp. A mismatch report carries everything needed to reproduce and read the case: seed, sequence
// number, bytes with Zydis disassembly, the initial state and each differing item as "unicorn vs ring1".
#pragma once
#include <string>
#include <vector>

#include "oracle/analysis.h"

namespace ring1::oracle {

struct Differences {
  std::vector<std::string> lines;
  bool any() const { return !lines.empty(); }
};

Differences compare(const Sequence& seq, const Analysis& a, const RunResult& uc, const RunResult& r1);

// Known ring1 bugs (found by this oracle, to be fixed in src/ by the integrator): a mismatching sequence
// that contains the named case is reported under the bug's name and does not fail the run unless --strict.
// Returns the bug's name, or nullptr. Remove an entry from the table in compare.cpp once it is fixed.
const char* known_ring1_bug(const Sequence& seq);

std::string describe_sequence(const Sequence& seq, const Analysis& a);
std::string describe_result(const char* who, const RunResult& r);

}  // namespace ring1::oracle
