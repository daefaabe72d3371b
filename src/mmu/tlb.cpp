#include "mmu/tlb.h"

#include <stdexcept>

namespace ring1 {

TlbArray::TlbArray(TlbGeometry g, u32 page_shift) : geo_(g), shift_(page_shift), entries_(g.entries()) {
  if (g.sets == 0 || (g.sets & (g.sets - 1)) != 0) throw std::invalid_argument("TLB sets must be a power of two");
  if (g.ways == 0) throw std::invalid_argument("TLB ways must be at least 1");
}

TlbEntry& TlbArray::fill(u32 lin, u64 key_gen, bool& evicted_live, u64 gen_ng, u64 gen_g) {
  u32 vpn = lin >> shift_;
  TlbEntry* set = &entries_[(vpn & (geo_.sets - 1)) * geo_.ways];
  TlbEntry* victim = nullptr;
  for (u32 w = 0; w < geo_.ways && !victim; ++w) {
    u64 gen = set[w].key & ~u64(0xFFFFFFFF);
    if (set[w].key == 0 || (gen != gen_ng && gen != gen_g)) victim = &set[w];  // dead: free to reuse
  }
  evicted_live = victim == nullptr;
  if (!victim) {
    // LRU: least recently used; FIFO: oldest fill. Ties go to the lowest way, so the choice is deterministic.
    victim = &set[0];
    for (u32 w = 1; w < geo_.ways; ++w)
      if (set[w].age < victim->age) victim = &set[w];
  }
  *victim = TlbEntry{};
  victim->key = key_gen | vpn;
  victim->age = ++clock_;
  return *victim;
}

bool TlbArray::drop(u32 lin, u64 gen_ng, u64 gen_g) {
  u32 vpn = lin >> shift_;
  TlbEntry* set = &entries_[(vpn & (geo_.sets - 1)) * geo_.ways];
  bool any = false;
  for (u32 w = 0; w < geo_.ways; ++w) {
    TlbEntry& e = set[w];
    if ((e.key & 0xFFFFF) == (u64(vpn) & 0xFFFFF) && e.key && (((e.key & ~u64(0xFFFFFFFF)) == gen_ng) ||
                                                               ((e.key & ~u64(0xFFFFFFFF)) == gen_g))) {
      e.key = 0;
      any = true;
    }
  }
  return any;
}

void TlbArray::reset() {
  for (TlbEntry& e : entries_) e = TlbEntry{};
  clock_ = 0;
}

}  // namespace ring1
