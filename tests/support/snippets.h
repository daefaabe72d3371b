// Test support: guest snippets that several test files run.
#pragma once
#include <string>
#include <string_view>

namespace ring1::test {

// Self-modifying code: a loop calls f (`mov eax, 1; ret`) three times, summing EAX into EBX, and after each
// call runs `patch`, an instruction on `byte ptr [f + 1]` (the low byte of f's immediate). Decoded code must
// see every patch: EBX tells which values f returned.
inline std::string rewriting_loop(std::string_view patch) {
  return std::string(R"(
      xor ebx, ebx
      mov ecx, 3
    l:
      call f
      add ebx, eax
      )") + std::string(patch) + R"(
      loop l
      jmp done
    f:
      mov eax, 1
      ret
    done:
  )";
}

}  // namespace ring1::test
