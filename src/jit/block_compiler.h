// Translates one decoded block into x86-64 host code (Xbyak). The code does exactly what the run loop does
// for the block's instructions, in order: register-only integer instructions are emitted inline, writing the
// same registers and the same lazy-flag record as their handlers; every other instruction is a call to its
// own handler. See docs/speed.md ("The translation tier") for the exactness argument.
#pragma once
#include <exception>

#include "cpu/cpu.h"
#include "jit/code_arena.h"

namespace ring1::jit {

// What translated code returns: how many of the block's instructions it retired. After a guest exception,
// the instruction that raised it is the one at that index, and `pending` holds the exception.
using TranslatedFn = u32 (*)(Cpu* cpu);

// Set by the call-out trampoline when a handler raised; the translated code then returns at once.
struct CallOutState {
  std::exception_ptr pending;
};

struct CompileStats {
  u64 blocks = 0;
  u64 inline_insns = 0;   // emitted as host instructions
  u64 call_insns = 0;     // calls to the interpreter's handler
  u64 code_bytes = 0;
};

// Compiles `b` for `cpu` into `arena`. Returns the entry point, or nullptr if the arena has no room.
const void* compile_block(Cpu& cpu, const Block& b, CodeArena& arena, CallOutState& state, CompileStats& stats);

}  // namespace ring1::jit
