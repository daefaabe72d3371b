// The stepping loop shared by the emulator runners (ring1, and Unicorn for validating the generator). It
// executes one instruction at a time and, before each one, asks the flags model (flags_model.cpp) about it
// with the state the emulator is in: memory leaving the buffer or an undefined result makes the sequence
// invalid (it is skipped and regenerated), and so does an instruction that tests a flag left undefined
// earlier on the executed path. It tracks which status flags are undefined at the end, so compare.cpp masks
// exactly those. A fault ends the run with the state before the faulting instruction, as the host's SIGFPE.
#include "stepwise.h"

namespace difftest {

Outcome run_stepwise(Engine& eng, const Sequence& s) {
  Outcome o;
  std::vector<u8> code;
  std::vector<u32> offs;
  for (const GenInsn& g : s.insns) {
    offs.push_back(u32(code.size()));
    code.insert(code.end(), g.b32, g.b32 + g.len32);
  }
  const u32 end = Engine::kCode + u32(code.size());
  eng.load(code, s);

  u32 undef = 0;
  for (int steps = 0; steps < 64; ++steps) {
    const u32 eip = eng.eip();
    if (eip == end) break;
    int idx = -1;
    for (size_t i = 0; i < offs.size(); ++i)
      if (Engine::kCode + offs[i] == eip) idx = int(i);
    if (idx < 0) {
      o.fault_vector = 200;
      o.why = "EIP left the sequence";
      break;
    }
    const GenInsn& g = s.insns[size_t(idx)];
    RuntimeEffect e = runtime_effect(g, eng.state(), eng.buffer());
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
    int vec = eng.step(o.why);
    if (vec >= 0) {
      o.fault_index = idx;
      o.fault_vector = vec;
      break;
    }
    if (!e.flags_untouched) undef = (undef & ~(e.modified | e.undefined)) | e.undefined;
    undef |= host_quirk_mask(g);
  }
  o.state = eng.state();
  o.state.gpr[ESP] = 0;
  o.undefined_flags = undef;
  o.buf.assign(eng.buffer(), eng.buffer() + kBufSize);
  return o;
}

}  // namespace difftest
