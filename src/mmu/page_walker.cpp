// The page walker: the TLB's slow path. Two-level 32-bit paging with 4 KiB pages and, under CR4.PSE, 4 MiB
// pages (SDM vol. 3, 4.3); accessed and dirty flags are set in memory as the processor does (4.8); rights
// are the combination of both levels, with rings 0-2 as supervisor and CR0.WP deciding whether supervisor
// writes honour R/W (4.6); violations raise #PF with the architectural error code (4.7).
#include "mmu/mmu.h"
#include "common/arch_bits.h"

namespace ring1 {

namespace {
// A 4 MiB PDE's bits 21:13 are reserved with MAXPHYADDR 32 and no PSE-36 (SDM vol. 3, table 4-4); a
// PTE's bit 7 (PAT) is reserved on a processor without PAT, which ring1's CPUID does not report.
constexpr u32 kLargeReserved = 0x003FE000u;
constexpr u32 kPteReserved = 1u << 7;
}  // namespace

u8 Mmu::fast_perm(u8 rw_us, bool dirty, bool global) const {
  u8 p = 0;
  if (rw_us & pte::User) p |= tlb_perm::UserRead;
  if (dirty) {
    if ((rw_us & pte::Writable) || !wp_) p |= tlb_perm::SupWrite;
    if ((rw_us & pte::Writable) && (rw_us & pte::User)) p |= tlb_perm::UserWrite;
  }
  if (global) p |= tlb_perm::Global;
  return p;
}

// Rights as cached in the TLB entry: a stale entry grants or refuses what it did when filled, exactly as
// hardware does. A write through an entry whose D flag is clear sets D in the mapping entry first.
void Mmu::check_rights(const TlbEntry& ce, u32 lin, Access a, bool user) {
  TlbEntry& e = const_cast<TlbEntry&>(ce);
  const bool write = a == Access::Write;
  const bool ok = (!user || (e.rw_us & pte::User)) && (!write || (e.rw_us & pte::Writable) || (!user && !wp_));
  if (!ok) {
    ++stats_.page_faults;
    raise_page_fault(lin, pf_error::Present | (write ? pf_error::Write : 0) | (user ? pf_error::User : 0));
  }
  if (write && !e.dirty) {
    u32 v = read_phys_slow(e.entry_addr, 4);
    write_phys_slow(e.entry_addr, 4, v | pte::Dirty);
    e.dirty = true;
    e.perm = fast_perm(e.rw_us, true, e.perm & tlb_perm::Global);
    (e.large ? dtlb_large_ : dtlb_small_).publish(e);  // only data writes get here
  }
}

TlbEntry& Mmu::walk(u32 lin, Access a, bool user) {
  const bool write = a == Access::Write;
  const u32 err = (write ? pf_error::Write : 0) | (user ? pf_error::User : 0);
  const u16 step = costs_ ? costs_->events.walk_access : 0;
  ++stats_.walks;
  auto fault = [&](u32 code) {
    ++stats_.page_faults;
    raise_page_fault(lin, code);
  };

  const u32 pde_addr = (cr3_ & ~kPageMask) | ((lin >> 22) << 2);
  u32 pde = read_phys_slow(pde_addr, 4);
  charge(step);
  stats_.walk_cycles += step;
  if (!(pde & pte::Present)) fault(err);

  const bool large = pse_ && (pde & pte::LargePage);
  u32 rw_us, frame, entry_addr, leaf;
  if (large) {
    if (pde & kLargeReserved) fault(err | pf_error::Present | pf_error::Reserved);
    rw_us = pde & (pte::Writable | pte::User);
    frame = pde & 0xFFC00000u;
    entry_addr = pde_addr;
    leaf = pde;
  } else {
    // The PDE is used from here on: a P6 marks it accessed now, a 386/486 only after the checks below.
    if (accessed_on_partial_walk_ && !(pde & pte::Accessed)) write_phys_slow(pde_addr, 4, pde | pte::Accessed);
    const u32 pte_addr = (pde & ~kPageMask) | (((lin >> 12) & 0x3FF) << 2);
    u32 pte = read_phys_slow(pte_addr, 4);
    charge(step);
    stats_.walk_cycles += step;
    if (!(pte & pte::Present)) fault(err);
    if (pte & kPteReserved) fault(err | pf_error::Present | pf_error::Reserved);
    rw_us = pde & pte & (pte::Writable | pte::User);
    frame = pte & ~kPageMask;
    entry_addr = pte_addr;
    leaf = pte;
  }
  const bool ok = (!user || (rw_us & pte::User)) && (!write || (rw_us & pte::Writable) || (!user && !wp_));
  if (!ok) fault(err | pf_error::Present);

  if (!large && !(pde & pte::Accessed) && !accessed_on_partial_walk_) write_phys_slow(pde_addr, 4, pde | pte::Accessed);
  u32 updated = leaf | pte::Accessed | (write ? pte::Dirty : 0);
  if (updated != leaf) write_phys_slow(entry_addr, 4, updated);
  if (large && updated != leaf) pde = updated;

  const bool global = pge_ && (leaf & pte::Global);
  const bool dirty = updated & pte::Dirty;
  TlbArray& arr = a == Access::Execute ? (large ? itlb_large_ : itlb_small_) : (large ? dtlb_large_ : dtlb_small_);
  TlbCounters& ctr = a == Access::Execute ? stats_.itlb : stats_.dtlb;
  if (a == Access::Execute) drop_fetch_latch();  // the fill may evict the latched entry
  auto r = arr.fill(lin, global, keys_, ctr.lookups);
  if (r.evicted_live) {
    ++ctr.evictions;
    (r.evicted_global ? live_g_ : live_ng_) -= 1;
  }
  (global ? live_g_ : live_ng_) += 1;
  ++ctr.fills;
  TlbEntry& e = *r.entry;
  const u32 span = large ? (1u << 22) : kPageSize;
  e.frame = frame;
  e.host = u64(frame) + span <= size_ ? host_ + frame : nullptr;
  e.entry_addr = entry_addr;
  e.rw_us = static_cast<u8>(rw_us);
  e.dirty = dirty;
  e.large = large;
  e.perm = fast_perm(e.rw_us, dirty, global);
  arr.publish(e);
  const u16 refill = costs_ ? costs_->events.tlb_refill : 0;
  charge(refill);
  stats_.walk_cycles += refill;
  return e;
}

Translation Mmu::probe(u32 lin) const {
  if (!paging_) {
    Translation t;
    t.phys = lin;
    t.present = t.user = t.writable = true;
    return t;
  }
  return probe(lin, cr3_);
}

Translation Mmu::probe(u32 lin, u32 cr3) const {
  Translation t;
  auto rd = [&](u32 a) { return read_phys_slow(a, 4); };
  t.pde = rd((cr3 & ~kPageMask) | ((lin >> 22) << 2));
  if (!(t.pde & pte::Present)) return t;
  if (pse_ && (t.pde & pte::LargePage)) {
    t.large = t.present = true;
    t.phys = (t.pde & 0xFFC00000u) | (lin & 0x3FFFFFu);
    t.user = t.pde & pte::User;
    t.writable = t.pde & pte::Writable;
    t.global = t.pde & pte::Global;
    return t;
  }
  t.pte = rd((t.pde & ~kPageMask) | (((lin >> 12) & 0x3FF) << 2));
  if (!(t.pte & pte::Present)) return t;
  t.present = true;
  t.phys = (t.pte & ~kPageMask) | (lin & kPageMask);
  t.user = t.pde & t.pte & pte::User;
  t.writable = t.pde & t.pte & pte::Writable;
  t.global = t.pte & pte::Global;
  return t;
}

}  // namespace ring1
