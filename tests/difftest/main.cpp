// ring1-difftest: differential testing of ring1 against the host CPU. For each sequence number it generates
// a short random instruction sequence (generator.cpp), encodes it for IA-32 and for 64-bit mode with 32-bit
// addressing (encode.cpp), runs it on ring1 (ring1_runner.cpp) and natively (native_runner.cpp), and compares
// registers, defined flags and the data buffer (compare.cpp). This file is only the command line and the loop.
//
//   ring1-difftest [--seed N] [--start N] [--count N | --unbounded] [--families LIST] [--verbose]
//                  [--max-mismatches N] [--self-check] [--against ring1|unicorn|jit]
// --against unicorn checks the tester itself on families ring1 lacks (Unicorn stands in for ring1).
// --against jit runs each sequence on ring1's two tiers (interpreter, translation tier) in lockstep and
// compares their complete states after every translated block, counts and TLB counters included, flat and
// paged (tiers.cpp); no host CPU is involved. With --self-check, the translating machine gets one cycle too
// many and every sequence must be reported.
// Exit status: 0 all sequences agreed (or, with --self-check, the planted bug was caught every time),
// 1 mismatches found, 2 usage or setup error.
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "compare.h"
#include "generator.h"
#include "native_runner.h"
#include "ring1_runner.h"
#include "tiers.h"
#include "unicorn_runner.h"

using namespace difftest;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_sigint(int) { g_interrupted = 1; }

void usage() {
  std::fprintf(stderr,
               "usage: ring1-difftest [--seed N] [--start N] [--count N | --unbounded] [--families LIST]\n"
               "                      [--max-mismatches N] [--verbose] [--self-check] [--against ring1|unicorn|jit]\n"
               "families: %s (or all)\n",
               family_names(kFamAll).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  u64 seed = 1, start = 0, count = 1000;
  bool unbounded = false, verbose = false, self_check = false, use_unicorn = false, use_tiers = false;
  u64 max_mismatches = 10;
  GenConfig cfg;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seed") seed = std::stoull(next(), nullptr, 0);
    else if (a == "--start") start = std::stoull(next(), nullptr, 0);
    else if (a == "--count") count = std::stoull(next(), nullptr, 0);
    else if (a == "--unbounded") unbounded = true;
    else if (a == "--verbose") verbose = true;
    else if (a == "--self-check") self_check = true;
    else if (a == "--against") {
      std::string e = next();
      if (e != "ring1" && e != "unicorn" && e != "jit") {
        usage();
        return 2;
      }
      use_unicorn = e == "unicorn";
      use_tiers = e == "jit";
    }
    else if (a == "--max-mismatches") max_mismatches = std::stoull(next(), nullptr, 0);
    else if (a == "--families") {
      std::string err;
      if (!parse_families(next(), cfg.families, err)) {
        std::fprintf(stderr, "ring1-difftest: %s\n", err.c_str());
        usage();
        return 2;
      }
    } else {
      usage();
      return 2;
    }
  }
  if (use_tiers) {
    const auto t0 = std::chrono::steady_clock::now();
    u64 compared = 0;
    // --unbounded: until interrupted (Ctrl-C ends the process; every difference is printed as found).
    const u64 n = unbounded ? ~u64(0) - start : count;
    const u64 bad = run_tiers(cfg, seed, start, n, self_check ? 1 : max_mismatches, self_check, compared);
    if (bad == ~u64(0)) return 2;
    std::printf("ring1-difftest --against jit: seed %llu, %llu runs compared, %llu differed, %.1f s\n",
                (unsigned long long)seed, (unsigned long long)compared, (unsigned long long)bad,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (self_check) {
      const bool caught = bad == n;
      std::printf("self-check: the planted extra cycle was caught in %llu of %llu sequences: %s\n",
                  (unsigned long long)bad, (unsigned long long)n, caught ? "PASS" : "FAIL");
      return caught ? 0 : 1;
    }
    return bad ? 1 : 0;
  }
  cfg.lahf_sahf = NativeRunner::host_has_lahf_sahf();
  if (!cfg.lahf_sahf) std::printf("note: host lacks LAHF/SAHF in 64-bit mode; not generating them\n");

  std::unique_ptr<NativeRunner> native;
  try {
    native = std::make_unique<NativeRunner>();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ring1-difftest: %s\n", e.what());
    return 2;
  }
  std::unique_ptr<Ring1Runner> ring1;
  std::unique_ptr<UnicornRunner> unicorn;
  if (use_unicorn) unicorn = std::make_unique<UnicornRunner>();
  else ring1 = std::make_unique<Ring1Runner>();
  std::signal(SIGINT, on_sigint);

  if (use_unicorn) std::printf("note: comparing the host against Unicorn, not ring1\n");
  std::printf("ring1-difftest: seed %llu, sequences %llu..%s, families %s%s\n", (unsigned long long)seed,
              (unsigned long long)start, unbounded ? "(unbounded)" : std::to_string(start + count - 1).c_str(),
              family_names(cfg.families).c_str(), self_check ? ", self-check (corrupting ring1's flags)" : "");
  std::fflush(stdout);

  const auto t0 = std::chrono::steady_clock::now();
  auto last = t0;
  u64 done = 0, skipped = 0, gave_up = 0, faults = 0, mismatches = 0, insns = 0;
  for (u64 n = start; unbounded || n < start + count; ++n) {
    if (g_interrupted) break;
    Sequence s;
    Outcome r1;
    bool ok = false;
    for (u32 attempt = 0; attempt < 100; ++attempt) {
      s = generate(cfg, seed, n, attempt);
      std::string err;
      if (!encode_sequence(s, &err)) {
        std::fprintf(stderr, "ring1-difftest: tester error at seed %llu sequence %llu attempt %u: %s\n",
                     (unsigned long long)seed, (unsigned long long)n, attempt, err.c_str());
        return 2;
      }
      r1 = unicorn ? unicorn->run(s) : ring1->run(s);
      if (r1.valid) {
        ok = true;
        break;
      }
      ++skipped;
      if (verbose) std::printf("seq %llu attempt %u skipped: %s\n", (unsigned long long)n, attempt, r1.why.c_str());
    }
    if (!ok) {
      ++gave_up;
      continue;
    }
    Outcome nat = native->run(s);
    ++done;
    insns += r1.path.size();
    if (r1.fault_index >= 0) ++faults;
    if (self_check) {  // plant a bug: flip a flag ring1 defines (or EAX bit 0 if none is defined)
      u32 defined = kStatus & ~r1.undefined_flags;
      if (defined) r1.state.eflags ^= defined & (0u - defined);
      else r1.state.gpr[EAX] ^= 1;
    }
    std::string report;
    if (!compare(s, nat, r1, report)) {
      ++mismatches;
      if (mismatches <= max_mismatches) std::printf("%s\n", report.c_str());
      if (unbounded && !self_check) break;
      if (!self_check && mismatches >= max_mismatches) break;
    } else if (verbose) {
      std::printf("ok\n%s", describe(s).c_str());
    }
    auto now = std::chrono::steady_clock::now();
    if (unbounded && now - last > std::chrono::seconds(5)) {
      last = now;
      double secs = std::chrono::duration<double>(now - t0).count();
      std::printf("progress: %llu sequences (next %llu), %llu mismatches, %.0f seq/s\n", (unsigned long long)done,
                  (unsigned long long)(n + 1), (unsigned long long)mismatches, done / secs);
      std::fflush(stdout);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("ring1-difftest: %llu sequences compared (%llu instructions executed, %llu ended in a fault), "
              "%llu regenerated, %llu given up, %llu mismatches, %.1f s%s\n",
              (unsigned long long)done, (unsigned long long)insns, (unsigned long long)faults,
              (unsigned long long)skipped, (unsigned long long)gave_up, (unsigned long long)mismatches, secs,
              g_interrupted ? " (interrupted)" : "");
  if (self_check) {
    bool caught = done > 0 && mismatches == done;
    std::printf("self-check: planted bug caught in %llu of %llu sequences: %s\n", (unsigned long long)mismatches,
                (unsigned long long)done, caught ? "PASS" : "FAIL");
    return caught ? 0 : 1;
  }
  return mismatches ? 1 : 0;
}
