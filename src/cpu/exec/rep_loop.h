// The REP loop shared by the string and port-string instructions (SDM vol. 2, REP/REPE/REPNE): while the
// count (CX or ECX by address size, A) is not zero, the interrupt window, one element, count - 1, and for
// REPE/REPNE the ZF test. Each element commits its registers, so a fault on element k restarts at element
// k. The window: once the run loop's deadline has come (a limit, an interrupt, a code write), the
// instruction yields unretired with EIP on itself, after at least one element so it always progresses.
#pragma once
#include "cpu/cpu.h"

namespace ring1 {

template <class A, class Element, class Done>
inline void rep_loop(Cpu& c, const Insn& i, Element&& element, Done&& done_after_element) {
  const Cycles per_element = c.costs().cost(CostClass::StringIter);
  u32 done = 0;
  for (A count = static_cast<A>(c.gpr[ECX]); count != 0;) {
    if (done != 0 && c.cycles >= c.deadline()) {
      c.yield_unretired(i);
      return;
    }
    element();
    c.set_reg<A>(ECX * 4, --count);
    c.charge(per_element);
    ++done;
    if (done_after_element()) break;
  }
}

}  // namespace ring1
