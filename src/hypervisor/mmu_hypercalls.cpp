// What the three page-table hypercalls share: TLB actions, counters, the base pointer, and completing a call
// in Xen's order. The handlers themselves live in hypercalls/, one file each.
#include "hypervisor/mmu_hypercalls.h"

#include <bit>

namespace ring1::hv {

u32 batch_bucket(u32 count) {
  if (count == 0) return 0;
  const u32 b = static_cast<u32>(std::bit_width(count));  // 1 -> 1, 2..3 -> 2, 4..7 -> 3, ...
  return b < kBatchBuckets ? b : kBatchBuckets - 1;
}

bool foreigndom_is_self(const Domain& d, u32 foreigndom) {
  const u32 fd = foreigndom & 0xFFFF, pfd = foreigndom >> 16;
  const bool fd_ok = fd == xen::kDomidSelf || fd == d.id.value;
  const bool pfd_ok = pfd == 0 || pfd - 1 == d.id.value;
  return fd_ok && pfd_ok;
}

i32 MmuHypercalls::new_guest_cr3(Domain& d, Mfn m) {
  // Xen's new_guest_cr3: the new base must be d's and be, or become, a validated L2 (get_page_and_type with
  // the root type); it holds that reference while installed, and the old base's reference goes.
  if (!frames_.get_page_and_type(m, d.id, FrameType::L2PageTable)) return -xen::err::kEINVAL;
  const std::optional<Mfn> old = d.guest_table;
  d.guest_table = m;
  if (old) frames_.put_page_and_type(*old);
  return 0;
}

void MmuHypercalls::drop_base(Domain& d) {
  if (d.guest_table) frames_.put_page_and_type(*d.guest_table);
  d.guest_table.reset();
}

void MmuHypercalls::finish(MmuOutcome& out) {
  // Only what the guest asked for: the frame table's coherence flushes happened already, at the type
  // change itself (FrameTable::attach_tlb), and are counted under their own cause.
  if (out.tlb.flush_all) ++counters_.flush_all_requested;
  if (out.tlb.new_base) ++counters_.new_base_requested;
  counters_.invlpg_requested += out.tlb.invlpg.size();
}

MmuHypercalls::TlbWorkDone MmuHypercalls::complete(const MmuOutcome& out, Mmu& mmu, GuestMemory& mem) {
  TlbWorkDone did;
  const u64 clock = mmu.flush_clock();
  if (out.tlb.new_base) {
    mmu.set_cr3(machine_addr(*out.tlb.new_base).value);
    did.loaded_base = true;
  }
  // A flush asked for anywhere in the batch is due unless the CR3 load just did it (Xen drops DOP_FLUSH_TLB
  // after new_guest_cr3 because its CR3 write flushes; a tagged TLB's does not, so the flush stays).
  if (out.tlb.flush_all && mmu.flush_clock() == clock) {
    mmu.flush(/*include_global=*/false);
    did.flushed = true;
  }
  for (LinearAddr a : out.tlb.invlpg) mmu.invlpg(a.value);
  did.invlpgs = static_cast<u32>(out.tlb.invlpg.size());
  if (out.done_ptr) (void)mem.write(*out.done_ptr, out.done);
  return did;
}

}  // namespace ring1::hv
