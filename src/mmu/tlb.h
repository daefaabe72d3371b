// The modelled TLB: it *is* the translation cache (DESIGN.md, src/mmu). A set-associative array of
// translations, each keeping the host pointer of its frame so a hit is a compare and a host access.
//
// Flushes cost O(1), whatever the TLB size: every entry's 64-bit key holds the generation it was filled
// in, and a flush just moves the current generation on, so older entries stop matching. Non-global and
// global entries have separate generations (a CR3 write moves only the first; SDM vol. 3, 4.10.4.1).
// In tagged mode the key also holds the address-space tag the entry was filled under, and a CR3 write
// moves nothing. Live-entry counts are kept on fill and evict, so "entries dropped by a flush" is exact.
#pragma once
#include <string>
#include <vector>

#include "cpu/types.h"

namespace ring1 {

// Permission bits precomputed at fill time for the access kinds the fast path checks.
namespace tlb_perm {
inline constexpr u8 UserRead = 1u << 0;   // a CPL 3 read is allowed (U/S set at both levels)
inline constexpr u8 SupWrite = 1u << 1;   // a supervisor write needs no walk (writable under CR0.WP, dirty)
inline constexpr u8 UserWrite = 1u << 2;  // a CPL 3 write needs no walk (R/W and U/S at both levels, dirty)
inline constexpr u8 Global = 1u << 3;
inline constexpr u8 Dirty = 1u << 4;
}  // namespace tlb_perm

struct TlbEntry {
  u64 key = 0;        // generation << 32 | tag << 20 | virtual page number (0 never matches: generations start at 1)
  u8* host = nullptr; // host address of the physical frame (4 KiB) or of the 4 MiB region's base
  u32 frame = 0;      // physical address of the frame / region base
  u32 pte_addr = 0;   // physical address of the PTE (or PDE for a 4 MiB page), for the dirty-bit update
  u32 age = 0;        // replacement state: last use (LRU) or fill order (FIFO)
  u8 perm = 0;
  u8 level_rw = 0;    // R/W and U/S combined over both levels (bit 1 = R/W, bit 2 = U/S), as in a PTE
};

enum class TlbReplacement : u8 { Lru, Fifo };

struct TlbGeometry {
  u32 sets = 16;
  u32 ways = 4;
  TlbReplacement replacement = TlbReplacement::Lru;
  u32 entries() const { return sets * ways; }
};

struct TlbArrayStats {
  u64 hits = 0;
  u64 misses = 0;
  u64 fills = 0;
  u64 evictions = 0;  // live entries replaced by a fill
};

// One set-associative array (a TLB has one for 4 KiB pages and one for 4 MiB pages).
class TlbArray {
 public:
  TlbArray(TlbGeometry g, u32 page_shift);

  u32 page_shift() const { return shift_; }
  const TlbGeometry& geometry() const { return geo_; }

  // The entry translating `lin`, or nullptr. `key_ng`/`key_g` are the keys a live non-global / global
  // entry for this address would have (Tlb computes them once for both arrays).
  TlbEntry* find(u32 lin, u64 gen_ng, u64 gen_g) {
    u32 vpn = lin >> shift_;
    u64 k1 = gen_ng | vpn, k2 = gen_g | vpn;
    TlbEntry* set = &entries_[(vpn & (geo_.sets - 1)) * geo_.ways];
    for (u32 w = 0; w < geo_.ways; ++w) {
      TlbEntry& e = set[w];
      if (e.key == k1 || e.key == k2) {
        if (geo_.replacement == TlbReplacement::Lru) e.age = ++clock_;
        return &e;
      }
    }
    return nullptr;
  }

  // Installs a translation, replacing an invalid entry or the set's victim. Returns the entry and sets
  // `evicted_live` when a live entry was replaced.
  TlbEntry& fill(u32 lin, u64 key_gen, bool& evicted_live, u64 gen_ng, u64 gen_g);

  // Drops the entry translating `lin` (any generation that is live). Returns true if one was live.
  bool drop(u32 lin, u64 gen_ng, u64 gen_g);

  // Visits live entries (debugger, tests).
  template <class F>
  void for_each_live(u64 gen_ng, u64 gen_g, F&& f) const {
    for (const TlbEntry& e : entries_) {
      u64 gen = e.key & ~u64(0xFFFFFFFF);
      if (e.key && (gen == gen_ng || gen == gen_g)) f(e);
    }
  }

  void reset();  // forget everything (generation counter wrapped)
  // Recomputes the fast-path permission bits of every entry (CR0.WP changed; not a modelled flush).
  template <class F>
  void recompute_perm(F&& f) {
    for (TlbEntry& e : entries_) f(e);
  }

 private:
  TlbGeometry geo_;
  u32 shift_;
  std::vector<TlbEntry> entries_;
  u32 clock_ = 0;
};

}  // namespace ring1
