#include "mmu/mmu.h"
#include "common/arch_bits.h"

#include <algorithm>
#include <cstring>

namespace ring1 {

namespace {
constexpr u32 kMaxTags = 4095;  // tags 1..4095 fit the 12-bit field of the key; 0 is for global entries
}  // namespace

std::string_view flush_cause_name(FlushCause c) {
  switch (c) {
    case FlushCause::Cr3Write: return "cr3-write";
    case FlushCause::Invlpg: return "invlpg";
    case FlushCause::ControlRegister: return "cr0-cr4";
    case FlushCause::Explicit: return "explicit";
    case FlushCause::Coherence: return "coherence";
    case FlushCause::Count: break;
  }
  return "?";
}

Mmu::Mmu(PhysicalMemory& ram, const TlbProfile& profile, TlbMode mode)
    : ram_(ram),
      host_(ram.host(0)),
      size_(ram.size()),
      flat_limit_(ram.size()),
      code_(ram.code_marks()),
      profile_(profile),
      mode_(mode),
      itlb_small_(profile.itlb_small, 12),
      itlb_large_(profile.itlb_large, 22),
      dtlb_small_(profile.dtlb_small, 12),
      dtlb_large_(profile.dtlb_large, 22) {
  keys_.ng_gen = next_gen_++;
  keys_.g_gen = next_gen_++;
  cur_tag_ = mode_ == TlbMode::Tagged ? 1 : 0;
  if (mode_ == TlbMode::Tagged) tags_[0] = 1;
  new_generation(false);  // builds the keys
  new_generation(true);
}

void Mmu::keys_changed() {
  drop_fetch_latch();
  for (TlbArray* a : {&itlb_small_, &itlb_large_, &dtlb_small_, &dtlb_large_}) a->drop_hints();
}

void Mmu::new_generation(bool include_global) {
  if (next_gen_ > 0xFFFFFFF0u) {  // after 4 billion flushes: forget everything once and start again
    for (TlbArray* a : {&itlb_small_, &itlb_large_, &dtlb_small_, &dtlb_large_}) a->clear();
    next_gen_ = 1;
    live_ng_ = live_g_ = 0;
    keys_.g_gen = next_gen_++;
  }
  keys_.ng_gen = next_gen_++;
  if (include_global) keys_.g_gen = next_gen_++;
  keys_.ng_key = (u64(keys_.ng_gen) << 32) | (u64(cur_tag_) << 20);
  keys_.g_key = u64(keys_.g_gen) << 32;
  keys_changed();
}

void Mmu::flush(bool include_global, FlushCause cause) {
  u32 dropped = live_ng_ + (include_global ? live_g_ : 0);
  live_ng_ = 0;
  if (include_global) live_g_ = 0;
  new_generation(include_global);
  ++flush_clock_;  // a new generation kills every tag's non-global entries: a full flush
  ++stats_.flushes[static_cast<size_t>(cause)];
  stats_.entries_dropped[static_cast<size_t>(cause)] += dropped;
  if (flush_observer.flushed) flush_observer.flushed(flush_observer.context, cause, dropped, 0);
}

void Mmu::set_cr0(u32 cr0) {
  bool paging = (cr0 & cr0::PG) && (cr0 & cr0::PE);
  bool wp = cr0 & cr0::WP;
  if (paging != paging_ || wp != wp_) {
    paging_ = paging;
    wp_ = wp;
    flush(true, FlushCause::ControlRegister);
  }
}

void Mmu::set_cr4(u32 cr4) {
  bool pse = cr4 & cr4::PSE, pge = cr4 & cr4::PGE;
  if (pse != pse_ || pge != pge_) {
    pse_ = pse;
    pge_ = pge;
    flush(true, FlushCause::ControlRegister);
  }
}

void Mmu::set_cr3(u32 cr3) {
  cr3_ = cr3;
  if (mode_ == TlbMode::Untagged) {
    flush(false, FlushCause::Cr3Write);
    return;
  }
  // Tagged: entries stay; translation switches to the tag of this page directory (like a PCID/ASID).
  u32 pd = cr3 & ~kPageMask;
  auto it = tags_.find(pd);
  if (it == tags_.end()) {
    if (tags_.size() >= kMaxTags) {  // out of tags: start over, as an ASID roll-over does
      tags_.clear();
      flush(false, FlushCause::Cr3Write);
    }
    it = tags_.emplace(pd, u32(tags_.size() + 1)).first;
  }
  cur_tag_ = it->second;
  keys_.ng_key = (u64(keys_.ng_gen) << 32) | (u64(cur_tag_) << 20);
  keys_changed();
}

void Mmu::reset() {
  paging_ = wp_ = pse_ = pge_ = false;
  cr3_ = 0;
  tags_.clear();
  cur_tag_ = mode_ == TlbMode::Tagged ? 1 : 0;
  if (mode_ == TlbMode::Tagged) tags_[0] = 1;
  new_generation(true);
  ++flush_clock_;
  live_ng_ = live_g_ = 0;
  stats_ = MmuStats{};
}

void Mmu::invlpg(u32 lin) {
  drop_fetch_latch();
  u32 ng = 0, g = 0;
  for (TlbArray* a : {&itlb_small_, &itlb_large_, &dtlb_small_, &dtlb_large_}) a->drop(lin, keys_, ng, g);
  live_ng_ -= ng;
  live_g_ -= g;
  ++stats_.flushes[static_cast<size_t>(FlushCause::Invlpg)];
  stats_.entries_dropped[static_cast<size_t>(FlushCause::Invlpg)] += ng + g;
  if (flush_observer.flushed) flush_observer.flushed(flush_observer.context, FlushCause::Invlpg, ng + g, lin);
}

void Mmu::set_data_watch(const DataWatch& hook, std::vector<u32> pages) {
  std::sort(pages.begin(), pages.end());
  pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
  watch_ = hook;
  watch_pages_ = std::move(pages);
  flat_limit_ = watch_pages_.empty() ? size_ : 0;
  // Only the 4 KiB DTLB has fast-path hints; 4 MiB pages always take the slow path.
  dtlb_small_.set_unhinted_pages(watch_pages_.empty() ? nullptr : &watch_pages_);
}

// After the access, so an access that faults does not trigger (the debugger stops after the instruction).
void Mmu::watch_check(u32 lin, u32 size, bool write) {
  const u32 first = lin >> kPageShift, last = (lin + size - 1) >> kPageShift;
  auto it = std::lower_bound(watch_pages_.begin(), watch_pages_.end(), first);
  if (it != watch_pages_.end() && *it <= last && watch_.access) watch_.access(watch_.context, lin, size, write);
}

u32 Mmu::read_flat_slow(u32 lin, u32 size) {
  const u32 v = read_phys_slow(lin, size);
  if (!watch_pages_.empty()) watch_check(lin, size, false);
  return v;
}

void Mmu::write_flat_slow(u32 lin, u32 size, u32 value) {
  write_phys_slow(lin, size, value);
  if (!watch_pages_.empty()) watch_check(lin, size, true);
}

// An access that lies wholly in one window is one device access (a 32-bit APIC register read is one read);
// anything else goes byte by byte: RAM, a window's byte, or the unassigned bus (all ones, writes dropped).
u32 Mmu::read_phys_slow(u32 phys, u32 size) const {
  if (ram_.contains(phys, size)) [[likely]] {  // RAM (no window overlaps it): one copy, not byte by byte
    const u8* p = ram_.host(phys);
    if (size == 4) {
      u32 v;
      std::memcpy(&v, p, 4);
      return v;
    }
    u32 v = 0;
    for (u32 i = 0; i < size; ++i) v |= u32(p[i]) << (8 * i);
    return v;
  }
  if (!mmio_.empty()) [[unlikely]] {
    if (const MmioRegion* r = mmio_at(phys); r && u64(phys - r->base) + size <= r->size) return read_mmio(*r, phys, size);
  }
  u32 v = 0;
  for (u32 i = 0; i < size; ++i) {
    u32 a = phys + i;
    u32 byte = 0xFF;
    if (ram_.contains(a, 1)) byte = *ram_.host(a);
    else if (const MmioRegion* r = mmio_.empty() ? nullptr : mmio_at(a)) byte = read_mmio(*r, a, 1) & 0xFF;
    v |= byte << (8 * i);
  }
  return v;
}

void Mmu::write_phys_slow(u32 phys, u32 size, u32 value) {
  if (!mmio_.empty()) [[unlikely]] {
    if (const MmioRegion* r = mmio_at(phys); r && u64(phys - r->base) + size <= r->size) {
      if (r->write) r->write(r->context, phys - r->base, size, value);
      return;
    }
  }
  for (u32 i = 0; i < size; ++i) {
    u32 a = phys + i;
    if (!ram_.contains(a, 1)) {
      if (const MmioRegion* r = mmio_.empty() ? nullptr : mmio_at(a); r && r->write)
        r->write(r->context, a - r->base, 1, (value >> (8 * i)) & 0xFF);
      continue;
    }
    ram_.note_write(a, 1);
    *ram_.host(a) = static_cast<u8>(value >> (8 * i));
  }
}

const MmioRegion* Mmu::mmio_at(u32 phys) const {
  for (const MmioRegion& r : mmio_)
    if (phys - r.base < r.size) return &r;
  return nullptr;
}

u32 Mmu::read_mmio(const MmioRegion& r, u32 phys, u32 size) const {
  const u32 off = phys - r.base;
  if (r.rom) {
    u32 v = 0;
    for (u32 i = 0; i < size; ++i) v |= u32(r.rom[off + i]) << (8 * i);
    return v;
  }
  return r.read ? r.read(r.context, off, size) : (size == 4 ? ~0u : (1u << (8 * size)) - 1);
}

bool Mmu::map_mmio(const MmioRegion& region) {
  if (region.size == 0 || u64(region.base) + region.size > (u64(1) << 32)) return false;
  if (region.base < ram_.size()) return false;
  for (const MmioRegion& r : mmio_)
    if (region.base < u64(r.base) + r.size && r.base < u64(region.base) + region.size) return false;
  mmio_.push_back(region);
  return true;
}

void Mmu::unmap_mmio(u32 base) {
  std::erase_if(mmio_, [&](const MmioRegion& r) { return r.base == base; });
}

bool Mmu::fetchable(u32 phys) const {
  if (phys < size_) return true;
  const MmioRegion* r = mmio_.empty() ? nullptr : mmio_at(phys);
  return r && r->rom;
}

u8 Mmu::fetch_byte(u32 phys) const {
  if (phys < size_) return *ram_.host(phys);
  const MmioRegion* r = mmio_at(phys);
  return r && r->rom ? r->rom[phys - r->base] : 0xFF;
}

bool Mmu::translate_fetch_slow(u32 lin, u32& phys, bool user) {
  phys = translate_slow(lin, Access::Execute, user);
  // Latch the entry that translated this page (4 KiB or 4 MiB array; the walk filled one of them).
  TlbEntry* e = itlb_small_.find(lin, keys_);
  if (!e && pse_) e = itlb_large_.find(lin, keys_);
  if (e) fetch_ = FetchLatch{(lin & ~kPageMask) | u32(user), e->frame | (lin & (e->large ? 0x3FF000u : 0u))};
  return phys < size_;
}

u32 Mmu::translate_slow(u32 lin, Access a, bool user) {
  const bool fetch = a == Access::Execute;
  TlbCounters& ctr = fetch ? stats_.itlb : stats_.dtlb;
  const u64 now = ++ctr.lookups;
  TlbEntry* e = (fetch ? itlb_small_ : dtlb_small_).find(lin, keys_);
  if (!e && pse_) e = (fetch ? itlb_large_ : dtlb_large_).find(lin, keys_);
  if (e) {
    e->age = now;
    check_rights(*e, lin, a, user);
  } else {
    ++ctr.misses;
    e = &walk(lin, a, user);
  }
  return e->frame | (lin & (e->large ? 0x3FFFFFu : kPageMask));
}

// Both pages of an access that straddles a page boundary are translated (and may fault) before any byte
// moves, so a faulting access changes nothing.
u32 Mmu::read_paged_slow(u32 lin, u32 size, bool user) {
  u32 p0 = translate_slow(lin, Access::Read, user);
  u32 first = std::min<u32>(size, kPageSize - (lin & kPageMask));
  u32 v;
  if (first == size) {
    v = read_phys_slow(p0, size);
  } else {
    u32 p1 = translate_slow(lin + first, Access::Read, user);
    v = read_phys_slow(p0, first) | (read_phys_slow(p1, size - first) << (8 * first));
  }
  if (!watch_pages_.empty()) [[unlikely]] watch_check(lin, size, false);
  return v;
}

void Mmu::write_paged_slow(u32 lin, u32 size, u32 value, bool user) {
  u32 p0 = translate_slow(lin, Access::Write, user);
  u32 first = std::min<u32>(size, kPageSize - (lin & kPageMask));
  if (first == size) {
    write_phys_slow(p0, size, value);
  } else {
    u32 p1 = translate_slow(lin + first, Access::Write, user);
    write_phys_slow(p0, first, value);
    write_phys_slow(p1, size - first, value >> (8 * first));
  }
  if (!watch_pages_.empty()) [[unlikely]] watch_check(lin, size, true);
}

}  // namespace ring1
