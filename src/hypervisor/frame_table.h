// The frame table: who owns every machine frame, what it is used as, and how many references hold it there.
// This one module owns every rule about who may map what, after Xen's xen/arch/x86/mm.c (the non-PAE x86_32
// code of Xen 2.0-3.2; the paper's mechanism, P §3.3.3): a frame has exactly one type at a time (writable,
// L1 page table, L2 page directory, segment-descriptor page); a type is taken only when the type count is zero
// or the type matches; a page-table type is granted only after every entry in the frame validates; and a frame
// in use as a page table can never also be mapped writable, because a writable mapping needs the writable type.
// Guests therefore edit their page tables only through mod_l1_entry / mod_l2_entry, called by the hypercalls.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "hypervisor/hv_types.h"
#include "hypervisor/layout.h"
#include "hypervisor/xen_abi.h"
#include "mmu/mmu.h"
#include "mmu/physical_memory.h"

namespace ring1::hv {

// Xen's PGT_* types that a non-PAE guest can use. None is a free frame's, or one whose last type reference
// has gone and which has never been used since.
enum class FrameType : u8 { None, Writable, L1PageTable, L2PageTable, SegDesc };
const char* frame_type_name(FrameType t);
constexpr bool is_page_table(FrameType t) { return t == FrameType::L1PageTable || t == FrameType::L2PageTable; }

// Owners that are not guests: free frames and the hypervisor's own (Xen's DOMID_INVALID and DOMID_XEN).
inline constexpr DomainId kNoOwner{xen::kDomidInvalid};
inline constexpr DomainId kHypervisorOwner{xen::kDomidXen};

// One frame's bookkeeping (Xen's struct page_info: count_info, type_info and the owner).
struct FrameInfo {
  DomainId owner = kNoOwner;
  FrameType type = FrameType::None;
  bool allocated = false;  // PGC_allocated: the owner's allocation holds one of the references
  bool pinned = false;     // PGT_pinned: the guest holds one type reference by MMUEXT_PIN_*
  bool validated = false;  // PGT_validated: every entry was checked for the current type
  u32 type_count = 0;      // PGT_count: uses in the current type (mappings, pins, base pointers, parent tables)
  u32 ref_count = 0;       // PGC_count: all references (allocation, mappings, type references)
  // Xen's tlbflush_timestamp: the TLB flush clock (Mmu::flush_clock) when the last writable mapping went or
  // the frame was freed; kNotCached if neither ever happened. Kept across free and reuse on purpose.
  static constexpr u64 kNotCached = ~0ull;
  u64 tlbflush_timestamp = kNotCached;
};

// Validation work, for the report: entries checked and tables validated or torn down.
struct FrameTableStats {
  u64 l1_entries_checked = 0;
  u64 l2_entries_checked = 0;
  u64 descriptors_checked = 0;
  u64 l1_validations = 0;
  u64 l2_validations = 0;
  u64 segdesc_validations = 0;
  u64 validation_failures = 0;
  u64 unvalidations = 0;  // page tables whose last type reference went (free_l1_table / free_l2_table)
  u64 type_changes = 0;
  u64 coherence_flushes = 0;  // TLB flushes the coherence rule made (a retype or a reuse of a maybe-cached frame)
  u64 retype_flushes = 0;     //   of which before a writable frame became a page table or descriptor page
  u64 reuse_flushes = 0;      //   of which before a freed frame was handed out again
};

// The TLB side of the coherence rule: the TLB whose flush clock stamps frames, and how to flush it (every
// address space's non-global entries, cause Coherence, charged as the hypervisor charges a flush). Guest
// mappings are never global (kL1DisallowMask), so non-global entries are all a guest frame can be cached in.
struct TlbShootdown {
  const Mmu* tlb = nullptr;
  void (*flush)(void* context) = nullptr;
  void* context = nullptr;
};

// The L2 slots at and above HYPERVISOR_VIRT_START belong to the hypervisor. Whenever a frame becomes a
// validated L2 its slots there are filled from this template (Xen's alloc_l2_table copies idle_pg_table's
// entries); `linear_slot`, if set, gets an entry mapping the directory itself (Xen's LINEAR_PT_VIRT_START).
// The slots are layout.h's kFirstHvL2Slot (1008) onwards, kHvL2Slots (16) of them: 64 MB.
struct HypervisorL2Template {
  std::array<u32, kHvL2Slots> entries{};  // slot 1008 + i gets entries[i]
  int linear_slot = -1;                           // a slot in 1008..1023, or -1 for none
};

class FrameTable {
 public:
  explicit FrameTable(PhysicalMemory& ram);

  u32 nr_frames() const { return static_cast<u32>(frames_.size()); }
  bool valid(Mfn m) const { return m.value < frames_.size(); }
  const FrameInfo& info(Mfn m) const { return frames_.at(m.value); }
  const FrameTableStats& stats() const { return stats_; }
  PhysicalMemory& ram() { return ram_; }

  void set_hypervisor_l2(const HypervisorL2Template& t) { hv_l2_ = t; }

  // ---- ownership (Xen's assign_pages / free_domheap_page / relinquish_memory) ----
  // A free frame becomes `d`'s, holding its allocation reference. False if the frame is not free.
  bool assign(Mfn m, DomainId d);
  // The hypervisor's own frames (its code, the M2P table, ...): owned by DOMID_XEN, never mappable by guests.
  bool assign_to_hypervisor(Mfn m);
  // `d` gives the frame back: its allocation reference goes; the frame is free once no reference remains.
  bool release(Mfn m, DomainId d);
  // Domain teardown (Xen's domain_relinquish_resources): drops every pin, which unvalidates every table and
  // releases what their entries held, then every allocation reference. The vCPUs' base pointers must have
  // been dropped first (put_page_and_type of the base); a type reference still held then is a ring1 bug.
  // Frames that nothing else references are free afterwards.
  void relinquish(DomainId d);

  // ---- references (Xen's get_page / put_page, get_page_type / put_page_type) ----
  // A general reference: the frame must exist, be allocated and belong to `d`.
  bool get_page(Mfn m, DomainId d);
  void put_page(Mfn m);
  // A type reference: granted if the type count is zero (the frame takes the new type, and a page-table or
  // descriptor type is validated entry by entry) or the type matches a validated frame.
  bool get_page_type(Mfn m, FrameType t);
  void put_page_type(Mfn m);
  bool get_page_and_type(Mfn m, DomainId d, FrameType t);
  void put_page_and_type(Mfn m);

  // ---- pinning (MMUEXT_PIN_L?_TABLE / MMUEXT_UNPIN_TABLE) ----
  bool pin(Mfn m, DomainId d, FrameType t);
  bool unpin(Mfn m, DomainId d);

  // ---- entry updates: the only way a guest changes a live page table (Xen's mod_l1_entry / mod_l2_entry).
  // The new entry's references are taken before the old entry's are dropped, so a frame mapped by both never
  // passes through a zero count. False (nothing changed) if the new entry does not validate. The frame must
  // hold a validated table of that level; `d` is the domain whose frames the entry may map.
  bool mod_l1_entry(Mfn table, u32 slot, u32 new_entry, DomainId d);
  bool mod_l2_entry(Mfn table, u32 slot, u32 new_entry, DomainId d);

  u32 read_entry(Mfn table, u32 slot) const;

  // ---- TLB coherence (Xen's tlbflush_timestamp / tlbflush_clock, arch/x86/flushtlb.c and mm.c) ----
  // A frame is stamped with the TLB's flush clock when its last writable mapping goes (put_page_type of the
  // writable type) and when it is freed. It may still be cached exactly while the clock reads its stamp
  // (no flush of every address space since). Then, before it takes a page-table or descriptor type
  // (get_page_type) or is handed out again (assign), the TLB is flushed at once, so the new type or owner
  // never takes effect while a stale entry can reach the frame: whatever the TLB kind (a flush drops every
  // tag) and layout (the clock moves only on flushes the MMU really did). Without a TLB attached nothing
  // is cached and nothing is flushed.
  void attach_tlb(const TlbShootdown& s) { tlb_ = s; }
  bool may_be_cached(Mfn m) const;

  // Counts of frames by owner and the totals of all counts, for tests and the report.
  struct Totals {
    u64 ref_count = 0, type_count = 0, pinned = 0, validated = 0, typed = 0, allocated = 0, owned = 0;
  };
  Totals totals(DomainId d) const;  // only frames owned by d
  Totals totals_all() const;

 private:
  FrameInfo& at(Mfn m) { return frames_[m.value]; }
  void free_frame(Mfn m);

  // Validation of a whole frame for a type (Xen's alloc_page_type) and its undoing (free_page_type).
  bool alloc_page_type(Mfn m, FrameType t);
  void free_page_type(Mfn m, FrameType t);
  bool alloc_l1_table(Mfn m);
  bool alloc_l2_table(Mfn m);
  bool alloc_segdesc_page(Mfn m);
  void free_l1_table(Mfn m);
  void free_l2_table(Mfn m);

  // One entry's references (Xen's get_page_from_l1e / put_page_from_l1e, get/put_page_from_l2e).
  bool get_page_from_l1e(u32 e, DomainId d);
  void put_page_from_l1e(u32 e);
  bool get_page_from_l2e(u32 e, DomainId d);
  void put_page_from_l2e(u32 e, Mfn self);

  void write_entry(Mfn table, u32 slot, u32 value);
  u64 flush_clock() const { return tlb_.tlb ? tlb_.tlb->flush_clock() : 0; }
  void stamp(FrameInfo& f) const { f.tlbflush_timestamp = flush_clock(); }
  // Flushes if the frame may be cached; true if it did.
  bool flush_if_cached(Mfn m);

  PhysicalMemory& ram_;
  std::vector<FrameInfo> frames_;
  HypervisorL2Template hv_l2_;
  FrameTableStats stats_;
  TlbShootdown tlb_;
};

// Bits a guest may not set in a present entry (Xen x86_32 page.h: BASE_DISALLOW_MASK 0xFFFFF180 reduced to
// a non-PAE entry's flag bits). L1: PAT and GLOBAL (a guest global mapping would outlive the CR3 switch into
// another domain). L2: PSE and GLOBAL, so 4 MiB superpages from PV guests are refused, as Xen x86_32 does.
inline constexpr u32 kL1DisallowMask = pte::Pat | pte::Global;
inline constexpr u32 kL2DisallowMask = pte::LargePage | pte::Global;

// Xen's check_descriptor as the 2003 code applies it (H03 xen/arch/i386/mm.c): a not-present descriptor is
// fine; otherwise DPL 0 is refused, the only system descriptor allowed is a 32-bit call gate whose target is
// not a hypervisor selector, and a code or data segment must end at or below HYPERVISOR_VIRT_START.
bool check_descriptor(u32 lo, u32 hi);

}  // namespace ring1::hv
