// The frame table's rules, each after the function of xen/arch/x86/mm.c (Xen 3.0, non-PAE x86_32) that it
// follows; the comments say which. Everything a guest asks for reaches here as "may domain d take this
// reference?", and a refusal changes nothing: every function either succeeds completely or undoes what it
// did before returning false. A count that would go wrong (a put without a get) is a ring1 bug and throws
// std::logic_error with the frame's state; a guest cannot cause one.
#include "hypervisor/frame_table.h"

#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace ring1::hv {

namespace {

[[noreturn]] void frame_bug(const char* what, Mfn m, const FrameInfo& f) {
  throw std::logic_error(std::string("frame table: ") + what + " (mfn " + std::to_string(m.value) + ", owner " +
                         std::to_string(f.owner.value) + ", type " + frame_type_name(f.type) + ", type_count " +
                         std::to_string(f.type_count) + ", ref_count " + std::to_string(f.ref_count) + ")");
}

constexpr u32 kCountMax = std::numeric_limits<u32>::max();

// Xen's l1e_has_changed / l2e_has_changed: the frame or one of the named flags differs.
constexpr bool entry_changed(u32 old_e, u32 new_e, u32 flags) { return ((old_e ^ new_e) & (pte::FrameMask | flags)) != 0; }

bool is_guest_l2_slot(u32 slot) { return slot < kFirstHvL2Slot; }

}  // namespace

const char* frame_type_name(FrameType t) {
  switch (t) {
    case FrameType::None: return "none";
    case FrameType::Writable: return "writable";
    case FrameType::L1PageTable: return "l1";
    case FrameType::L2PageTable: return "l2";
    case FrameType::SegDesc: return "segdesc";
  }
  return "?";
}

FrameTable::FrameTable(PhysicalMemory& ram) : ram_(ram), frames_(static_cast<size_t>(ram.size() >> kPageShift)) {}

// ---------------------------------------------------------------- ownership

bool FrameTable::assign(Mfn m, DomainId d) {
  if (!valid(m) || d.value >= xen::kDomidFirstReserved) return false;
  FrameInfo& f = at(m);
  if (f.owner != kNoOwner || f.ref_count != 0) return false;
  // Xen's alloc_heap_pages: a frame freed since the last full flush may still be reachable through a stale
  // entry of its old owner; it is not handed out until no TLB can hold one.
  if (flush_if_cached(m)) ++stats_.reuse_flushes;
  const u64 stamp = f.tlbflush_timestamp;
  f = FrameInfo{};
  f.tlbflush_timestamp = stamp;
  f.owner = d;
  f.allocated = true;  // Xen's assign_pages: count_info = PGC_allocated | 1
  f.ref_count = 1;
  return true;
}

bool FrameTable::assign_to_hypervisor(Mfn m) {
  if (!valid(m)) return false;
  FrameInfo& f = at(m);
  if (f.owner != kNoOwner || f.ref_count != 0) return false;
  if (flush_if_cached(m)) ++stats_.reuse_flushes;
  const u64 stamp = f.tlbflush_timestamp;
  f = FrameInfo{};
  f.tlbflush_timestamp = stamp;
  f.owner = kHypervisorOwner;
  f.allocated = true;
  f.ref_count = 1;
  return true;
}

bool FrameTable::release(Mfn m, DomainId d) {
  if (!valid(m)) return false;
  FrameInfo& f = at(m);
  if (f.owner != d || !f.allocated) return false;
  f.allocated = false;  // Xen: test_and_clear_bit(_PGC_allocated) then put_page
  put_page(m);
  return true;
}

void FrameTable::free_frame(Mfn m) {
  FrameInfo& f = at(m);
  if (f.type_count != 0 || f.pinned || f.allocated) frame_bug("freeing a frame still in use", m, f);
  // Xen's free_heap_pages stamps the frame: any mapping it had, read-only ones too, may still be cached.
  f = FrameInfo{};
  stamp(f);
}

bool FrameTable::may_be_cached(Mfn m) const {
  const u64 t = frames_.at(m.value).tlbflush_timestamp;
  return tlb_.tlb && t != FrameInfo::kNotCached && t == flush_clock();
}

bool FrameTable::flush_if_cached(Mfn m) {
  if (!may_be_cached(m)) return false;
  ++stats_.coherence_flushes;
  tlb_.flush(tlb_.context);
  // The flush moved the clock on (Mmu::flush): the frame is no longer cached anywhere.
  return true;
}

void FrameTable::relinquish(DomainId d) {
  // Xen's domain_relinquish_resources / relinquish_memory. Once the vCPUs' base pointers are gone, the pins
  // are the only roots that keep tables validated: L2 slots hold L1 type references, L1 entries hold frames,
  // and no rule lets a table hold a reference that keeps itself or an ancestor typed (ring1 refuses Xen's
  // linear page tables, the one source of such loops in Xen, which therefore tears tables down by force).
  // So dropping every pin unvalidates every table and releases every reference its entries held; then the
  // allocation references go and each frame nothing else holds is free.
  for (u32 i = 0; i < nr_frames(); ++i) {
    const Mfn m{i};
    if (at(m).owner == d && at(m).pinned) {
      at(m).pinned = false;
      put_page_and_type(m);
    }
  }
  for (u32 i = 0; i < nr_frames(); ++i) {
    const Mfn m{i};
    FrameInfo& f = at(m);
    if (f.owner != d) continue;
    if (f.type_count != 0) frame_bug("relinquish with a type reference held (a base pointer not dropped?)", m, f);
    if (f.allocated) release(m, d);
  }
}

// ---------------------------------------------------------------- general references

bool FrameTable::get_page(Mfn m, DomainId d) {
  // Xen's get_page: the frame must be in use (count non-zero) and owned by d; the count must not overflow.
  if (!valid(m)) return false;
  FrameInfo& f = at(m);
  if (f.ref_count == 0 || f.ref_count == kCountMax || f.owner != d) return false;
  ++f.ref_count;
  return true;
}

void FrameTable::put_page(Mfn m) {
  FrameInfo& f = at(m);
  if (f.ref_count == 0) frame_bug("put_page on a frame with no references", m, f);
  if (--f.ref_count == 0) free_frame(m);
}

// ---------------------------------------------------------------- type references

bool FrameTable::get_page_type(Mfn m, FrameType t) {
  // Xen's get_page_type. The caller holds a general reference, so the frame cannot be freed under us.
  FrameInfo& f = at(m);
  if (t == FrameType::None) frame_bug("get_page_type(None)", m, f);
  if (f.type_count == kCountMax) return false;
  if (f.type_count == 0) {
    if (f.type != t) {
      // A type change (Xen's _get_page_type). Into a page-table or descriptor type, the frame must not be
      // writable through a stale TLB entry: if its last writable mapping went (or it was freed) since the
      // last full flush, the TLB is flushed now, before the new type exists.
      if (t != FrameType::Writable && flush_if_cached(m)) ++stats_.retype_flushes;
      f.type = t;
      f.validated = (t == FrameType::Writable);  // only tables and descriptor pages need scanning
      ++stats_.type_changes;
    }
  } else {
    // In use in another type: refused. Same type: the frame must already be validated (single-threaded,
    // so an unvalidated frame with a non-zero count is one being validated right now, e.g. a table that
    // refers to itself; Xen would wait for the other validation, we refuse the recursion).
    if (f.type != t || !f.validated) return false;
  }
  ++f.type_count;
  if (!f.validated) {
    if (!alloc_page_type(m, t)) {
      // Validation failed: drop the new reference; the frame keeps no type (Xen: type_info = 0).
      ++stats_.validation_failures;
      FrameInfo& g = at(m);
      g.type_count = 0;
      g.type = FrameType::None;
      g.validated = false;
      return false;
    }
    at(m).validated = true;
  }
  return true;
}

void FrameTable::put_page_type(Mfn m) {
  // Xen's put_page_type: when the last type reference of a page table goes, the table is unvalidated and
  // the references its entries hold are dropped (free_page_type). The type itself stays recorded, so a
  // later reuse in the same type re-validates; a writable frame records when its last mapping went.
  FrameInfo& f = at(m);
  if (f.type_count == 0) frame_bug("put_page_type on a frame with no type references", m, f);
  if (--f.type_count != 0) return;
  if (is_page_table(f.type) && f.validated) {
    f.validated = false;
    ++stats_.unvalidations;
    free_page_type(m, f.type);
  } else if (f.type == FrameType::Writable) {
    stamp(f);  // Xen: page->tlbflush_timestamp = tlbflush_current_time()
  }
}

bool FrameTable::get_page_and_type(Mfn m, DomainId d, FrameType t) {
  if (!get_page(m, d)) return false;
  if (!get_page_type(m, t)) {
    put_page(m);
    return false;
  }
  return true;
}

void FrameTable::put_page_and_type(Mfn m) {
  put_page_type(m);
  put_page(m);
}

// ---------------------------------------------------------------- pinning

bool FrameTable::pin(Mfn m, DomainId d, FrameType t) {
  // Xen's MMUEXT_PIN_*: take a reference and a validated type reference, then set the pin bit; pinning is not
  // nested, so a second pin of a pinned frame fails (and gives its references back).
  if (!is_page_table(t)) return false;
  if (!get_page_and_type(m, d, t)) return false;
  FrameInfo& f = at(m);
  if (f.pinned) {
    put_page_and_type(m);
    return false;
  }
  f.pinned = true;
  return true;
}

bool FrameTable::unpin(Mfn m, DomainId d) {
  // Xen's MMUEXT_UNPIN_TABLE: the frame must be d's and pinned; the pin's references go. If the table is
  // still in use elsewhere (a base pointer, a parent table) it stays validated through those references.
  if (!get_page(m, d)) return false;
  FrameInfo& f = at(m);
  if (!f.pinned) {
    put_page(m);
    return false;
  }
  f.pinned = false;
  put_page_and_type(m);
  put_page(m);
  return true;
}

// ---------------------------------------------------------------- validating whole frames

bool FrameTable::alloc_page_type(Mfn m, FrameType t) {
  switch (t) {
    case FrameType::L1PageTable: return alloc_l1_table(m);
    case FrameType::L2PageTable: return alloc_l2_table(m);
    case FrameType::SegDesc: return alloc_segdesc_page(m);
    case FrameType::Writable:
    case FrameType::None: break;
  }
  frame_bug("alloc_page_type of a type that needs no validation", m, at(m));
}

void FrameTable::free_page_type(Mfn m, FrameType t) {
  if (t == FrameType::L1PageTable) free_l1_table(m);
  else if (t == FrameType::L2PageTable) free_l2_table(m);
}

bool FrameTable::alloc_l1_table(Mfn m) {
  // Xen's alloc_l1_table: every entry must validate for the table's owner; on the first failure, the
  // references taken for the entries before it are dropped again.
  const DomainId d = at(m).owner;
  for (u32 i = 0; i < kEntriesPerTable; ++i) {
    ++stats_.l1_entries_checked;
    if (!get_page_from_l1e(read_entry(m, i), d)) {
      while (i-- > 0) put_page_from_l1e(read_entry(m, i));
      return false;
    }
  }
  ++stats_.l1_validations;
  return true;
}

bool FrameTable::alloc_l2_table(Mfn m) {
  // Xen's alloc_l2_table: every guest slot must validate; then the hypervisor's slots are filled from the
  // template, so every address space the guest can load carries the hypervisor's top 64 MB.
  const DomainId d = at(m).owner;
  for (u32 i = 0; i < kFirstHvL2Slot; ++i) {
    ++stats_.l2_entries_checked;
    if (!get_page_from_l2e(read_entry(m, i), d)) {
      while (i-- > 0) put_page_from_l2e(read_entry(m, i), m);
      return false;
    }
  }
  for (u32 i = 0; i < kHvL2Slots; ++i) write_entry(m, kFirstHvL2Slot + i, hv_l2_.entries[i]);
  if (hv_l2_.linear_slot >= static_cast<int>(kFirstHvL2Slot) && hv_l2_.linear_slot < static_cast<int>(kEntriesPerTable))
    write_entry(m, static_cast<u32>(hv_l2_.linear_slot),
                machine_addr(m).value | pte::Present | pte::Writable | pte::Accessed | pte::Dirty);
  ++stats_.l2_validations;
  return true;
}

bool FrameTable::alloc_segdesc_page(Mfn m) {
  // Xen's alloc_segdesc_page: all 512 descriptors of the frame must pass check_descriptor.
  const u8* p = ram_.host(machine_addr(m).value);
  for (u32 i = 0; i < kPageSize / 8; ++i) {
    u32 lo, hi;
    std::memcpy(&lo, p + i * 8, 4);
    std::memcpy(&hi, p + i * 8 + 4, 4);
    ++stats_.descriptors_checked;
    if (!check_descriptor(lo, hi)) return false;
  }
  ++stats_.segdesc_validations;
  return true;
}

void FrameTable::free_l1_table(Mfn m) {
  for (u32 i = 0; i < kEntriesPerTable; ++i) put_page_from_l1e(read_entry(m, i));
}

void FrameTable::free_l2_table(Mfn m) {
  for (u32 i = 0; i < kFirstHvL2Slot; ++i) put_page_from_l2e(read_entry(m, i), m);
}

// ---------------------------------------------------------------- one entry's references

bool FrameTable::get_page_from_l1e(u32 e, DomainId d) {
  // Xen's get_page_from_l1e. A not-present entry holds nothing. A present one may not use the disallowed
  // bits, must name a machine frame that exists (ring1 has no I/O memory for guests to map, so Xen's
  // privileged I/O case never applies) and that belongs to d; a writable mapping also needs the writable
  // type, which a page table or descriptor page cannot take.
  if (!pte::present(e)) return true;
  if (e & kL1DisallowMask) return false;
  const Mfn target = pte::frame(e);
  if (!valid(target)) return false;
  return (e & pte::Writable) ? get_page_and_type(target, d, FrameType::Writable) : get_page(target, d);
}

void FrameTable::put_page_from_l1e(u32 e) {
  if (!pte::present(e)) return;
  const Mfn target = pte::frame(e);
  if (!valid(target)) frame_bug("validated L1 entry names no frame", target, FrameInfo{});
  if (e & pte::Writable) put_page_and_type(target);
  else put_page(target);
}

bool FrameTable::get_page_from_l2e(u32 e, DomainId d) {
  // Xen's get_page_from_l2e: a present entry may not use PSE (superpages) or GLOBAL, and must reference a
  // frame of d that is, or can become, a validated L1 table. Xen x86_32 also accepted a read-only entry
  // pointing to an L2 (a guest linear page table); ring1 does not, see README.
  if (!pte::present(e)) return true;
  if (e & kL2DisallowMask) return false;
  return get_page_and_type(pte::frame(e), d, FrameType::L1PageTable);
}

void FrameTable::put_page_from_l2e(u32 e, Mfn self) {
  if (pte::present(e) && pte::frame(e) != self) put_page_and_type(pte::frame(e));
}

// ---------------------------------------------------------------- entry updates

bool FrameTable::mod_l1_entry(Mfn table, u32 slot, u32 new_entry, DomainId d) {
  // Xen's mod_l1_entry.
  if (!valid(table) || slot >= kEntriesPerTable) return false;
  const FrameInfo& t = at(table);
  if (t.type != FrameType::L1PageTable || !t.validated || t.type_count == 0) return false;
  const u32 old_entry = read_entry(table, slot);
  ++stats_.l1_entries_checked;
  if (pte::present(new_entry)) {
    if (new_entry & kL1DisallowMask) return false;
    // Same frame, same presence and writability: the references held already cover it (A/D, U/S changes).
    if (!entry_changed(old_entry, new_entry, pte::Writable | pte::Present)) {
      write_entry(table, slot, new_entry);
      return true;
    }
    if (!get_page_from_l1e(new_entry, d)) return false;
  }
  write_entry(table, slot, new_entry);
  put_page_from_l1e(old_entry);
  return true;
}

bool FrameTable::mod_l2_entry(Mfn table, u32 slot, u32 new_entry, DomainId d) {
  // Xen's mod_l2_entry: the hypervisor's slots are not the guest's to change.
  if (!valid(table) || slot >= kEntriesPerTable) return false;
  if (!is_guest_l2_slot(slot)) return false;
  const FrameInfo& t = at(table);
  if (t.type != FrameType::L2PageTable || !t.validated || t.type_count == 0) return false;
  const u32 old_entry = read_entry(table, slot);
  ++stats_.l2_entries_checked;
  if (pte::present(new_entry)) {
    if (new_entry & kL2DisallowMask) return false;
    if (!entry_changed(old_entry, new_entry, pte::Present)) {
      write_entry(table, slot, new_entry);
      return true;
    }
    if (!get_page_from_l2e(new_entry, d)) return false;
  }
  write_entry(table, slot, new_entry);
  put_page_from_l2e(old_entry, table);
  return true;
}

u32 FrameTable::read_entry(Mfn table, u32 slot) const {
  u32 v;
  std::memcpy(&v, ram_.host(machine_addr(table).value + slot * 4), 4);
  return v;
}

void FrameTable::write_entry(Mfn table, u32 slot, u32 value) {
  ram_.write_bytes(machine_addr(table).value + slot * 4, &value, 4);
}

// ---------------------------------------------------------------- totals

namespace {
void add(FrameTable::Totals& t, const FrameInfo& f) {
  t.ref_count += f.ref_count;
  t.type_count += f.type_count;
  t.pinned += f.pinned;
  t.validated += (f.validated && f.type != FrameType::Writable);
  t.typed += (f.type_count != 0);
  t.allocated += f.allocated;
  t.owned += 1;
}
}  // namespace

FrameTable::Totals FrameTable::totals(DomainId d) const {
  Totals t;
  for (const FrameInfo& f : frames_)
    if (f.owner == d) add(t, f);
  return t;
}

FrameTable::Totals FrameTable::totals_all() const {
  Totals t;
  for (const FrameInfo& f : frames_)
    if (f.owner != kNoOwner) add(t, f);
  return t;
}

// ---------------------------------------------------------------- descriptors

bool check_descriptor(u32 lo, u32 hi) {
  constexpr u32 kPresent = 1u << 15, kSystem = 1u << 12, kGranular = 1u << 23, kBig = 1u << 22;
  if (!(hi & kPresent)) return true;  // a not-present descriptor always faults on use: harmless
  const u32 dpl = (hi >> 13) & 3;
  if (dpl == 0) return false;  // ring 0 is the hypervisor's
  if (!(hi & kSystem)) {
    // System descriptors: only a 32-bit call gate, whose target code selector must not be one of the
    // hypervisor's own (Xen's reserved GDT area from entry 7168 on, except the flat guest code selectors).
    const u32 type = (hi >> 8) & 0xF;
    if (type != 0xC) return false;
    if (hi & 0xE0) return false;  // reserved bits 5-7 of the parameter-count byte
    const u16 sel = static_cast<u16>(lo >> 16);
    const u32 index = sel >> 3;
    constexpr u32 kFirstReservedGdtEntry = 14 * 512;
    const bool guest_flat = (sel & ~3u) == (xen::kFlatRing1Cs & ~3u) || (sel & ~3u) == (xen::kFlatRing3Cs & ~3u);
    if (!(sel & 4) && index >= kFirstReservedGdtEntry && !guest_flat) return false;
    return true;
  }
  // Code and data: the whole segment must lie below the hypervisor.
  const u64 base = (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u);
  u64 limit = (lo & 0xFFFF) | (hi & 0x000F0000u);
  if (hi & kGranular) limit = (limit << 12) | 0xFFF;
  const u32 type = (hi >> 8) & 0xF;
  const bool expand_down = !(type & 0x8) && (type & 0x4);
  const u64 last = expand_down ? base + ((hi & kBig) ? 0xFFFFFFFFull : 0xFFFFull) : base + limit;
  return last < xen::kHypervisorVirtStart;
}

}  // namespace ring1::hv
