// HYPERVISOR_update_va_mapping (xen/arch/x86/mm.c do_update_va_mapping): set the L1 entry that maps one
// virtual address in the current address space, validated like an mmu_update, with an optional flush. It is
// how a guest fixes up a single mapping, e.g. after a page fault (P §4.2: the second of a page fault's two
// entries into Xen).
#include "hypervisor/mmu_hypercalls.h"

namespace ring1::hv {

MmuOutcome MmuHypercalls::update_va_mapping(Domain& d, GuestMemory& mem, LinearAddr va, u32 new_pte, u32 flags) {
  MmuOutcome out;
  ++counters_.update_va_mapping_calls;
  // The hypervisor's 64 MB is not the guest's to map (Xen: __addr_ok(va)).
  if (va.value >= xen::kHypervisorVirtStart) {
    out.rc = -xen::err::kEINVAL;
    finish(out);
    return out;
  }
  // Walk the current base pointer to the L1 table covering va. Xen reads the entry through its linear page
  // table and fails with -EINVAL when the L2 slot is empty; so do we.
  bool ok = false;
  if (d.guest_table) {
    const u32 l2e = frames_.read_entry(*d.guest_table, va.value >> 22);
    if (pte::present(l2e))
      ok = frames_.mod_l1_entry(pte::frame(l2e), (va.value >> 12) & (kEntriesPerTable - 1), new_pte, d.id);
  }
  if (ok) ++counters_.requests_done;
  else ++counters_.requests_failed;
  out.rc = ok ? 0 : -xen::err::kEINVAL;

  // The flush is requested whatever the update's outcome, as Xen's do_update_va_mapping does.
  const u32 type = flags & xen::kUvmfFlushTypeMask;
  if (type == xen::kUvmfTlbFlush || type == xen::kUvmfInvlpg) {
    const u32 target = flags & ~xen::kUvmfFlushTypeMask;  // UVMF_LOCAL, UVMF_ALL or a vCPU bitmap pointer
    bool this_vcpu = true;
    if (target != xen::kUvmfLocal && target != xen::kUvmfAll) {
      u32 vcpumask = 0;
      if (!mem.read(LinearAddr{target}, vcpumask)) out.rc = -xen::err::kEFAULT;
      this_vcpu = (vcpumask & 1) != 0;
    }
    if (this_vcpu) {
      if (type == xen::kUvmfTlbFlush) out.tlb.flush_all = true;
      else out.tlb.invlpg.push_back(va);
    }
  }
  finish(out);
  return out;
}

}  // namespace ring1::hv
