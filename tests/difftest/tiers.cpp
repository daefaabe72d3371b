// ring1-difftest --against jit: each generated sequence (generator.cpp) is loaded into two test machines,
// one interpreting and one with the translation tier compiling every block on its first full run, and the
// two are run in lockstep one translated block at a time: the translating machine stops after each entry
// into host code (a hook wrapped around the tier's; in half the sequences the tier may chain blocks, and the
// boundary is where the chain ends), the interpreting one runs exactly as many steps, and
// everything either tier could leave differently is compared at that boundary: all of EAX..EDI, EIP, the
// whole EFLAGS (undefined flags included: both tiers keep one lazy record), CR0/CR2/CR3, the instruction,
// cycle and step counts, every TLB counter (lookups, misses, fills, evictions of both TLBs, flushes and entries
// dropped by cause, walks and their cycles, page faults), the data buffer, the stack and the page tables
// (accessed and dirty bits); at the end, why each run stopped and the fault record too.
//
// Odd-numbered sequences run with paging on (an identity map of the test machine's 16 MiB), so memory
// accesses go through the modelled TLB; a quarter of those run in ring 3; some find the data buffer's page
// read-only with CR0.WP set, not present, or (in ring 3) supervisor-only (a #PF in the middle of a block), and between blocks both machines may reload CR3 (the next
// block refills the TLB inside translated code). After the generated instructions comes a random tail of
// stack instructions (append_stack_tail). Each sequence runs twice: the second run starts from the first's
// end state with its blocks already translated.
#include "tiers.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "common/arch_bits.h"
#include "compare.h"
#include "support/test_machine.h"

namespace difftest {
namespace {

using ring1::test::TestMachine;

// The identity map of paged runs: a page directory and four page tables at the top of the 16 MiB of RAM,
// out of reach of the generated code's pointers (the data buffer, the stack and the code page).
constexpr u32 kPageDir = 0xF00000, kPageTables = 0xF01000, kMappedTables = 4;
constexpr u32 kPteRw = 0x3;    // present, writable (SDM vol. 3, 4.3, table 4-6)
constexpr u32 kPteUser = 0x4;  // user-accessible
constexpr u64 kBudget = 10'000;

// splitmix64: the per-sequence choices (paging variant, CR3 reloads) follow from seed and sequence number.
struct Rng {
  u64 s;
  u64 next() {
    u64 z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  bool one_in(u32 n) { return next() % n == 0; }
};

enum class BufferPage { Writable, ReadOnly, NotPresent, SupervisorOnly };

struct Tier {
  TestMachine m;
  // In the translating machine, the tier's own hook runs inside this one, which then asks the run to end:
  // the run loop stops right after the block (or the part of it the tier ran).
  ring1::TranslationHook tier_hook;
  u64 entries = 0;

  explicit Tier(bool jit) {
    m.translator.reset();
    if (!jit) return;
    m.translator = std::make_unique<ring1::jit::Translator>(m.cpu, ring1::jit::TranslatorOptions{.hot_after = 1});
    tier_hook = m.cpu.translation;
    m.cpu.translation = {&Tier::run_one_block, this};
  }
  // Half the sequences (2 and 3 of every 4, so flat and paged) let the tier chain from block to block (the
  // boundary is then where the chain ends); the others forbid it (a boundary after every block).
  bool chain = true;
  static void run_one_block(void* self, ring1::Cpu& cpu, const ring1::Block*& b, const ring1::Insn*& i,
                            bool may_chain) {
    auto* t = static_cast<Tier*>(self);
    ++t->entries;
    t->tier_hook.run(t->tier_hook.context, cpu, b, i, may_chain && t->chain);
    cpu.request_stop(ring1::StopReason::Requested);
  }

  // `user`: run at CPL 3 (flat ring-3 segments, every page user-accessible but the buffer's when it is
  // SupervisorOnly), so the tier's user-mode rights checks meet the page walker's.
  void load(const std::vector<u8>& code, const Sequence& s, bool paged, BufferPage buffer_page, bool user) {
    auto& cpu = m.cpu;
    cpu.reset_flat32();
    m.load(code, TestMachine::kCode);
    m.ram.write_bytes(kBufAddr, s.buf.data(), kBufSize);
    for (int r = 0; r < kRegs; ++r) cpu.gpr[r] = s.init.gpr[r];
    cpu.gpr[ring1::ESP] = TestMachine::kStackTop;
    cpu.eflags = (s.init.eflags & kCompared) | ring1::eflags::Reserved1;
    if (!paged) return;
    const u32 rights = kPteRw | (user ? kPteUser : 0);
    for (u32 e = 0; e < 1024; ++e) m.poke<u32>(kPageDir + 4 * e, e < kMappedTables ? kPageTables + e * 4096 + rights : 0);
    for (u32 p = 0; p < kMappedTables * 1024; ++p) m.poke<u32>(kPageTables + 4 * p, (p << 12) | rights);
    const u32 buf_pte = kPageTables + 4 * (kBufAddr >> 12);
    if (buffer_page == BufferPage::ReadOnly) m.poke<u32>(buf_pte, kBufAddr | 0x1 | (user ? kPteUser : 0));
    if (buffer_page == BufferPage::NotPresent) m.poke<u32>(buf_pte, 0);
    if (buffer_page == BufferPage::SupervisorOnly) m.poke<u32>(buf_pte, kBufAddr | kPteRw);
    cpu.set_cr3(kPageDir);
    cpu.set_cr0(cpu.cr0 | ring1::cr0::PG | (buffer_page == BufferPage::ReadOnly ? ring1::cr0::WP : 0));
    if (user) {
      cpu.load_segment_flat(ring1::CS, 0x1B, 3, true, true);
      for (ring1::SegReg r : {ring1::ES, ring1::SS, ring1::DS, ring1::FS, ring1::GS}) cpu.load_segment_flat(r, 0x23, 3, false, true);
      cpu.cpl = 3;
    }
  }

  ring1::StopReason run(u64 steps) {
    ring1::RunLimits lim;
    lim.max_instructions = steps;
    lim.stop_at_eip = m.code_end;
    return m.cpu.run(lim);
  }

  // Everything the two tiers must agree on at an instruction boundary.
  std::string state() const {
    const auto& c = m.cpu;
    const auto& st = m.mmu.stats();
    std::string out = fmt::format("eip {:#x} cpl {} eflags {:#x} cr0 {:#x} cr2 {:#x} cr3 {:#x} instret {} cycles {} steps {}",
                                  c.eip, c.cpl, c.eflags, c.cr0, c.cr2, c.cr3, c.instret, c.cycles, c.steps());
    for (int g = 0; g < 8; ++g) out += fmt::format(" r{}={:#x}", g, c.gpr[g]);
    out += fmt::format("\n    itlb {}/{}/{}/{} dtlb {}/{}/{}/{} walks {} ({} cycles) page faults {} flushes", st.itlb.lookups,
                       st.itlb.misses, st.itlb.fills, st.itlb.evictions, st.dtlb.lookups, st.dtlb.misses,
                       st.dtlb.fills, st.dtlb.evictions, st.walks, st.walk_cycles, st.page_faults);
    for (size_t k = 0; k < st.flushes.size(); ++k) out += fmt::format(" {}/{}", st.flushes[k], st.entries_dropped[k]);
    u64 h = 1469598103934665603ull;  // FNV-1a of the data buffer, the stack page below kStackTop, the tables
    auto hash = [&](u32 from, u32 to) {
      for (u32 a = from; a < to; ++a) h = (h ^ *m.ram.host(a)) * 1099511628211ull;
    };
    hash(kBufAddr, kBufAddr + kBufSize);
    hash(TestMachine::kStackTop - 256, TestMachine::kStackTop);
    hash(kPageDir, kPageTables + kMappedTables * 4096);
    out += fmt::format(" memory {:#018x}", h);
    return out;
  }
  std::string stop(ring1::StopReason r) const {
    std::string out = fmt::format("stop {}", ring1::stop_reason_name(r));
    if (r == ring1::StopReason::UnhandledFault) {
      const auto& f = m.cpu.last_fault();
      out += fmt::format(" fault {} err {:#x} at {:#x}", f.vector, f.error_code, f.eip);
    }
    return out;
  }
};

// One pass of one sequence, block by block. Returns an empty string when both tiers agreed at every boundary
// and at the end, else what differed.
// With self_check, the translating machine is charged one cycle too many at the first boundary: the
// comparison must catch it.
std::string lockstep(Tier& interp, Tier& jit, Rng& rng, bool paged, bool self_check, u64& boundaries,
                     u64& faults) {
  u64 left = kBudget;
  for (;;) {
    const u64 before = jit.m.cpu.steps();
    const ring1::StopReason rj = jit.run(left);
    const u64 ran = jit.m.cpu.steps() - before;
    const bool block_end = rj == ring1::StopReason::Requested;
    // At a block's end the interpreter runs the same steps; at the run's end it runs on to its own stop.
    const ring1::StopReason ri = interp.run(block_end ? ran : left);
    left -= ran;
    ++boundaries;
    if (block_end && ran == 0) return "  the translating machine stopped at a block's end without a step\n";
    if (self_check && left + ran == kBudget) jit.m.cpu.cycles += 1;
    std::string a = interp.state(), b = jit.state();
    if (!block_end) {
      a.append(" ").append(interp.stop(ri));
      b.append(" ").append(jit.stop(rj));
    }
    if (a != b)
      return fmt::format("  after {} steps{}\n  interp: {}\n  jit:    {}\n", kBudget - left,
                         block_end ? " (a translated block's end)" : " (the run's end)", a, b);
    faults += rj == ring1::StopReason::UnhandledFault;
    if (!block_end || left == 0) return {};
    if (paged && rng.one_in(4)) {  // a CR3 reload between blocks: the next one refills the TLB
      interp.m.cpu.set_cr3(interp.m.cpu.cr3);
      jit.m.cpu.set_cr3(jit.m.cpu.cr3);
    }
  }
}

// Stack instructions the host-CPU generator leaves out (their 64-bit forms differ), appended after the
// sequence in tier runs only, so that the tier's PUSH, POP, CALL and RET meet the interpreter's: pushes and
// pops of registers (ESP aside), 16-bit ones, immediates, memory operands in the data buffer (by absolute
// address: a #PF inside a block when the buffer's page is read-only or not present), PUSHFD (which needs
// the lazy flags complete), and a CALL to a RET that returns to a JMP over it.
void append_stack_tail(std::vector<u8>& code, Rng& rng) {
  static constexpr u8 kRegsButEsp[] = {0, 1, 2, 3, 5, 6, 7};
  auto le32 = [&](u32 v) {
    for (int k = 0; k < 4; ++k) code.push_back(u8(v >> (8 * k)));
  };
  const u32 n = u32(rng.next() % 7);
  for (u32 k = 0; k < n; ++k) {
    const u8 r = kRegsButEsp[rng.next() % 7];
    const u32 slot = kBufAddr + 4 * u32(rng.next() % (kBufSize / 4 - 1));
    switch (rng.next() % 9) {
      case 0: code.push_back(0x50 + r); break;                                 // push r32
      case 1: code.push_back(0x58 + r); break;                                 // pop r32
      case 2: code.insert(code.end(), {0x66, u8(0x50 + r)}); break;            // push r16
      case 3: code.insert(code.end(), {0x66, u8(0x58 + r)}); break;            // pop r16
      case 4: code.insert(code.end(), {0x6A, u8(rng.next())}); break;          // push imm8 (sign-extended)
      case 5: code.push_back(0x68), le32(u32(rng.next())); break;              // push imm32
      case 6: code.insert(code.end(), {0xFF, 0x35}), le32(slot); break;        // push dword [slot]
      case 7: code.insert(code.end(), {0x8F, 0x05}), le32(slot); break;        // pop dword [slot]
      default: code.insert(code.end(), {0xE8, 2, 0, 0, 0, 0xEB, 1, 0xC3});     // call to ret; jmp over it
    }
  }
  if (rng.one_in(4)) code.push_back(0x9C);  // pushfd
}

}  // namespace

u64 run_tiers(const GenConfig& cfg, u64 seed, u64 start, u64 count, u64 max_reports, bool self_check,
              u64& compared) {
  Tier interp(false), jit(true);
  u64 mismatches = 0, boundaries = 0, paged_runs = 0, user_runs = 0, faults = 0;
  compared = 0;
  for (u64 n = start; n < start + count; ++n) {
    Sequence s = generate(cfg, seed, n, 0);
    std::string err;
    if (!encode_sequence(s, &err)) {
      std::fprintf(stderr, "ring1-difftest: tester error at sequence %llu: %s\n", (unsigned long long)n, err.c_str());
      return ~u64(0);
    }
    Rng rng{seed * 0x100000001B3ull ^ n};
    std::vector<u8> code;
    for (const GenInsn& g : s.insns) code.insert(code.end(), g.b32, g.b32 + g.len32);
    append_stack_tail(code, rng);
    // A JMP to the next byte ends the last block where the code ends, so the stop address lies outside it
    // and the whole block runs translated (with the stop address inside, the run loop steps it instead).
    code.insert(code.end(), {0xE9, 0, 0, 0, 0});
    const bool paged = n % 2 == 1;
    const bool user = paged && rng.one_in(4);
    const u64 pick = rng.next() % 8;
    const BufferPage page = !paged || pick > 2 ? BufferPage::Writable
                            : pick == 0        ? BufferPage::ReadOnly
                            : pick == 1        ? BufferPage::NotPresent
                                               : (user ? BufferPage::SupervisorOnly : BufferPage::Writable);
    paged_runs += paged;
    user_runs += user;
    interp.load(code, s, paged, page, user);
    jit.load(code, s, paged, page, user);
    jit.chain = n / 2 % 2 == 1;
    for (int pass = 0; pass < 2; ++pass) {
      const std::string diff = lockstep(interp, jit, rng, paged, self_check, boundaries, faults);
      ++compared;
      if (!diff.empty()) {
        if (++mismatches <= max_reports)
          std::printf("TIERS DIFFER at sequence %llu pass %d (%s%s)\n%s%s\n", (unsigned long long)n, pass,
                      !paged                           ? "flat"
                      : page == BufferPage::Writable   ? "paged"
                      : page == BufferPage::ReadOnly   ? "paged, buffer read-only"
                      : page == BufferPage::NotPresent ? "paged, buffer not present"
                                                       : "paged, buffer supervisor-only",
                      user ? ", ring 3" : "", diff.c_str(), describe(s).c_str());
        break;
      }
      interp.m.cpu.eip = TestMachine::kCode;
      jit.m.cpu.eip = TestMachine::kCode;
    }
  }
  const auto& st = jit.m.translator->stats();
  std::printf("translation tier: %llu blocks compiled (%llu instructions inline, %llu handler calls), %llu entered; "
              "%llu boundaries compared, %llu of %llu sequences paged (%llu of them in ring 3), %llu runs ended by "
              "a fault\n",
              (unsigned long long)st.compiled.blocks, (unsigned long long)st.compiled.inline_insns,
              (unsigned long long)st.compiled.call_insns, (unsigned long long)jit.entries,
              (unsigned long long)boundaries, (unsigned long long)paged_runs, (unsigned long long)count,
              (unsigned long long)user_runs, (unsigned long long)faults);
  return mismatches;
}

}  // namespace difftest
