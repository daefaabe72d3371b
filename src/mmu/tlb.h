// The modelled TLB: it *is* the translation cache (DESIGN.md, src/mmu). Set-associative arrays of
// translations, each entry keeping the host pointer of its frame, so a hit is a few compares and a host
// access and what the model holds is exactly what translation uses (stale entries included).
//
// Flushes cost O(1) whatever the TLB size: an entry's 64-bit key holds the generation it was filled in,
// and a flush moves the current generation on, so older entries stop matching. Non-global and global
// entries have separate generations, so a CR3 write drops only the former (SDM vol. 3, 4.10.4.1). In
// tagged mode the key also carries the address-space tag the entry was filled under and CR3 writes move
// no generation; since the generation is shared by every tag, any flush drops every tag's entries at once,
// while INVLPG drops only the current tag's (Mmu::set_cr0 lists what drops what). Live entries are counted as they are filled and evicted, so a flush knows exactly how
// many it dropped.
#pragma once
#include <cstdint>
#include <vector>

#include "common/internal_error.h"
#include "common/types.h"

namespace ring1 {

// Fast-path permission bits, precomputed at fill time.
namespace tlb_perm {
inline constexpr u8 UserRead = 1u << 0;   // a CPL 3 read is allowed (U/S set at both levels)
inline constexpr u8 SupWrite = 1u << 1;   // a supervisor write needs no walk (writable under CR0.WP, D set)
inline constexpr u8 UserWrite = 1u << 2;  // a CPL 3 write needs no walk (R/W and U/S at both levels, D set)
inline constexpr u8 Global = 1u << 3;
}  // namespace tlb_perm

// What a lookup matches against: a live non-global entry of the current address space has key
// ng_key | vpn; a live global entry g_key | vpn. Generations alone tell live from dead.
struct TlbKeys {
  u64 ng_key = 0, g_key = 0;
  u32 ng_gen = 0, g_gen = 0;
};

struct TlbEntry {
  u64 key = 0;          // generation << 32 | address-space tag << 20 | virtual page number; 0 = empty
  u8* host = nullptr;   // host address of the page's first byte; nullptr if the page is not all RAM
  u32 frame = 0;        // physical address of the page's first byte
  u32 entry_addr = 0;   // physical address of the PTE (PDE for a 4 MiB page) that maps it
  u64 age = 0;          // LRU: the TLB's lookup count at the last use
  u64 filled = 0;       // FIFO: the lookup count at the fill
  u8 perm = 0;          // tlb_perm bits
  u8 rw_us = 0;         // R/W (bit 1) and U/S (bit 2) combined over both levels, as in a PTE
  bool dirty = false;   // the mapping's D bit was set when it was filled (or by a later write)
  bool large = false;   // a 4 MiB page
};

enum class TlbReplacement : u8 { Lru, Fifo };

// A direct-mapped hint per virtual page number: where that page's entry was last found, with copies of what
// a data-access hit needs, in one 32-byte slot. `read_page` and `write_page` are the page's linear address
// when a supervisor read, or a supervisor write, may go straight to host memory (RAM behind the whole page;
// for writes the entry's SupWrite), and kNoPage otherwise, so the fast path is one compare: it compares
// them with the page of the access's last byte, which also sends a page-crossing access to the slow path.
// `host_base` plus a linear address in the page is that byte's host address.
// Invariants: a hint whose `page` is not kNoPage describes its entry as the entry is now (kept on search,
// fill, eviction, drop and dirty update), and exists only while the TLB keys it was published under are
// current: the Mmu drops every hint when its keys change (a flush moves the generation on, a tagged CR3
// write switches the tag), so a hint never needs the generation compare a search makes.
struct TlbHint {
  static constexpr u32 kNoPage = 1;  // never equal to a page-aligned address
  u32 page = kNoPage;                // linear address of the page this hint is for
  u32 read_page = kNoPage;
  u32 write_page = kNoPage;
  u8 perm = 0;  // the entry's tlb_perm bits (CPL 3 accesses test them)
  TlbEntry* entry = nullptr;
  uintptr_t host_base = 0;
};
static_assert(sizeof(TlbHint) == 32, "a hint is one load-friendly slot: keep it at 32 bytes");

struct TlbGeometry {
  u32 sets = 16;
  u32 ways = 4;
  TlbReplacement replacement = TlbReplacement::Lru;
  u32 entries() const { return sets * ways; }
};

// One set-associative array: a TLB has one for 4 KiB pages and one for 4 MiB pages.
class TlbArray {
 public:
  TlbArray(TlbGeometry g, u32 page_shift);

  u32 page_shift() const { return shift_; }
  const TlbGeometry& geometry() const { return geo_; }

  // The hint slots (kHintSlots of them, 32 bytes each), for translated code that indexes them itself.
  static constexpr u32 kHintSlots = 64;
  const TlbHint* hints() const { return hints_; }

  // The slot of the hint for `lin`'s page (it may describe another page, or none). Shift: the page shift
  // when known at compile time, 0 for the array's.
  template <u32 Shift = 0>
  const TlbHint& hint(u32 lin) const {
    if constexpr (Shift >= 5) {
      // The slot's byte offset straight from the address (one shift, one mask): the data fast path's index.
      static_assert(sizeof(TlbHint) == 32);
      const u32 offset = (lin >> (Shift - 5)) & ((kHints - 1) << 5);
      return *reinterpret_cast<const TlbHint*>(reinterpret_cast<const char*>(hints_) + offset);
    } else {
      return hints_[(lin >> shift_) & (kHints - 1)];
    }
  }

  // The hint for this page if it holds a live translation of it, else nullptr (then search). The answer and
  // the LRU update are exactly what searching the set would give; the hint only saves work.
  // No side effects: the caller stamps the entry's age with its TLB's lookup count when it uses it.
  const TlbHint* hit(u32 lin, const TlbKeys& k) const {
    const TlbHint& h = hint(lin);
    if (h.page != (lin & page_mask_)) return nullptr;
    // A hint names an entry that translates its page under the current keys; one that does not would
    // translate through a stale or foreign entry, so the check stays in release builds (a ring1 bug if it
    // fails). The entry's line is loaded anyway by the caller.
    check_invariant(h.entry->key == (k.ng_key | (lin >> shift_)) || h.entry->key == (k.g_key | (lin >> shift_)),
                    "TLB: a hint names an entry for another page or address space");
    return &h;
  }

  // The associative search (through the hint first).
  TlbEntry* find(u32 lin, const TlbKeys& k) {
    if (const TlbHint* h = hit(lin, k)) return h->entry;
    u32 vpn = lin >> shift_;
    return search(vpn, k.ng_key | vpn, k.g_key | vpn);
  }

  // Refreshes the hint of an entry whose fields were just set or changed (after a fill, a dirty update).
  void publish(TlbEntry& e) {
    const u32 vpn = static_cast<u32>(e.key) & 0xFFFFF;
    const u32 page = vpn << shift_;
    TlbHint& h = hints_[vpn & (kHints - 1)];
    published_ |= u64(1) << (vpn & (kHints - 1));
    h.page = page;
    h.read_page = e.host ? page : TlbHint::kNoPage;
    h.write_page = e.host && (e.perm & tlb_perm::SupWrite) ? page : TlbHint::kNoPage;
    h.perm = e.perm;
    h.entry = &e;
    h.host_base = reinterpret_cast<uintptr_t>(e.host) - page;
    if (unhinted_) [[unlikely]] withhold_host(h);
  }
  // Pages (sorted virtual page numbers) whose hints never match a data access (read_page and write_page
  // withheld), so the fast path never hits them and their accesses take the slow path (the debugger's
  // watchpoints). Null: none. Applies to live hints.
  void set_unhinted_pages(const std::vector<u32>* pages);

  // Forgets every hint (the TLB's keys changed: entries published under the old ones may be dead now).
  void drop_hints();

  // Installs a translation in a dead entry or the set's victim; reports whether a live entry (and of
  // which kind) was evicted, for the live counts. `now` is the TLB's lookup count (the entry's age).
  struct FillResult {
    TlbEntry* entry;
    bool evicted_live;
    bool evicted_global;
  };
  FillResult fill(u32 lin, bool global, const TlbKeys& k, u64 now);

  // Drops the current address space's entry for `lin` and any global one. Returns how many were live,
  // split into non-global and global.
  void drop(u32 lin, const TlbKeys& k, u32& dropped_ng, u32& dropped_g);

  bool live(const TlbEntry& e, const TlbKeys& k) const {
    u32 gen = static_cast<u32>(e.key >> 32);
    return e.key != 0 && (gen == k.ng_gen || gen == k.g_gen);
  }
  template <class F>
  void for_each_live(const TlbKeys& k, F&& f) const {
    for (const TlbEntry& e : entries_)
      if (live(e, k)) f(e);
  }
  template <class F>
  void for_each_entry(F&& f) {
    for (TlbEntry& e : entries_) f(e);
  }
  void clear();  // forget everything (the generation counter wrapped)

 private:
  static constexpr u32 kHints = kHintSlots;
  TlbEntry* search(u32 vpn, u64 k1, u64 k2);
  void forget_hint(const TlbEntry& e) {  // the entry is about to change identity: its hint must not outlive it
    TlbHint& h = hints_[(e.key & 0xFFFFF) & (kHints - 1)];
    if (h.entry == &e) h = TlbHint{};
  }

  TlbGeometry geo_;
  u32 shift_;
  u32 set_mask_;
  u32 page_mask_;  // ~(page size - 1)
  std::vector<TlbEntry> entries_;
  TlbHint hints_[kHints];
  // The slots publish() wrote since the last drop_hints(): only those need forgetting, so a CR3 reload
  // costs what the address space used, not every slot.
  u64 published_ = ~u64(0);
  static_assert(kHints <= 64);
  const std::vector<u32>* unhinted_ = nullptr;
  void withhold_host(TlbHint& h) const;
};

}  // namespace ring1
