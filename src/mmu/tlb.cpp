#include "mmu/tlb.h"

#include <algorithm>
#include <stdexcept>

namespace ring1 {

TlbArray::TlbArray(TlbGeometry g, u32 page_shift)
    : geo_(g), shift_(page_shift), set_mask_(g.sets - 1), page_mask_(~((1u << page_shift) - 1)),
      entries_(g.entries()) {
  if (g.sets == 0 || (g.sets & (g.sets - 1)) != 0) throw std::invalid_argument("TLB sets must be a power of two");
  if (g.ways == 0) throw std::invalid_argument("TLB ways must be at least 1");
  drop_hints();
}

void TlbArray::drop_hints() {
  for (u64 m = published_; m; m &= m - 1) hints_[__builtin_ctzll(m)] = TlbHint{};
  published_ = 0;
}

TlbEntry* TlbArray::search(u32 vpn, u64 k1, u64 k2) {
  TlbEntry* set = &entries_[(vpn & set_mask_) * geo_.ways];
  for (u32 w = 0; w < geo_.ways; ++w) {
    TlbEntry& e = set[w];
    if (e.key == k1 || e.key == k2) {
      publish(e);
      return &e;
    }
  }
  return nullptr;
}

TlbArray::FillResult TlbArray::fill(u32 lin, bool global, const TlbKeys& k, u64 now) {
  u32 vpn = lin >> shift_;
  TlbEntry* set = &entries_[(vpn & set_mask_) * geo_.ways];
  TlbEntry* victim = nullptr;
  for (u32 w = 0; w < geo_.ways && !victim; ++w)
    if (!live(set[w], k)) victim = &set[w];
  FillResult r{nullptr, victim == nullptr, false};
  if (!victim) {
    // LRU evicts the least recently used way, FIFO the oldest fill; ties go to the lowest way.
    const bool lru = geo_.replacement == TlbReplacement::Lru;
    victim = &set[0];
    for (u32 w = 1; w < geo_.ways; ++w)
      if ((lru ? set[w].age < victim->age : set[w].filled < victim->filled)) victim = &set[w];
    r.evicted_global = static_cast<u32>(victim->key >> 32) == k.g_gen;
  }
  forget_hint(*victim);
  *victim = TlbEntry{};
  victim->key = (global ? k.g_key : k.ng_key) | vpn;
  victim->age = victim->filled = now;
  r.entry = victim;  // the caller fills in the translation and publishes it
  return r;
}

void TlbArray::drop(u32 lin, const TlbKeys& k, u32& dropped_ng, u32& dropped_g) {
  u32 vpn = lin >> shift_;
  TlbEntry* set = &entries_[(vpn & set_mask_) * geo_.ways];
  for (u32 w = 0; w < geo_.ways; ++w) {
    TlbEntry& e = set[w];
    if (e.key == (k.ng_key | vpn)) {
      ++dropped_ng;
      forget_hint(e);
      e.key = 0;
    } else if (e.key == (k.g_key | vpn)) {
      ++dropped_g;
      forget_hint(e);
      e.key = 0;
    }
  }
}

void TlbArray::withhold_host(TlbHint& h) const {
  const u32 vpn = h.page >> shift_;
  if (std::binary_search(unhinted_->begin(), unhinted_->end(), vpn)) h.read_page = h.write_page = TlbHint::kNoPage;
}

void TlbArray::set_unhinted_pages(const std::vector<u32>* pages) {
  unhinted_ = pages;
  for (TlbHint& h : hints_) {
    if (h.page == TlbHint::kNoPage || !h.entry) continue;
    const TlbEntry& e = *h.entry;
    h.read_page = e.host ? h.page : TlbHint::kNoPage;
    h.write_page = e.host && (e.perm & tlb_perm::SupWrite) ? h.page : TlbHint::kNoPage;
    if (unhinted_) withhold_host(h);
  }
}

void TlbArray::clear() {
  for (TlbEntry& e : entries_) e = TlbEntry{};
  drop_hints();
}

}  // namespace ring1
