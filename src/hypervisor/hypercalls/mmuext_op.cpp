// HYPERVISOR_mmuext_op (xen/arch/x86/mm.c do_mmuext_op): a batch of extended MMU commands. Pinning keeps a
// table validated while no address space uses it, so switching back to it costs no re-validation (P §3.3.3);
// NEW_BASEPTR is the guest's CR3 write; the flush commands become TLB actions for the CPU. Commands that need
// machinery ring1 does not have yet (SET_LDT, cache flushes, page clearing/copying, superpages, L3/L4 tables)
// are refused with -EINVAL, which is what a non-PAE Xen 3.x said for levels it lacked and unprivileged callers.
#include "hypervisor/mmu_hypercalls.h"

namespace ring1::hv {

MmuOutcome MmuHypercalls::mmuext_op(Domain& d, GuestMemory& mem, LinearAddr ops, u32 count, LinearAddr done_ptr,
                                    u32 foreigndom) {
  if (!(count & xen::kMmuUpdatePreempted)) ++counters_.mmuext_op_calls;  // a continuation is the same call
  return run_batch<xen::MmuextOp>(d, mem, ops, count, done_ptr, foreigndom,
                                  [&](const xen::MmuextOp& r, TlbActions& tlb) { return do_mmuext_one(d, mem, r, tlb); });
}

i32 MmuHypercalls::do_mmuext_one(Domain& d, GuestMemory& mem, const xen::MmuextOp& op, TlbActions& tlb) {
  ++counters_.mmuext_by_cmd[op.cmd < xen::mmuext::kCount ? op.cmd : xen::mmuext::kCount];
  const Mfn mfn{op.arg1};
  switch (op.cmd) {
    case xen::mmuext::kPinL1Table:
      return frames_.pin(mfn, d.id, FrameType::L1PageTable) ? 0 : -xen::err::kEINVAL;
    case xen::mmuext::kPinL2Table:
      return frames_.pin(mfn, d.id, FrameType::L2PageTable) ? 0 : -xen::err::kEINVAL;
    case xen::mmuext::kUnpinTable:
      return frames_.unpin(mfn, d.id) ? 0 : -xen::err::kEINVAL;
    case xen::mmuext::kNewBaseptr:
      if (const i32 rc = new_guest_cr3(d, mfn); rc != 0) return rc;
      // A flush asked for earlier in the batch stays asked for: complete() skips it only if the CR3 load
      // itself flushed (untagged), which is when Xen clears DOP_FLUSH_TLB here.
      tlb.new_base = mfn;
      return 0;
    case xen::mmuext::kTlbFlushLocal:
    case xen::mmuext::kTlbFlushAll:  // one vCPU: "all" is this one
      tlb.flush_all = true;
      return 0;
    case xen::mmuext::kInvlpgLocal:
    case xen::mmuext::kInvlpgAll:
      tlb.invlpg.push_back(LinearAddr{op.arg1});
      return 0;
    case xen::mmuext::kTlbFlushMulti:
    case xen::mmuext::kInvlpgMulti: {
      // arg2 points to a bitmap of vCPUs; ring1's domains have vCPU 0 only.
      u32 vcpumask;
      if (!mem.read(LinearAddr{op.arg2}, vcpumask)) return -xen::err::kEINVAL;
      if (vcpumask & 1) {
        if (op.cmd == xen::mmuext::kTlbFlushMulti) tlb.flush_all = true;
        else tlb.invlpg.push_back(LinearAddr{op.arg1});
      }
      return 0;
    }
    default:
      return -xen::err::kEINVAL;
  }
}

}  // namespace ring1::hv
