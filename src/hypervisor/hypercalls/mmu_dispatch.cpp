// The three page-table hypercalls (mmu_update, mmuext_op, update_va_mapping) as the guest reaches them:
// arguments from EBX, ECX, EDX, ESI into MmuHypercalls (mmu_hypercalls.h; the rules themselves are in
// mmu_update.cpp, mmuext_op.cpp, update_va_mapping.cpp and the frame table), the handler work charged from
// the cost profile, and the TLB work done before the guest runs again. The list-taking calls are
// preemptible (preemption.h): each piece is charged exactly the requests it did, so a split call costs its
// requests what an unsplit one would, plus the entries its continuations make.
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {

namespace {

// mmu_update and mmuext_op take the same arguments: (list, count, done, foreigndom).
using BatchCall = MmuOutcome (MmuHypercalls::*)(Domain&, GuestMemory&, LinearAddr, u32, LinearAddr, u32);

i32 batch(Hypervisor& hv, const HypercallArgs& a, BatchCall call, u32 nr) {
  const u64 req0 = hv.requests_so_far(), ent0 = hv.entries_checked_so_far();
  const MmuOutcome out =
      (hv.mmu_ops().*call)(hv.domain(), hv.guest(), LinearAddr{a.a1}, a.a2, LinearAddr{a.a3}, a.a4);
  hv.charge_work(req0, ent0);
  const i32 rc = hv.finish_mmu(out);  // the TLB work so far and the done count, as Xen does before it leaves
  if (!out.preempted) return rc;
  // Xen: hypercall_create_continuation(op, "hihi", ureqs + i, (count - i) | MMU_UPDATE_PREEMPTED, pdone,
  // foreigndom).
  return hv.create_continuation(
      Continuation{nr, {out.rest.value, out.remaining | xen::kMmuUpdatePreempted, a.a3, a.a4, 0}, 4});
}

}  // namespace

// mmu_update(reqs, count, done, foreigndom).
i32 do_mmu_update(Hypervisor& hv, const HypercallArgs& a) {
  return batch(hv, a, &MmuHypercalls::mmu_update, xen::hypercall::kMmuUpdate);
}

// mmuext_op(ops, count, done, foreigndom).
i32 do_mmuext_op(Hypervisor& hv, const HypercallArgs& a) {
  return batch(hv, a, &MmuHypercalls::mmuext_op, xen::hypercall::kMmuextOp);
}

// update_va_mapping(va, pte, flags), the non-PAE form.
i32 do_update_va_mapping(Hypervisor& hv, const HypercallArgs& a) {
  const u64 ent0 = hv.entries_checked_so_far();
  const MmuOutcome out = hv.mmu_ops().update_va_mapping(hv.domain(), hv.guest(), LinearAddr{a.a1}, a.a2, a.a3);
  // Its one request is the hypercall itself (hv_entry): only the validation work is charged on top.
  hv.charge_work(hv.requests_so_far(), ent0);
  return hv.finish_mmu(out);
}

}  // namespace ring1::hv
