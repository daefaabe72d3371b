// Test support for the hypervisor's memory code: 16 MiB of machine memory with a frame table and M2P, two
// domains with frames of their own, and a small running address space for domain 1 (a pinned page directory
// installed as its base, one page table, a window of writable pages at 0x00400000 where a test puts the
// request arrays a guest would pass), with a real MMU walking it so hypercall arguments are read through
// the TLB exactly as the CPU integration will read them.
#pragma once
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "hypervisor/frame_table.h"
#include "hypervisor/guest_copy.h"
#include "hypervisor/mach_to_phys.h"
#include "hypervisor/mmu_hypercalls.h"
#include "hypervisor/xen_abi.h"
#include "mmu/mmu.h"

namespace ring1::hv::test {

inline constexpr u32 kCr0Pe = 1u << 0, kCr0Wp = 1u << 16, kCr0Pg = 1u << 31;

// Domain 1 owns frames 0x100..0x4FF, domain 2 frames 0x500..0x5FF; the M2P table sits at 0xF00.
inline constexpr u32 kDom1First = 0x100, kDom1Last = 0x4FF, kDom2First = 0x500, kDom2Last = 0x5FF;
inline constexpr Mfn kM2pFrame{0xF00};

// Entry constructors: a frame and its flags.
inline u32 rw(Mfn m) { return machine_addr(m).value | pte::Present | pte::Writable | pte::User; }
inline u32 ro(Mfn m) { return machine_addr(m).value | pte::Present | pte::User; }

// The frame table keeps the fixture's MMU coherent (FrameTable::attach_tlb): its coherence flushes are the
// MMU's flushes with cause Coherence.
struct FrameTableFixture : ::testing::Test {
  PhysicalMemory ram{16u << 20};
  Mmu mmu;
  FrameTable frames{ram};
  MachToPhys m2p{frames, kM2pFrame};
  Domain dom1{.id = DomainId{1}};
  Domain dom2{.id = DomainId{2}};

  explicit FrameTableFixture(TlbMode mode = TlbMode::Untagged) : mmu(ram, TlbProfile::p3(), mode) {
    frames.attach_tlb(TlbShootdown{&mmu, [](void* m) { static_cast<Mmu*>(m)->flush(false, FlushCause::Coherence); }, &mmu});
    for (u32 i = kDom1First; i <= kDom1Last; ++i) frames.assign(Mfn{i}, dom1.id);
    for (u32 i = kDom2First; i <= kDom2Last; ++i) frames.assign(Mfn{i}, dom2.id);
  }
  u64 flushes(FlushCause c) const { return mmu.stats().flushes[static_cast<size_t>(c)]; }

  // Writes an entry the way a guest does before a frame is a page table: straight into the frame.
  void poke(Mfn table, u32 slot, u32 entry) { ram.write_bytes(machine_addr(table).value + slot * 4, &entry, 4); }
  u32 peek(Mfn table, u32 slot) const {
    u32 v;
    ram.read_bytes(machine_addr(table).value + slot * 4, &v, 4);
    return v;
  }
  const FrameInfo& f(u32 mfn) const { return frames.info(Mfn{mfn}); }
};

// Domain 1 running: page directory 0x100 (pinned, the base), page table 0x101 covering 0x00400000..0x007FFFFF:
// slots 0..15 map the window frames 0x110..0x11F writable, slot 16 maps the directory and slot 17 the table
// itself read-only (a guest reads its own page tables).
inline constexpr Mfn kBaseL2{0x100}, kWindowL1{0x101};
inline constexpr u32 kWindowVa = 0x00400000, kWindowFirstFrame = 0x110, kWindowPages = 16;
inline constexpr u32 kDirectoryVa = kWindowVa + 16 * kPageSize, kTableVa = kWindowVa + 17 * kPageSize;

struct RunningDomainFixture : FrameTableFixture {
  MmuGuestMemory mem{mmu};
  MmuHypercalls hv{frames, m2p};

  explicit RunningDomainFixture(TlbMode mode = TlbMode::Untagged) : FrameTableFixture(mode) {
    for (u32 i = 0; i < kWindowPages; ++i) poke(kWindowL1, i, rw(Mfn{kWindowFirstFrame + i}));
    poke(kWindowL1, 16, ro(kBaseL2));
    poke(kWindowL1, 17, ro(kWindowL1));
    poke(kBaseL2, kWindowVa >> 22, rw(kWindowL1));
    // What the domain builder does: pin the directory, install it as the base, turn paging on.
    EXPECT_TRUE(frames.pin(kBaseL2, dom1.id, FrameType::L2PageTable));
    EXPECT_EQ(hv.new_guest_cr3(dom1, kBaseL2), 0);
    mmu.set_cr3(machine_addr(kBaseL2).value);
    mmu.set_cr0(kCr0Pe | kCr0Pg | kCr0Wp);
  }

  // The guest's request arrays go into the window; returns their guest address.
  template <class T>
  LinearAddr put(const std::vector<T>& items, u32 offset = 0) {
    ram.write_bytes(machine_addr(Mfn{kWindowFirstFrame}).value + offset, items.data(), u32(items.size() * sizeof(T)));
    return LinearAddr{kWindowVa + offset};
  }
  // Where a test asks for the done count (the last word of the window's first page).
  static constexpr LinearAddr kDonePtr{kWindowVa + kPageSize - 4};
  u32 done_word() {
    u32 v;
    ram.read_bytes(machine_addr(Mfn{kWindowFirstFrame}).value + kPageSize - 4, &v, 4);
    return v;
  }

  static xen::MmuUpdate pt_update(Mfn table, u32 slot, u32 entry) {
    return {u64(machine_addr(table, slot * 4).value) | xen::kMmuNormalPtUpdate, entry};
  }
  static xen::MmuextOp ext(u32 cmd, u32 arg1 = 0, u32 arg2 = 0) { return {cmd, arg1, arg2}; }

  MmuOutcome mmu_update(const std::vector<xen::MmuUpdate>& reqs, u32 count_override = ~0u) {
    const LinearAddr a = put(reqs);
    MmuOutcome out = hv.mmu_update(dom1, mem, a, count_override == ~0u ? u32(reqs.size()) : count_override, kDonePtr,
                                   xen::kDomidSelf);
    hv.complete(out, mmu, mem);
    return out;
  }
  MmuOutcome mmuext(const std::vector<xen::MmuextOp>& ops) {
    const LinearAddr a = put(ops);
    MmuOutcome out = hv.mmuext_op(dom1, mem, a, u32(ops.size()), kDonePtr, xen::kDomidSelf);
    hv.complete(out, mmu, mem);
    return out;
  }
  MmuOutcome update_va(u32 va, u32 entry, u32 flags = xen::kUvmfNone) {
    MmuOutcome out = hv.update_va_mapping(dom1, mem, LinearAddr{va}, entry, flags);
    hv.complete(out, mmu, mem);
    return out;
  }
};

}  // namespace ring1::hv::test
