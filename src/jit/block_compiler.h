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

// What translated code shares with the tier. `pending`: set by the call-out trampoline when a handler
// raised; the translated code then returns at once. `current`: the block the code is in (a chain moves it
// on, and the return value counts in it). `may_chain`: whether this entry may chain at all (the run loop's
// say). `dirty`: a handler ran in the current block, so CS, CPL, paging or the fetch latch may have changed.
// `chains`: how many times one block went straight on into another.
struct CallOutState {
  std::exception_ptr pending;
  const Block* current = nullptr;
  bool may_chain = false;
  bool dirty = false;  // a handler ran since the current block began (call_out sets it)
  u64 chains = 0;
};

// A translation's entry points: `code` from the run loop (a TranslatedFn), `chain` from another block's
// translation going straight on (jumped to inside that block's host frame, never called).
struct Translation {
  const void* code = nullptr;
  const void* chain = nullptr;
};

struct CompileStats {
  u64 blocks = 0;
  u64 inline_insns = 0;   // emitted as host instructions
  u64 call_insns = 0;     // calls to the interpreter's handler
  u64 code_bytes = 0;
};

// Compiles `b` for `cpu` into `arena`. Returns the entry points, or null ones if the arena has no room.
Translation compile_block(Cpu& cpu, const Block& b, CodeArena& arena, CallOutState& state, CompileStats& stats);

}  // namespace ring1::jit
