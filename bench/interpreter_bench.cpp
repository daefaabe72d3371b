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

// Identity-maps the first 4 MiB with 4 KiB pages and turns paging on, so every access goes through the
// modelled TLB (hits after the first touch: the loops' working sets fit the p3 profile).
void enable_paging(test::TestMachine& m) {
  constexpr u32 kPd = 0x300000, kPt = 0x301000;
  m.poke<u32>(kPd, kPt | 7);
  for (u32 i = 0; i < 1024; ++i) m.poke<u32>(kPt + 4 * i, (i << 12) | 3);
  m.cpu.set_cr3(kPd);
  m.cpu.set_cr0(m.cpu.cr0 | 0x80000000u);
}

void run_loop(benchmark::State& state, const char* src, bool paging = false) {
  test::TestMachine m;
  if (paging) enable_paging(m);
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
void BM_paged_alu(benchmark::State& s) { run_loop(s, kAluLoop, true); }
void BM_paged_mem(benchmark::State& s) { run_loop(s, kMemLoop, true); }
void BM_paged_branch(benchmark::State& s) { run_loop(s, kBranchLoop, true); }

BENCHMARK(BM_interpreter_alu)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_interpreter_mem)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_interpreter_branch)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_paged_alu)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_paged_mem)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_paged_branch)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace ring1

BENCHMARK_MAIN();
