// The modelled TLB: it *is* the translation cache (DESIGN.md, src/mmu). Set-associative arrays of
// translations, each entry keeping the host pointer of its frame, so a hit is a few compares and a host
// access and what the model holds is exactly what translation uses (stale entries included).
//
// Flushes cost O(1) whatever the TLB size: an entry's 64-bit key holds the generation it was filled in,
// and a flush moves the current generation on, so older entries stop matching. Non-global and global
// entries have separate generations, so a CR3 write drops only the former (SDM vol. 3, 4.10.4.1). In
// tagged mode the key also carries the address-space tag the entry was filled under and CR3 writes move
// no generation. Live entries are counted as they are filled and evicted, so a flush knows exactly how
// many it dropped.
#pragma once
#include <vector>

#include "cpu/types.h"

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

// A direct-mapped hint per virtual page number: where that page's entry was last found, with copies of the
// fields a hit needs, so a hit reads one cache line. Invariant: a hint with a non-zero key has the same key,
// host, frame and perm as its entry (kept on search, fill, eviction, drop and dirty update).
struct TlbHint {
  u64 key = 0;
  u8* host = nullptr;
  TlbEntry* entry = nullptr;
  u32 frame = 0;
  u8 perm = 0;
};

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

  // The fast path: the hint for this page if it holds a live translation of it, else nullptr (then find()).
  // The hint's key is the entry's key, so the answer and the LRU update are exactly what searching the set
  // would give; the hint only saves work. Shift: the page shift when known at compile time, 0 for the array's.
  // No side effects: the caller stamps the entry's age with its TLB's lookup count when it uses it.
  template <u32 Shift = 0>
  const TlbHint* hit(u32 lin, const TlbKeys& k) const {
    u32 vpn = lin >> (Shift ? Shift : shift_);
    const TlbHint& h = hints_[vpn & (kHints - 1)];
    if (h.key == (k.ng_key | vpn) || h.key == (k.g_key | vpn)) [[likely]] return &h;
    return nullptr;
  }

  // The associative search (through the hint first).
  TlbEntry* find(u32 lin, const TlbKeys& k) {
    if (const TlbHint* h = hit(lin, k)) return h->entry;
    u32 vpn = lin >> shift_;
    return search(vpn, k.ng_key | vpn, k.g_key | vpn);
  }

  // Refreshes the hint of an entry whose fields were just set or changed (after a fill, a dirty update).
  void publish(TlbEntry& e) {
    TlbHint& h = hints_[(e.key & 0xFFFFF) & (kHints - 1)];
    h = TlbHint{e.key, e.host, &e, e.frame, e.perm};
    if (unhinted_) [[unlikely]] withhold_host(h);
  }
  // Pages (sorted virtual page numbers) whose hints carry no host pointer, so the fast path never hits them
  // and their accesses take the slow path (the debugger's watchpoints). Null: none. Applies to live hints.
  void set_unhinted_pages(const std::vector<u32>* pages);

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
  static constexpr u32 kHints = 64;
  TlbEntry* search(u32 vpn, u64 k1, u64 k2);
  void reset_hints();
  void forget_hint(const TlbEntry& e) {  // the entry is about to change identity: its hint must not outlive it
    TlbHint& h = hints_[(e.key & 0xFFFFF) & (kHints - 1)];
    if (h.entry == &e) h = TlbHint{};
  }

  TlbGeometry geo_;
  u32 shift_;
  u32 set_mask_;
  std::vector<TlbEntry> entries_;
  TlbHint hints_[kHints];
  const std::vector<u32>* unhinted_ = nullptr;
  void withhold_host(TlbHint& h) const;
};

}  // namespace ring1
