// Guest MIPS of both execution tiers (the interpreter; the translation tier, src/jit) on five loops:
// ALU-bound, memory-bound (loads, stores, read-modify-write), branchy (calls, returns, conditional branches),
// issue 17's seven-instruction loop with a rotate, a store and a load, and a flush-heavy loop (a CR3 reload
// and 16 page touches per 68 instructions, paged only). Each reports a `MIPS` counter so scripts can read
// `ring1-bench --benchmark_format=json`. The cycle model and decode cache are on, as in every real run.
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "jit/translator.h"

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

constexpr const char* kRotLoop = R"(
    mov ecx, 0x7fffffff
    mov ebx, 0x100000
  top:
    add eax, ecx
    xor edx, eax
    rol edx, 3
    mov [ebx], edx
    mov esi, [ebx + 4]
    dec ecx
    jnz top
)";

// CR3 reloaded (an untagged TLB drops every non-global entry), then 16 pages touched, 4 instructions each.
std::string flush_loop() {
  std::string s = "  mov ecx, 0x7fffffff\n  mov esi, 0x200000\ntop:\n  mov eax, cr3\n  mov cr3, eax\n";
  for (int p = 0; p < 16; ++p)
    s += "  mov edx, [esi + " + std::to_string(p * 4096) + "]\n  add ebx, edx\n  xor edi, ebx\n  inc ebp\n";
  return s + "  dec ecx\n  jnz top\n";
}

// Identity-maps the first 4 MiB with 4 KiB pages and turns paging on, so every access goes through the
// modelled TLB (hits after the first touch: the loops' working sets fit the p3 profile).
void enable_paging(test::TestMachine& m) {
  constexpr u32 kPd = 0x300000, kPt = 0x301000;
  m.poke<u32>(kPd, kPt | 7);
  for (u32 i = 0; i < 1024; ++i) m.poke<u32>(kPt + 4 * i, (i << 12) | 3);
  m.cpu.set_cr3(kPd);
  m.cpu.set_cr0(m.cpu.cr0 | 0x80000000u);
}

void run_loop(benchmark::State& state, const std::string& src, bool paging = false, bool jit = false) {
  test::TestMachine m;
  m.translator.reset();  // the tier is chosen here, not by RING1_ENGINE
  if (jit) m.translator = std::make_unique<jit::Translator>(m.cpu);
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

// BM_interpreter_* and BM_paged_* are the interpreter (flat, paged); BM_jit_* and BM_jit_paged_* the
// translation tier on the same loops.
#define RING1_LOOP_BENCHMARKS(NAME, SRC)                                                       \
  void BM_interpreter_##NAME(benchmark::State& s) { run_loop(s, SRC); }                        \
  void BM_paged_##NAME(benchmark::State& s) { run_loop(s, SRC, true); }                        \
  void BM_jit_##NAME(benchmark::State& s) { run_loop(s, SRC, false, true); }                   \
  void BM_jit_paged_##NAME(benchmark::State& s) { run_loop(s, SRC, true, true); }              \
  BENCHMARK(BM_interpreter_##NAME)->Unit(benchmark::kMillisecond)->MinTime(1.0);               \
  BENCHMARK(BM_paged_##NAME)->Unit(benchmark::kMillisecond)->MinTime(1.0);                     \
  BENCHMARK(BM_jit_##NAME)->Unit(benchmark::kMillisecond)->MinTime(1.0);                       \
  BENCHMARK(BM_jit_paged_##NAME)->Unit(benchmark::kMillisecond)->MinTime(1.0);

RING1_LOOP_BENCHMARKS(alu, kAluLoop)
RING1_LOOP_BENCHMARKS(mem, kMemLoop)
RING1_LOOP_BENCHMARKS(branch, kBranchLoop)
RING1_LOOP_BENCHMARKS(rot, kRotLoop)

void BM_paged_flush(benchmark::State& s) { run_loop(s, flush_loop(), true); }
void BM_jit_paged_flush(benchmark::State& s) { run_loop(s, flush_loop(), true, true); }
BENCHMARK(BM_paged_flush)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_jit_paged_flush)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace ring1

BENCHMARK_MAIN();
