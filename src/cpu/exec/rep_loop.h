// The REP loop shared by the string and port-string instructions (SDM vol. 2, REP/REPE/REPNE): while the
// count (CX or ECX by address size, A) is not zero, the interrupt window, one element, count - 1, and for
// REPE/REPNE the ZF test. Each element commits its registers, so a fault on element k restarts at element
// k. The window: once the run loop's deadline has come (a limit, an interrupt, a code write) or the
// instruction limit has no step left for another element, the instruction yields unretired with EIP on
// itself, after at least one element so it always progresses; it resumes exactly where it stopped.
// Each element is a step of the instruction limit (Cpu::steps): the retirement counts the first, the
// others are stall steps, so a REP of n elements is n steps however often it was sliced.
#pragma once
#include <algorithm>

#include "cpu/cpu.h"

namespace ring1 {

template <class A, class Element, class Done>
inline void rep_loop(Cpu& c, const Insn& i, Element&& element, Done&& done_after_element) {
  const Cycles per_element = std::max<Cycles>(1, c.costs().cost(CostClass::StringIter));  // time always passes
  const u64 allowance = c.step_allowance(i);
  u64 done = 0;
  for (A count = static_cast<A>(c.gpr[ECX]); count != 0;) {
    if (done != 0 && (c.cycles >= c.deadline() || done >= allowance)) {
      c.yield_unretired(i);
      return;
    }
    element();
    c.set_reg<A>(ECX * 4, --count);
    c.charge(per_element);
    ++done;
    c.add_stall_step();  // counted as it happens, so a fault on a later element keeps the work done
    if (done_after_element()) break;
  }
  if (done == 0) return;
  c.give_back_stall_step();  // the retirement is the first element's step
  // Fewer steps left than a block holds: the rest of this block may not run, so the stretch ends here and
  // the run loop budgets the next instructions afresh. This is also why the block loop's budget (steps
  // left less instructions retired) never goes below zero: elements never take more than the allowance,
  // and when they leave less than a block, no further instruction of the stretch runs.
  if (allowance - done < DecodeCache::kMaxBlockInsns) c.leave_block();
}

}  // namespace ring1
