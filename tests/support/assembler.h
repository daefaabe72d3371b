// Test support: assembles Intel-syntax snippets with the host's GNU as (binutils, part of every gcc
// install) so tests read as assembly rather than hex. Results are cached per source text.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/types.h"

namespace ring1::test {

enum class Bits { b16 = 16, b32 = 32, b64 = 64 };

// Assembles `source` (Intel syntax, no prefix) as flat code for `bits`; `origin` is the load address used
// for absolute references. Throws std::runtime_error with the assembler's message on an error.
std::vector<u8> assemble(std::string_view source, Bits bits = Bits::b32, u32 origin = 0x1000);

}  // namespace ring1::test
