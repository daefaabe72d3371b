// Hypervisor::create_continuation (preemption.h): how a preempted hypercall leaves the guest to make it
// again, after Xen's hypercall_create_continuation for x86_32 (xen/arch/x86/domain.c): outside a multicall
// the guest's EIP steps back over its `int $0x82` (two bytes, CD 82, in the hypercall page's stubs as in
// hand-written calls) and the updated arguments go into EBX, ECX, EDX, ESI, EDI; inside one, they go into
// the multicall's entry, and do_multicall makes the continuation of the multicall itself.
#include "hypervisor/hypervisor.h"

#include "cpu/cpu.h"

namespace ring1::hv {

i32 Hypervisor::create_continuation(const Continuation& k) {
  if (in_multicall) {
    preemption_.defer_subcall(k);
    return static_cast<i32>(k.nr);
  }
  constexpr u32 kIntLength = 2;  // int $0x82
  Frame f = frame();
  f.eip -= kIntLength;
  set_frame(f);
  static constexpr Gpr kArgRegs[5] = {EBX, ECX, EDX, ESI, EDI};
  for (u32 i = 0; i < k.nargs && i < 5; ++i) cpu().gpr[kArgRegs[i]] = k.args[i];
  preemption_.note_continuation(k.nr, f.eip + kIntLength);
  return static_cast<i32>(k.nr);  // Hypervisor::hypercall puts it in EAX: the stub's `mov $nr, %eax` again
}

}  // namespace ring1::hv
