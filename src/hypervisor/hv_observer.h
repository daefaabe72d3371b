// What the tracer sees of the hypervisor: plain function pointers with a context, as the CPU's observer
// (cpu/observer.h), called on the hypervisor's own paths (every entry is already a cold path: a gate, a
// VMCALL, an IRET), each behind one null check. The hypervisor knows nothing of who listens.
#pragma once
#include "common/types.h"

namespace ring1::hv {

// A hypercall as it finished: its number, the five argument registers as the guest passed them (EBX, ECX,
// EDX, ESI, EDI; for a call made from a multicall, the entry's first five arguments) and EAX after.
struct HypercallEvent {
  Cycles cycle = 0;  // when the call returned, its handler's work charged
  u32 nr = 0;
  u32 args[5] = {};
  u32 result = 0;
  bool from_multicall = false;  // made by a multicall entry (multicall_index), not by an int 0x82 of its own
  u32 multicall_index = 0;
};

// An exception (or a system call through the hypervisor) bounced to the guest's handler: the frame is on the
// guest kernel stack and the stub's IRET will continue at the handler.
struct BounceEvent {
  Cycles cycle = 0;
  u8 vector = 0;
  bool has_error_code = false;
  u32 error_code = 0;
  u32 cr2 = 0;              // for #PF: what the guest finds in vcpu_info.arch.cr2
  bool via_gp = false;      // INT n the guest may not raise directly, delivered as the system call it was
  u8 from_cpl = 0;
  u16 from_cs = 0;
  u32 from_eip = 0;         // where the guest was (the faulting instruction, or the INT n)
  u16 to_cs = 0, to_ss = 0;
  u32 to_eip = 0, to_esp = 0;  // the handler, and the guest kernel stack below the frame
};

struct HvObserver {
  void (*hypercall)(void* context, const HypercallEvent& e) = nullptr;
  void (*bounce)(void* context, const BounceEvent& e) = nullptr;
  void* context = nullptr;
};

}  // namespace ring1::hv
