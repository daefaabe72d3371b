// `ring1 vectors FILE`: SingleStepTests' per-instruction vectors run against the interpreter (vectors/).
#pragma once
#include <string>

#include "vectors/vector_runner.h"

namespace ring1 {

// One line per failing test, then the counts. `mask_text`: --flags-mask in hexadecimal, or empty. Exit status
// 0 when every test passed, 1 when any failed, 2 for a file that cannot be read or parsed.
int vectors_command(const VectorOptions& o, const std::string& mask_text);

}  // namespace ring1
