// See ring1_runner.h.
#include "oracle/ring1_runner.h"

#include <fmt/format.h>

namespace ring1::oracle {

Ring1Runner::Ring1Runner() : m_(std::make_unique<Tm>()) {}

void Ring1Runner::run(const InitialState& init, const std::vector<u8>& code, const std::vector<u8>& memory,
                      RunResult& res) {
  Tm& m = *m_;
  m.cpu.reset_flat32();
  for (int r = 0; r < 8; ++r) m.cpu.gpr[r] = init.gpr[r];
  m.cpu.eflags = init.eflags;
  size_t off = 0;
  for (const Window& w : kWindows) {
    m.ram.write_bytes(w.base, memory.data() + off, w.size);
    off += w.size;
  }
  static const std::vector<u8> hlt(kCodeSize, 0xF4);
  m.ram.write_bytes(kCodePage, hlt.data(), kCodeSize);
  // Under the translation tier (RING1_ENGINE=jit, tests/oracle/CMakeLists.txt), a JMP to the next byte ends
  // the last block where the code ends, so the stop address lies outside every block of the sequence and
  // each block runs translated (with the stop address inside a block, the run loop steps it instead). The
  // JMP changes nothing but EIP, which is taken back to the code's end below.
  const bool tier = m.translator != nullptr;
  if (tier) {
    std::vector<u8> ended = code;
    ended.insert(ended.end(), {0xE9, 0, 0, 0, 0});
    m.load(ended);
  } else {
    m.load(code);
  }
  StopReason why = m.run(tier ? 65 : 64);

  res.error.clear();
  res.vector = 0;
  for (int r = 0; r < 8; ++r) res.gpr[r] = m.cpu.gpr[r];
  res.eip = m.cpu.eip;
  res.eflags = m.cpu.eflags;
  if (why == StopReason::Breakpoint) {
    res.end = EndKind::End;
    if (tier) res.eip -= 5;
  } else if (why == StopReason::UnhandledFault) {
    res.end = EndKind::Interrupt;
    res.vector = m.cpu.last_fault().vector;
    if (m.cpu.last_fault().eip != m.cpu.eip)
      res.error = fmt::format("fault record EIP {:#x} differs from CPU EIP", m.cpu.last_fault().eip);
  } else {
    res.end = EndKind::Error;
    res.error = fmt::format("stopped: {} {}", stop_reason_name(why), m.cpu.host_error());
  }
  res.memory.resize(memory.size());
  off = 0;
  for (const Window& w : kWindows) {
    m.ram.read_bytes(w.base, res.memory.data() + off, w.size);
    off += w.size;
  }
}

}  // namespace ring1::oracle
