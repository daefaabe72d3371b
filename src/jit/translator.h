// The translation tier (`--engine jit`): attached to a Cpu, it offers the run loop host code for blocks that
// have run often enough, compiling them on first need (block_compiler.h) into one code arena. It changes no
// modelled count: translated code retires instructions, charges cycles, takes faults and stops at deadlines
// exactly where the interpreter does. Detaching (the destructor) hands everything back to the interpreter.
#pragma once
#include "cpu/cpu.h"
#include "jit/block_compiler.h"
#include "jit/code_arena.h"

namespace ring1::jit {

struct TranslatorOptions {
  // A block is compiled on its `hot_after`-th execution in full (1: the first; tests use it to translate
  // everything they run).
  u32 hot_after = 2;
  size_t arena_bytes = size_t(64) << 20;
};

struct TranslatorStats {
  CompileStats compiled;
  u64 entries = 0;        // blocks entered in host code
  u64 arena_resets = 0;   // times the arena filled up and every translation was dropped
};

class Translator {
 public:
  explicit Translator(Cpu& cpu, TranslatorOptions options = {});
  ~Translator();
  Translator(const Translator&) = delete;
  Translator& operator=(const Translator&) = delete;

  const TranslatorStats& stats() const { return stats_; }
  // How many times translated code went from one block straight into the next without the run loop.
  u64 chains() const { return state_.chains; }
  // Drops every translation (the next executions compile afresh).
  void flush() {
    arena_.reset();
    ++stats_.arena_resets;
  }

 private:
  static void run(void* context, Cpu& cpu, const Block*& b, const Insn*& i, bool may_chain);
  Translation translate(const Block& b);

  Cpu& cpu_;
  TranslatorOptions options_;
  CodeArena arena_;
  CallOutState state_;
  TranslatorStats stats_;
};

}  // namespace ring1::jit
