// The ring1 runner: one reused ring1 test machine (flat 32-bit, 16 MiB RAM; the buffer at kBufAddr lies
// inside it, so linear addresses match the host's) seen as a stepping Engine. Each step is a Cpu::run()
// limited to one instruction; an exception ends it with StopReason::UnhandledFault and last_fault(), and
// ring1 leaves the state as it was before the faulting instruction. The loop itself is in stepwise.cpp.
#include "ring1_runner.h"

#include "support/test_machine.h"

namespace difftest {

struct Ring1Runner::Impl final : Engine {
  ring1::test::TestMachine m;

  void load(const std::vector<u8>& code, const Sequence& s) override {
    auto& cpu = m.cpu;
    cpu.reset_flat32();
    m.load(code, kCode);
    m.ram.write_bytes(kBufAddr, s.buf.data(), kBufSize);
    for (int r = 0; r < kRegs; ++r) cpu.gpr[r] = s.init.gpr[r];
    cpu.gpr[ring1::ESP] = ring1::test::TestMachine::kStackTop;
    cpu.eflags = (s.init.eflags & kCompared) | ring1::eflags::Reserved1;
  }
  u32 eip() override { return m.cpu.eip; }
  State state() override {
    State st;
    for (int r = 0; r < kRegs; ++r) st.gpr[r] = m.cpu.gpr[r];
    st.eflags = m.cpu.eflags;
    return st;
  }
  const u8* buffer() override { return m.ram.host(kBufAddr); }
  int step(std::string& why) override {
    ring1::RunLimits lim;
    lim.max_instructions = 1;
    lim.stop_at_eip = m.code_end;
    ring1::StopReason r = m.cpu.run(lim);
    if (r == ring1::StopReason::UnhandledFault) return m.cpu.last_fault().vector;
    if (r == ring1::StopReason::InsnLimit || r == ring1::StopReason::Breakpoint) return -1;
    why = "ring1 stopped: " + std::string(ring1::stop_reason_name(r)) + " " + m.cpu.host_error();
    return 200;
  }
};

Ring1Runner::Ring1Runner() : impl_(std::make_unique<Impl>()) {}
Ring1Runner::~Ring1Runner() = default;

Outcome Ring1Runner::run(const Sequence& s) { return run_stepwise(*impl_, s); }

}  // namespace difftest
