// Guest MIPS of the interpreter on three loops: ALU-bound, memory-bound (loads, stores, read-modify-write)
// and branchy (calls, returns, conditional branches). Each reports a `MIPS` counter so scripts can read
// `ring1-bench --benchmark_format=json`. The cycle model and decode cache are on, as in every real run.
#include <benchmark/benchmark.h>

#include "support/test_machine.h"

namespace ring1 {
namespace {

// Each loop runs "forever" (ECX starts huge); the benchmark gives it an instruction budget per iteration.
constexpr const char* kAluLoop = R"(
    mov ecx, 0x7fffffff
  top:
    add eax, ebx
    xor edx, eax
    sub ebx, 3
    and esi, edx
    or edi, ecx
    lea eax, [eax + ebx*2 + 1]
    shr edx, 1
    dec ecx
    jnz top
)";

constexpr const char* kMemLoop = R"(
    mov ecx, 0x7fffffff
    mov ebx, 0x100000
    xor edi, edi
  top:
    mov eax, [ebx + edi*4]
    add eax, ecx
    mov [ebx + edi*4 + 4], eax
    mov edx, [ebx + 8]
    add [ebx + 12], edx
    inc edi
    and edi, 1023
    dec ecx
    jnz top
)";

constexpr const char* kBranchLoop = R"(
    mov ecx, 0x7fffffff
  top:
    call fn
    test eax, 1
    jz skip
    add ebx, 1
  skip:
    dec ecx
    jnz top
    hlt
  fn:
    inc eax
    cmp eax, 5
    jb done
    xor edx, eax
  done:
    ret
)";

void run_loop(benchmark::State& state, const char* src) {
  test::TestMachine m;
  m.load_asm(src);
  constexpr u64 kBudget = 20'000'000;
  u64 total = 0;
  for (auto _ : state) {
    u64 before = m.cpu.instret;
    RunLimits lim;
    lim.max_instructions = kBudget;
    StopReason r = m.cpu.run(lim);
    if (r != StopReason::InsnLimit) state.SkipWithError("guest loop stopped early");
    total += m.cpu.instret - before;
  }
  state.counters["MIPS"] = benchmark::Counter(double(total) / 1e6, benchmark::Counter::kIsRate);
  state.counters["modelled_cycles_per_insn"] = double(m.cpu.cycles) / double(m.cpu.instret);
}

void BM_interpreter_alu(benchmark::State& s) { run_loop(s, kAluLoop); }
void BM_interpreter_mem(benchmark::State& s) { run_loop(s, kMemLoop); }
void BM_interpreter_branch(benchmark::State& s) { run_loop(s, kBranchLoop); }

BENCHMARK(BM_interpreter_alu)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_interpreter_mem)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_interpreter_branch)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace ring1

BENCHMARK_MAIN();
