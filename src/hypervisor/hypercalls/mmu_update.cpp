// HYPERVISOR_mmu_update (xen/arch/x86/mm.c do_mmu_update): a batch of (ptr, val) requests. ptr's low two bits
// choose the command. MMU_NORMAL_PT_UPDATE writes val into the page-table entry at machine address ptr, after
// validating it through the frame table; MMU_MACHPHYS_UPDATE sets the M2P entry of the frame at ptr to val.
// This is the batching interface of the paper (P §3.3.3): a guest building an address space sends thousands
// of updates in one call.
#include "hypervisor/mmu_hypercalls.h"

namespace ring1::hv {

MmuOutcome MmuHypercalls::mmu_update(Domain& d, GuestMemory& mem, LinearAddr reqs, u32 count, LinearAddr done_ptr,
                                     u32 foreigndom) {
  if (!(count & xen::kMmuUpdatePreempted)) ++counters_.mmu_update_calls;  // a continuation is the same call
  return run_batch<xen::MmuUpdate>(d, mem, reqs, count, done_ptr, foreigndom,
                                   [&](const xen::MmuUpdate& r, TlbActions&) { return do_mmu_update_one(d, r); });
}

i32 MmuHypercalls::do_mmu_update_one(Domain& d, const xen::MmuUpdate& req) {
  const u32 cmd = static_cast<u32>(req.ptr & 3);
  ++counters_.mmu_update_by_cmd[cmd];
  // Non-PAE machine addresses are 32 bits; a pointer above 4 GiB names no frame.
  if ((req.ptr >> 32) != 0) return -xen::err::kEINVAL;
  const MachineAddr ptr{static_cast<u32>(req.ptr) & ~3u};
  // A non-PAE entry is 32 bits: Xen 3.x takes the low half of val (l1e_from_intpte with a 32-bit intpte_t).
  const u32 val = static_cast<u32>(req.val);
  const Mfn mfn = ptr.frame();

  switch (cmd) {
    case xen::kMmuNormalPtUpdate: {
      // The frame holding the entry must be the caller's, and must be a page table: Xen 3.x then holds a
      // type reference across the update. A frame of any other type is refused, as the 2003 hypervisor did
      // ("Update to non-pt page"); Xen 3.x instead wrote plain writable frames directly.
      if (!frames_.get_page(mfn, d.id)) return -xen::err::kEINVAL;
      const FrameType type = frames_.info(mfn).type;
      bool ok = false;
      if (is_page_table(type) && frames_.get_page_type(mfn, type)) {
        const u32 slot = ptr.offset() / 4;
        ok = type == FrameType::L1PageTable ? frames_.mod_l1_entry(mfn, slot, val, d.id)
                                            : frames_.mod_l2_entry(mfn, slot, val, d.id);
        frames_.put_page_type(mfn);
      }
      frames_.put_page(mfn);
      return ok ? 0 : -xen::err::kEINVAL;
    }
    case xen::kMmuMachphysUpdate: {
      // The caller may only describe its own frames (P §3.3.3: "updates to [the M2P] are validated").
      if (!frames_.get_page(mfn, d.id)) return -xen::err::kEINVAL;
      m2p_.set(mfn, Pfn{val});
      frames_.put_page(mfn);
      return 0;
    }
    default:
      // MMU_PT_UPDATE_PRESERVE_AD and MMU_PT_UPDATE_NO_TRANSLATE came after Xen 3.x's non-PAE hypervisor.
      return -xen::err::kEINVAL;
  }
}

}  // namespace ring1::hv
