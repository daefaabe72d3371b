// The memory management unit: linear addresses in, physical memory out (SDM vol. 3, chapter 4).
// Segmentation is applied by the CPU before it gets here (it owns the segment caches). With CR0.PG clear
// a linear address is physical. With paging on, the modelled TLB is the translation cache: a hit reads
// through the entry's host pointer; a miss walks the two-level tables (page_walker.cpp), sets accessed and
// dirty bits as hardware does, charges the walk to the cycle counter and fills the TLB; a violation raises
// #PF with the architectural error code and the faulting address for CR2.
//
// Accesses outside RAM behave like an unassigned bus on a PC (reads return all ones, writes are dropped),
// as QEMU's PC does for unassigned physical addresses.
#pragma once
#include <array>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "common/cost_profile.h"
#include "common/fault.h"
#include "common/types.h"
#include "mmu/physical_memory.h"
#include "mmu/tlb.h"
#include "mmu/tlb_profile.h"

namespace ring1 {

enum class Access : u8 { Read, Write, Execute };

// Why a flush happened. Explicit: a flush asked for outside the instruction set (a guest's MMUEXT_TLB_FLUSH_*
// or UVMF_TLB_FLUSH through the hypervisor). Coherence: the hypervisor's own flush before a frame that a TLB
// may still map writable becomes a page table, or before a freed frame is handed out again (Xen's
// tlbflush_timestamp rule, docs/tlb-coherence.md); never asked for by the guest.
enum class FlushCause : u8 { Cr3Write, Invlpg, ControlRegister, Explicit, Coherence, Count };
std::string_view flush_cause_name(FlushCause c);

// `lookups` doubles as the TLB's clock: a used entry's age is the lookup count (LRU).
struct TlbCounters {
  u64 lookups = 0, misses = 0, fills = 0, evictions = 0;
  u64 hits() const { return lookups - misses; }
};

struct MmuStats {
  TlbCounters itlb, dtlb;
  std::array<u64, static_cast<size_t>(FlushCause::Count)> flushes{};
  std::array<u64, static_cast<size_t>(FlushCause::Count)> entries_dropped{};
  u64 walks = 0;
  u64 walk_cycles = 0;
  u64 page_faults = 0;
};

// One translation as the page tables give it (for the debugger and tests; no side effects).
struct Translation {
  u32 phys = 0;
  bool present = false;
  bool large = false;
  bool user = false, writable = false, global = false;
  u32 pde = 0, pte = 0;
};

// The tracer's view of flushes: cause, entries dropped, and the address for INVLPG. Called on the flush
// path only (a flush is never on the fast path).
struct FlushObserver {
  void (*flushed)(void* context, FlushCause cause, u32 dropped, u32 lin) = nullptr;
  void* context = nullptr;
};

// The debugger's watchpoints, seen from the MMU: linear pages to watch and a hook called after each data
// access (by the CPU, not the page walker) that touches one of them. Watched pages are kept out of the
// fast paths (flat: every access goes the slow way while any page is watched; paged: the TLB's hints for
// those pages carry no host pointer), so a run without watchpoints pays nothing.
struct DataWatch {
  void (*access)(void* context, u32 lin, u32 size, bool write) = nullptr;
  void* context = nullptr;
};

// A window of the physical address space above RAM that is not RAM: a device's registers (the local APIC at
// 0xFEE00000) or a ROM (a BIOS image's alias below 4 GiB). Only the slow paths reach it (the TLB keeps no host
// pointer for a page without RAM behind it), so every access still goes through segmentation, paging and the
// TLB model first, and RAM's fast path pays nothing for it. `read`/`write` get the offset in the window and an
// access of 1, 2 or 4 bytes that lies inside it; a ROM (`rom` set) is read from its bytes, ignores writes
// (as a PC's flash does outside its programming sequence), and may hold instructions.
struct MmioRegion {
  u32 base = 0, size = 0;
  u32 (*read)(void* context, u32 offset, u32 size) = nullptr;
  void (*write)(void* context, u32 offset, u32 size, u32 value) = nullptr;
  void* context = nullptr;
  const u8* rom = nullptr;
};

class Mmu {
 public:
  explicit Mmu(PhysicalMemory& ram, const TlbProfile& profile = TlbProfile::p3(), TlbMode mode = TlbMode::Untagged);

  PhysicalMemory& ram() { return ram_; }
  const PhysicalMemory& ram() const { return ram_; }

  // Where walk costs are charged (the CPU's cycle counter) and at what price.
  void attach_clock(Cycles* cycles, const CostProfile* costs) {
    cycles_ = cycles;
    costs_ = costs;
  }

  // ---- control registers (the CPU calls these from MOV CRn and task/mode changes) ----
  // What drops which entries (SDM vol. 3, 4.10.4.1; in the tagged model a tag is an address space, as a
  // PCID or an ASID is):
  //   event                          untagged                      tagged
  //   CR0.PG/WP or CR4.PSE/PGE change  every entry, globals too      every entry of every tag, globals too
  //   CR3 write                      every non-global entry        none: translation switches to the tag of
  //                                                                the new page directory (an exhausted tag
  //                                                                space drops every tag's non-global entries)
  //   INVLPG lin                     lin's entry and a global one  lin's entry in the current tag and a global
  //                                                                one; other tags keep theirs
  //   flush(include_global)          every non-global entry (and   every non-global entry of every tag (and
  //                                  globals if asked)             globals if asked)
  // So on a tagged TLB the architectural way to drop everything is toggling CR4.PGE (the guest kit's native
  // plat_flush_tlb does), as on x86 with PCIDs enabled.
  void set_cr0(u32 cr0);
  void set_cr4(u32 cr4);
  void set_cr3(u32 cr3);
  void invlpg(u32 lin);
  // Power-on / reset state: paging off, CR3 0, an empty TLB and zeroed counters (not a guest flush).
  void reset();
  // A flush asked for outside the instruction set (the hypervisor's TLB_FLUSH requests, its coherence rule).
  // It drops every address space's non-global entries, and the global ones too if asked.
  void flush(bool include_global, FlushCause cause = FlushCause::Explicit);
  // The TLB flush clock (Xen's tlbflush_clock, arch/x86/flushtlb.c): how many flushes so far dropped every
  // non-global entry of every address space, whatever their cause (a CR3 write counts only on an untagged
  // TLB; INVLPG never). A frame stamped with the clock when its last mapping went can still be cached
  // exactly while the clock has not moved on.
  u64 flush_clock() const { return flush_clock_; }

  // Whether a walk sets the page-directory entry's accessed flag as soon as it uses the entry, even when the
  // walk then faults at the page-table entry (the P6 and later; SDM vol. 3, 4.8), or only once the whole
  // translation has succeeded (the 386 and 486). The CPU sets it from its model.
  void set_accessed_on_partial_walk(bool on) { accessed_on_partial_walk_ = on; }

  bool paging() const { return paging_; }
  TlbMode mode() const { return mode_; }
  const TlbProfile& profile() const { return profile_; }
  const MmuStats& stats() const { return stats_; }

  // ---- data access (hot path) ----
  template <class T>
  [[gnu::always_inline]] T read(u32 lin, bool user) {
    static_assert(sizeof(T) <= 4, "wider accesses are split by the instruction");
    if (!paging_) [[likely]] {
      if (u64(lin) + sizeof(T) <= flat_limit_) [[likely]] {
        T v;
        std::memcpy(&v, host_ + lin, sizeof(T));
        return v;
      }
      return static_cast<T>(read_flat_slow(lin, sizeof(T)));
    }
    // Paging on: one compare against the page's hint (see TlbHint), and the page's rights at CPL 3.
    const TlbHint& h = dtlb_small_.hint<kPageShift>(lin);
    if (h.read_page == ((lin + (sizeof(T) - 1)) & ~kPageMask) && (!user || (h.perm & tlb_perm::UserRead)))
        [[likely]] {
      h.entry->age = ++stats_.dtlb.lookups;
      T v;
      std::memcpy(&v, reinterpret_cast<const u8*>(h.host_base + lin), sizeof(T));
      return v;
    }
    return static_cast<T>(read_paged_slow(lin, sizeof(T), user));
  }

  template <class T>
  [[gnu::always_inline]] void write(u32 lin, T v, bool user) {
    if (!paging_) [[likely]] {
      if (u64(lin) + sizeof(T) <= flat_limit_) [[likely]] {
        // A store into a frame holding decoded code drops that code first (self-modifying code).
        if (code_[lin >> kPageShift] | code_[(lin + sizeof(T) - 1) >> kPageShift]) [[unlikely]]
          ram_.note_write(lin, sizeof(T));
        std::memcpy(host_ + lin, &v, sizeof(T));
        return;
      }
      return write_flat_slow(lin, sizeof(T), v);
    }
    const TlbHint& h = dtlb_small_.hint<kPageShift>(lin);
    if (h.write_page == ((lin + (sizeof(T) - 1)) & ~kPageMask) && (!user || (h.perm & tlb_perm::UserWrite)))
        [[likely]] {
      TlbEntry& e = *h.entry;
      e.age = ++stats_.dtlb.lookups;
      if (code_[e.frame >> kPageShift]) [[unlikely]] ram_.note_write(e.frame | (lin & kPageMask), sizeof(T));
      std::memcpy(reinterpret_cast<u8*>(h.host_base + lin), &v, sizeof(T));
      return;
    }
    write_paged_slow(lin, sizeof(T), v, user);
  }

  // A read-modify-write of a T at `lin` (ADD [m], r and the like) when both of its accesses would take the
  // fast paths above: counts the read's and the write's TLB lookups, drops decoded code in the frame as the
  // write would, and returns the host address to read and then write. Otherwise nullptr, and nothing has
  // happened: the caller reads and writes separately, which gives the same counts, ages and faults.
  template <class T>
  [[gnu::always_inline]] u8* modify_host(u32 lin, bool user) {
    if (!paging_) [[likely]] {
      if (u64(lin) + sizeof(T) <= flat_limit_) [[likely]] {
        if (code_[lin >> kPageShift] | code_[(lin + sizeof(T) - 1) >> kPageShift]) [[unlikely]]
          ram_.note_write(lin, sizeof(T));
        return host_ + lin;
      }
      return nullptr;
    }
    // A write hint implies a read hint (RAM behind the page), and UserWrite implies UserRead.
    const TlbHint& h = dtlb_small_.hint<kPageShift>(lin);
    if (h.write_page == ((lin + (sizeof(T) - 1)) & ~kPageMask) && (!user || (h.perm & tlb_perm::UserWrite)))
        [[likely]] {
      TlbEntry& e = *h.entry;
      stats_.dtlb.lookups += 2;
      e.age = stats_.dtlb.lookups;
      if (code_[e.frame >> kPageShift]) [[unlikely]] ram_.note_write(e.frame | (lin & kPageMask), sizeof(T));
      return reinterpret_cast<u8*>(h.host_base + lin);
    }
    return nullptr;
  }

  // Where the data fast paths above find their state, for translated code that repeats them inline
  // (src/jit) and calls the slow paths through the instruction's handler: stable for the Mmu's lifetime.
  struct FastPathState {
    const bool* paging;
    const u64* flat_limit;
    u8* const* host;
    const u8* const* code;
    const TlbHint* dtlb_hints;  // TlbArray::kHints slots of the 4 KiB DTLB, by (lin >> 12) % kHints
    u64* dtlb_lookups;
    const u64* ram_size;         // translate_fetch's fast path, for translated code chaining blocks
    const u32* fetch_tag;
    const u32* fetch_phys_page;
  };
  FastPathState fast_path_state() {
    return {&paging_,       &flat_limit_, &host_, &code_, dtlb_small_.hints(), &stats_.dtlb.lookups,
            &size_,         &fetch_.tag,  &fetch_.phys_page};
  }

  // Translates an instruction fetch. Returns false if the physical address has no RAM behind it; raises
  // #PF like any access. The fetch unit holds the translation of the page it is fetching from, as real
  // front ends do: the ITLB is looked up (and counted) when fetch enters a page, when CPL crosses the
  // user/supervisor line, or when the held entry no longer translates that page (flush, INVLPG, CR3
  // switch, eviction). Misses, fills and evictions are therefore those of looking up on every fetch.
  bool translate_fetch(u32 lin, u32& phys, bool user) {
    if (!paging_) [[likely]] {
      phys = lin;
      return lin < size_;
    }
    if (((lin & ~kPageMask) | u32(user)) == fetch_.tag) [[likely]] {
      phys = fetch_.phys_page | (lin & kPageMask);
      return phys < size_;
    }
    return translate_fetch_slow(lin, phys, user);
  }

  // Translates for a data access without touching memory contents (the CPU's multi-part accesses,
  // string instructions' pre-checks). Same TLB behaviour and faults as an access.
  u32 translate(u32 lin, Access a, bool user) {
    return paging_ ? translate_slow(lin, a, user) : lin;
  }

  // What the page tables say for `lin` now, ignoring the TLB (debugger, tests). No side effects.
  Translation probe(u32 lin) const;
  // The same walk through the page directory at `cr3`, whatever CR3 holds now (a hypervisor in its own
  // address space reaching the guest's).
  Translation probe(u32 lin, u32 cr3) const;

  // Visits the live TLB entries: (instruction?, large?, entry).
  template <class F>
  void for_each_tlb_entry(F&& f) const {
    itlb_small_.for_each_live(keys_, [&](const TlbEntry& e) { f(true, false, e); });
    itlb_large_.for_each_live(keys_, [&](const TlbEntry& e) { f(true, true, e); });
    dtlb_small_.for_each_live(keys_, [&](const TlbEntry& e) { f(false, false, e); });
    dtlb_large_.for_each_live(keys_, [&](const TlbEntry& e) { f(false, true, e); });
  }
  u32 live_entries() const { return live_ng_ + live_g_; }

  // ---- the physical address space above RAM (cold paths) ----
  // Maps a window; false if it overlaps RAM or another window (a wiring bug, or a guest's APIC relocation
  // into RAM, which ring1 does not decode).
  bool map_mmio(const MmioRegion& region);
  void unmap_mmio(u32 base);
  // Whether an instruction may be fetched from physical `phys` outside RAM (a ROM window), and the byte there.
  bool fetchable(u32 phys) const;
  u8 fetch_byte(u32 phys) const;

  // ---- debugger and tracer hooks (cold paths) ----
  FlushObserver flush_observer;
  // Watches the linear pages `pages` (page numbers, lin >> 12) with `hook`; an empty list watches nothing.
  void set_data_watch(const DataWatch& hook, std::vector<u32> pages);

 private:
  static constexpr u32 kPageMask = kPageSize - 1;

  u32 read_phys_slow(u32 phys, u32 size) const;
  const MmioRegion* mmio_at(u32 phys) const;
  u32 read_mmio(const MmioRegion& r, u32 phys, u32 size) const;
  void write_phys_slow(u32 phys, u32 size, u32 value);
  u32 read_flat_slow(u32 lin, u32 size);
  void write_flat_slow(u32 lin, u32 size, u32 value);
  void watch_check(u32 lin, u32 size, bool write);
  u32 read_paged_slow(u32 lin, u32 size, bool user);
  void write_paged_slow(u32 lin, u32 size, u32 value, bool user);
  u32 translate_slow(u32 lin, Access a, bool user);
  bool translate_fetch_slow(u32 lin, u32& phys, bool user);
  void drop_fetch_latch() { fetch_.tag = FetchLatch::kNone; }
  // The TLB keys changed (a flush, a CR3 switch): hints and the fetch latch published under the old ones go.
  void keys_changed();
  // Page walk (page_walker.cpp): fills the right TLB or raises #PF.
  TlbEntry& walk(u32 lin, Access a, bool user);
  void check_rights(const TlbEntry& e, u32 lin, Access a, bool user);
  void new_generation(bool include_global);
  void charge(u32 cycles) {
    if (cycles_) *cycles_ += cycles;
  }
  u8 fast_perm(u8 rw_us, bool dirty, bool global) const;

  PhysicalMemory& ram_;
  // Copies of RAM's fixed properties, so the fast path is one compare and one host access.
  u8* host_;
  u64 size_;
  u64 flat_limit_;  // size_, or 0 while pages are watched (every flat data access takes the slow path)
  const u8* code_;

  TlbProfile profile_;
  TlbMode mode_;
  TlbArray itlb_small_, itlb_large_, dtlb_small_, dtlb_large_;
  TlbKeys keys_;
  u32 next_gen_ = 1;
  u64 flush_clock_ = 0;
  u32 live_ng_ = 0, live_g_ = 0;
  std::unordered_map<u32, u32> tags_;  // tagged mode: CR3 page-directory base -> address-space tag
  u32 cur_tag_ = 0;

  // The fetch unit's current page (see translate_fetch): its linear address with the user bit in bit 0,
  // and the physical address it translates to. The latch is dropped whenever the ITLB changes in a way that
  // could touch its entry (a flush, a CR3 switch, INVLPG, an ITLB fill), so it needs no check of its own.
  struct FetchLatch {
    static constexpr u32 kNone = ~0u;  // no page | user bit has every low bit set
    u32 tag = kNone;
    u32 phys_page = 0;
  } fetch_;

  bool paging_ = false, wp_ = false, pse_ = false, pge_ = false;
  bool accessed_on_partial_walk_ = true;
  u32 cr3_ = 0;
  Cycles* cycles_ = nullptr;
  const CostProfile* costs_ = nullptr;
  MmuStats stats_;
  std::vector<MmioRegion> mmio_;  // a handful at most: the local APIC, a ROM alias
  DataWatch watch_;
  std::vector<u32> watch_pages_;  // sorted linear page numbers
};

}  // namespace ring1
