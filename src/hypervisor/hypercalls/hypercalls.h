// Hypercall handlers, one function each, found by number (xen/include/public/xen.h, __HYPERVISOR_*).
// Arguments arrive in EBX, ECX, EDX, ESI, EDI; the result goes back in EAX: 0 or a value on success, a
// negative errno (Xen's -EINVAL, -EFAULT, ...) on failure (xen-x86_32.h, "Hypercall interface").
#pragma once
#include <initializer_list>

#include "common/types.h"

namespace ring1::hv {

class Hypervisor;

struct HypercallArgs {
  u32 a1, a2, a3, a4, a5;
};
using HypercallHandler = i32 (*)(Hypervisor&, const HypercallArgs&);

// One row of the hypercall table (hypercalls.def): what the dispatcher calls, what reports and traces print.
struct HypercallInfo {
  const char* name;          // Xen's name, __HYPERVISOR_<name>; null for a number Xen does not define
  HypercallHandler handler;  // null for a number ring1 does not implement (the caller answers -ENOSYS)
  u8 count_arg;              // 1-based argument that is a batch size, 0 for none
  const char* args;          // the argument shape, in Xen's words
};

// Numbers 0 .. kHypercallNumbers - 1 have a row (the largest number in the table, plus one); a larger number
// is unknown and answered -ENOSYS.
inline constexpr u32 kHypercallNumbers = [] {
  u32 n = 0;
  for (u32 nr : {
#define HYPERCALL(k, nr, ...) u32{nr},
#define NOT_MODELLED(k, nr, ...) u32{nr},
#include "hypervisor/hypercalls/hypercalls.def"
#undef HYPERCALL
#undef NOT_MODELLED
       })
    n = nr >= n ? nr + 1 : n;
  return n;
}();

// The row for a number; a row with null name and handler for one outside the table or never allocated.
const HypercallInfo& hypercall_info(u32 nr);

// Null for a number ring1 does not implement (the caller answers -ENOSYS, as Xen does).
inline HypercallHandler hypercall_handler(u32 nr) { return hypercall_info(nr).handler; }

// The handlers, declared from the table; defined by group in hypercalls/*.cpp.
#define HYPERCALL(k, nr, name, handler, ...) i32 handler(Hypervisor&, const HypercallArgs&);
#define NOT_MODELLED(...)
#include "hypervisor/hypercalls/hypercalls.def"
#undef HYPERCALL
#undef NOT_MODELLED

}  // namespace ring1::hv
