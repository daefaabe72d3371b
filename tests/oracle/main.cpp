// ring1-oracle: differential tests of ring1 against Unicorn for the instructions that exist only in
// 32-bit mode (the host CPU, which the other differential tester uses, cannot run them).
//
// Two batches run: the 32-bit-only families selected by --families (any disagreement fails the run), and a
// smaller batch of the selected shared families (plain ALU, shifts), where a disagreement is printed but
// does not fail, since the host-CPU tester is the authority for those. Sequence i of a batch is generated
// from (seed, batch, i) alone, so "--seed S --start i --count 1 --verbose" replays one case.
// --self-check injects a difference into ring1's result of every sequence and fails unless the comparison
// reports each one: it proves the oracle can see a wrong register, flag, memory byte or EIP.
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "oracle/analysis.h"
#include "oracle/compare.h"
#include "oracle/generator.h"
#include "oracle/ring1_runner.h"
#include "oracle/unicorn_runner.h"

using namespace ring1::oracle;

namespace {

struct Options {
  ring1::u64 seed = 1;
  ring1::u32 count = 20000;
  long shared_count = -1;  // default: count / 10
  ring1::u32 start = 0;
  ring1::u32 max_len = 8;
  ring1::u32 max_reports = 10;
  std::string families = "default";
  bool verbose = false;
  bool self_check = false;
  bool strict = false;  // known ring1 bugs fail the run too
};

void usage() {
  std::string names;
  for (const auto& f : all_families())
    names += fmt::format(" {}{}{}", f.name, f.shared ? "(shared)" : "", f.in_default ? "" : "*");
  fmt::print(stderr,
             "usage: ring1-oracle [--seed N] [--count N] [--shared-count N] [--start N] [--max-len N]\n"
             "                    [--families LIST|default|all] [--max-reports N] [--verbose] [--self-check]\n"
             "                    [--strict]   (known ring1 bugs fail too)\n"
             "families:{}\n  (* = not in 'default': ring1 gains it when the other branches merge)\n",
             names);
}

struct Stats {
  ring1::u64 run = 0, mismatches = 0, known_bug = 0, discarded = 0, undefined_tests = 0, interrupts = 0, caught = 0;
};

// Runs one batch; returns its statistics. `shared` batches only report.
Stats run_batch(const Options& o, const std::vector<Family>& fams, bool shared, UnicornRunner& uc,
                Ring1Runner& r1) {
  Stats st;
  if (fams.empty()) return st;
  ring1::u32 count = shared ? ring1::u32(o.shared_count < 0 ? o.count / 10 : o.shared_count) : o.count;
  ring1::u32 reports = 0;
  RunResult ur, rr;  // reused: their memory buffers are large
  std::vector<ring1::u8> mem, code;
  for (ring1::u32 i = o.start; i < o.start + count; ++i) {
    Rng rng(o.seed * 0x9E3779B97F4A7C15ull + i * 0x100000001B3ull + (shared ? 0x5bd1e995u : 0));
    Sequence seq;
    Analysis a;
    bool ok = false;
    for (int attempt = 0; attempt < 200 && !ok; ++attempt) {
      seq = generate(rng, fams, o.max_len);
      seq.shared = shared;
      a = analyze(seq);
      if (!a.valid) {
        if (a.reason.rfind("Zydis", 0) == 0) throw std::logic_error(a.reason);  // a generator bug
        ++st.undefined_tests;
        continue;
      }
      initial_memory(seq.init, mem);
      code = seq.code();
      uc.run(seq.init, code, mem, ur);
      if (UnicornRunner::is_discard(ur)) {
        ++st.discarded;
        continue;
      }
      ok = true;
    }
    if (!ok) throw std::runtime_error(fmt::format("sequence {}: no usable sequence in 200 attempts", i));
    r1.run(seq.init, code, mem, rr);
    ++st.run;
    if (ur.end == EndKind::Interrupt) ++st.interrupts;

    if (o.self_check) {
      // Inject one difference into ring1's result, rotating through the kinds of state compared.
      ring1::u32 mask = kComparedFlags & ~a.undefined_at(ur.eip, Tm::kCode);
      switch (i % 4) {
        case 0: rr.gpr[i % 8] ^= 1u << (i % 32); break;
        case 1:
          if (mask) rr.eflags ^= mask & (0u - mask);  // the lowest defined flag
          else rr.gpr[0] ^= 1;
          break;
        case 2: rr.memory[(i * 7919u) % rr.memory.size()] ^= 0x10; break;
        default: rr.eip += 1; break;
      }
    }
    Differences d = compare(seq, a, ur, rr);
    if (o.self_check) {
      if (d.any()) ++st.caught;
      else fmt::print("SELF-CHECK MISSED an injected difference: seed {} sequence {}\n{}", o.seed, i,
                      describe_sequence(seq, a));
      continue;
    }
    if (o.verbose) {
      fmt::print("sequence {}{}\n{}{}{}", i, d.any() ? " (MISMATCH)" : "", describe_sequence(seq, a),
                 describe_result("unicorn", ur), describe_result("ring1", rr));
    }
    if (!d.any()) continue;
    const char* bug = o.strict ? nullptr : known_ring1_bug(seq);
    ++(bug ? st.known_bug : st.mismatches);
    if (reports++ >= o.max_reports) continue;
    std::string what = shared ? "REPORT" : bug ? fmt::format("KNOWN RING1 BUG {}:", bug) : "MISMATCH";
    fmt::print("{} seed {} sequence {} ({} batch; replay: --seed {} --start {} --count 1 --families {})\n",
               what, o.seed, i, shared ? "shared" : "32-bit-only", o.seed, i,
               o.families);
    if (shared)
      fmt::print("  unicorn disagrees with ring1 on a shared instruction; the host-CPU tester is the authority\n");
    fmt::print("{}{}{}", describe_sequence(seq, a), describe_result("unicorn", ur), describe_result("ring1", rr));
    for (const auto& l : d.lines) fmt::print("  diff {}\n", l);
    fmt::print("\n");
  }
  return st;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    for (int k = 1; k < argc; ++k) {
      std::string a = argv[k];
      auto val = [&]() -> std::string {
        if (k + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++k];
      };
      if (a == "--seed") o.seed = std::stoull(val(), nullptr, 0);
      else if (a == "--count") o.count = ring1::u32(std::stoul(val(), nullptr, 0));
      else if (a == "--shared-count") o.shared_count = std::stol(val(), nullptr, 0);
      else if (a == "--start") o.start = ring1::u32(std::stoul(val(), nullptr, 0));
      else if (a == "--max-len") o.max_len = std::max(1ul, std::stoul(val(), nullptr, 0));
      else if (a == "--max-reports") o.max_reports = ring1::u32(std::stoul(val(), nullptr, 0));
      else if (a == "--families") o.families = val();
      else if (a == "--verbose") o.verbose = true;
      else if (a == "--self-check") o.self_check = true;
      else if (a == "--strict") o.strict = true;
      else if (a == "--help" || a == "-h") return usage(), 0;
      else throw std::invalid_argument("unknown option " + a);
    }
    std::vector<Family> only32, shared;
    for (Family f : parse_families(o.families)) {
      bool is_shared = false;
      for (const auto& i : all_families())
        if (i.f == f) is_shared = i.shared;
      (is_shared ? shared : only32).push_back(f);
    }
    UnicornRunner uc;
    Ring1Runner r1;
    Stats a = run_batch(o, only32, false, uc, r1);
    Stats b = run_batch(o, shared, true, uc, r1);
    fmt::print("32-bit-only: {} sequences, {} mismatches, {} mismatches from known ring1 bugs (not failures "
               "without --strict), {} ended in an exception/trap ({} discarded: unmapped/code-page access, "
               "{} regenerated: tested an undefined flag)\n",
               a.run, a.mismatches, a.known_bug, a.interrupts, a.discarded, a.undefined_tests);
    fmt::print("shared:      {} sequences, {} disagreements reported (not failures), {} discarded, "
               "{} regenerated\n",
               b.run, b.mismatches, b.discarded, b.undefined_tests);
    if (o.self_check) {
      ring1::u64 total = a.run + b.run, caught = a.caught + b.caught;
      fmt::print("self-check: {} of {} injected differences caught\n", caught, total);
      return caught == total && total > 0 ? 0 : 1;
    }
    return a.mismatches == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ring1-oracle: {}\n", e.what());
    usage();
    return 2;
  }
}
