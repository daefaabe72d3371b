// Interrupt and exception delivery (SDM vol. 3, chapter 6): through the real-mode IVT or the protected-mode
// IDT, with the privilege checks, the stack switch from the TSS, the exception classes that turn a fault
// during delivery into #DF or a triple fault (6.15, table 6-5), and the cycle charges the cost profile sets.
// The run loop calls these on the slow path only: when an instruction raises a CpuFault in Deliver mode, or
// when the interrupt controller has a vector for it at an instruction boundary.
#pragma once
#include "cpu/cpu.h"

namespace ring1 {

// Delivers the exception `f` raised by the instruction at `insn_eip` (whose successor is `next_eip`): faults
// save `insn_eip`, traps and software interrupts `next_eip` (6.5). An exception raised by the delivery itself
// is combined with the one being delivered as table 6-5 says (delivered in turn, or #DF); an exception while
// delivering #DF shuts the processor down: the run stops with StopReason::TripleFault and a message naming
// the chain. Nothing escapes this function.
// Returns true when `f` itself was delivered (a trap then retires its instruction); false when its delivery
// faulted (the instruction restarts, as a fault) or the processor shut down.
bool deliver_exception(Cpu& c, const CpuFault& f, u32 insn_eip, u32 next_eip);

// Delivers external interrupt `vector` at the instruction boundary at c.eip (6.3.2): as for an exception,
// but any error code its delivery raises carries EXT (6.13) and it is never subject to the gate-DPL check.
void deliver_external_interrupt(Cpu& c, u8 vector);

}  // namespace ring1
