// The ring1 runner: executes a sequence's IA-32 encodings on one reused ring1 test machine (flat 32-bit,
// 16 MiB RAM; the buffer at kBufAddr lies inside it, so linear addresses match the host's). It steps one
// instruction at a time, and before each one asks the flags model (flags_model.cpp) about it with the state
// ring1 is in: memory leaving the buffer or an undefined result makes the sequence invalid (it is skipped
// and regenerated), and an instruction that tests a flag left undefined earlier on the executed path does
// the same. It tracks which status flags are undefined at the end, so compare.cpp masks exactly those.
// A fault ends the run with ring1's state before the faulting instruction, as the host's SIGFPE does.
#include "ring1_runner.h"

#include "support/test_machine.h"

namespace difftest {

struct Ring1Runner::Impl {
  ring1::test::TestMachine m;
};

Ring1Runner::Ring1Runner() : impl_(std::make_unique<Impl>()) {}
Ring1Runner::~Ring1Runner() = default;

Outcome Ring1Runner::run(const Sequence& s) {
  using ring1::test::TestMachine;
  auto& m = impl_->m;
  auto& cpu = m.cpu;
  Outcome o;

  std::vector<ring1::u8> code;
  std::vector<u32> offs;
  for (const GenInsn& g : s.insns) {
    offs.push_back(u32(code.size()));
    code.insert(code.end(), g.b32, g.b32 + g.len32);
  }
  cpu.reset_flat32();
  m.load(code);
  m.ram.write_bytes(kBufAddr, s.buf.data(), kBufSize);
  for (int r = 0; r < kRegs; ++r) cpu.gpr[r] = s.init.gpr[r];
  cpu.gpr[ring1::ESP] = TestMachine::kStackTop;
  cpu.eflags = (s.init.eflags & kCompared) | ring1::eflags::Reserved1;

  auto snapshot = [&] {
    State st;
    for (int r = 0; r < kRegs; ++r) st.gpr[r] = cpu.gpr[r];
    st.gpr[ESP] = 0;
    st.eflags = cpu.eflags;
    return st;
  };

  u32 undef = 0;
  for (int steps = 0; steps < 64; ++steps) {
    if (cpu.eip == m.code_end) break;
    int idx = -1;
    for (size_t i = 0; i < offs.size(); ++i)
      if (TestMachine::kCode + offs[i] == cpu.eip) idx = int(i);
    if (idx < 0) {  // ring1 went somewhere no instruction starts
      o.fault_vector = 200;
      o.why = "ring1 EIP left the sequence";
      break;
    }
    const GenInsn& g = s.insns[size_t(idx)];
    const State pre = snapshot();
    RuntimeEffect e = runtime_effect(g, pre, m.ram.host(kBufAddr));
    if (!e.valid) {
      o.valid = false;
      o.why = e.why;
      return o;
    }
    if (e.tested & undef) {
      o.valid = false;
      o.why = "an instruction tests a flag left undefined";
      return o;
    }
    o.path.push_back(idx);
    ring1::RunLimits lim;
    lim.max_instructions = 1;
    lim.stop_at_eip = m.code_end;
    ring1::StopReason why = cpu.run(lim);
    if (why == ring1::StopReason::UnhandledFault) {
      o.fault_index = idx;
      o.fault_vector = cpu.last_fault().vector;
      break;
    }
    if (why != ring1::StopReason::InsnLimit && why != ring1::StopReason::Breakpoint) {
      o.fault_index = idx;
      o.fault_vector = 200;
      o.why = std::string("ring1 stopped: ") + std::string(ring1::stop_reason_name(why)) + " " + cpu.host_error();
      break;
    }
    if (!e.flags_untouched) undef = (undef & ~(e.modified | e.undefined)) | e.undefined;
    undef |= host_quirk_mask(g);
  }
  o.state = snapshot();
  o.undefined_flags = undef;
  o.buf.resize(kBufSize);
  m.ram.read_bytes(kBufAddr, o.buf.data(), kBufSize);
  return o;
}

}  // namespace difftest
