// HYPERVISOR_multicall (xen/include/public/xen.h, struct multicall_entry; Xen's common/multicall.c): a list
// of hypercalls made in one hypervisor entry, each found in the hypercall table like a direct call.
#include <optional>

#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {

// multicall(call_list, nr_calls): each entry's op and six arguments are read, the call made, and its result
// written back into the entry (Xen: do_multicall). An entry that cannot be read or written ends the batch
// with -EFAULT. A multicall inside a multicall, and the iret hypercall (which rewrites the frame the
// multicall itself returns through), are refused for that entry with -EINVAL.
// Preemption (Xen's common/multicall.c): before each entry the multicall checks whether this hypervisor
// entry has done its share; if so, or if the entry's own call was preempted (its continuation's arguments are
// written back into the entry, as Xen copies back the whole entry), it continues itself from that entry:
// multicall(call_list + i, nr_calls - i). Each entry is charged and reported once, when its call completes.
i32 do_multicall(Hypervisor& hv, const HypercallArgs& a) {
  if (hv.in_multicall) return -xen::err::kEINVAL;
  if (!array_access_ok(LinearAddr{a.a1}, a.a2, sizeof(xen::MulticallEntry))) return -xen::err::kEFAULT;
  hv.in_multicall = true;
  i32 rc = 0;
  bool preempted = false;
  u32 i = 0;
  for (; i < a.a2; ++i) {
    if (hv.preemption().check()) {
      preempted = true;
      break;
    }
    const LinearAddr at{a.a1 + i * u32(sizeof(xen::MulticallEntry))};
    xen::MulticallEntry e;
    if (!hv.guest().read(at, e)) {
      rc = -xen::err::kEFAULT;
      break;
    }
    const HypercallHandler h = e.op == xen::hypercall::kIret ? nullptr : hypercall_handler(e.op);
    const i32 r = e.op == xen::hypercall::kMulticall ? -xen::err::kEINVAL
                  : h                                ? h(hv, HypercallArgs{e.args[0], e.args[1], e.args[2], e.args[3], e.args[4]})
                                                     : -xen::err::kENOSYS;
    e.result = static_cast<u32>(r);
    if (const std::optional<Continuation> k = hv.preemption().take_subcall()) {
      for (u32 n = 0; n < k->nargs; ++n) e.args[n] = k->args[n];
      if (!hv.guest().write(at, e)) {
        rc = -xen::err::kEFAULT;
        break;
      }
      preempted = true;
      break;
    }
    hv.count_multicall_entry();  // the entry's own handling; its call charged its work itself
    hv.note_multicall_call(i, e.op, e.args, r);
    hv.preemption().did_work();
    if (!hv.guest().write(at, e)) {
      rc = -xen::err::kEFAULT;
      break;
    }
  }
  hv.in_multicall = false;
  if (preempted)
    return hv.create_continuation(
        Continuation{xen::hypercall::kMulticall, {a.a1 + i * u32(sizeof(xen::MulticallEntry)), a.a2 - i, 0, 0, 0}, 2});
  return rc;
}

}  // namespace ring1::hv
