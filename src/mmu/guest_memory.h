// Guest memory by linear address, a page at a time: the one loop that every host-side copy of guest memory
// uses (the hypervisor's copy_from_guest / copy_to_guest, the debugger's and the tracer's reads, the
// report's crash instruction). A range is cut at page boundaries; a translator the caller chooses turns each
// piece's linear address into a physical one (through the TLB, by a software walk, or by Mmu::probe), and
// the copy stops at the first piece that does not translate, at the first byte with no RAM behind it, or at
// the top of the 32-bit linear space (no wrap).
#pragma once
#include <algorithm>
#include <optional>

#include "common/types.h"
#include "mmu/physical_memory.h"

namespace ring1 {

class Mmu;

// One piece of a linear range that lies within one page: its linear address, its offset in the range, its
// length.
struct PagePiece {
  u32 linear, offset, len;
};

// Calls f(piece) for each page piece of [addr, addr + len), in order, while f returns true; returns the
// number of bytes of the pieces f accepted. Stops at 4 GiB rather than wrap.
template <class F>
u32 for_each_page(u32 addr, u32 len, F&& f) {
  u32 done = 0;
  while (done < len) {
    const u32 lin = addr + done;
    const u32 n = std::min(len - done, kPageSize - (lin & (kPageSize - 1)));
    if (!f(PagePiece{lin, done, n})) break;
    done += n;
    if (u64(addr) + done > 0xFFFFFFFFull) break;
  }
  return done;
}

// Copies from guest memory: translate(linear) -> std::optional<u32> physical, once per page piece. Returns
// how many bytes were copied from the start.
template <class Translate>
u32 read_pages(const PhysicalMemory& ram, u32 addr, void* dst, u32 len, Translate&& translate) {
  u8* out = static_cast<u8*>(dst);
  return for_each_page(addr, len, [&](const PagePiece& p) {
    const std::optional<u32> phys = translate(p.linear);
    if (!phys || !ram.contains(*phys, p.len)) return false;
    ram.read_bytes(*phys, out + p.offset, p.len);
    return true;
  });
}

// Copies into guest memory, the same way. Decoded code in the written frames is dropped
// (PhysicalMemory::write_bytes), so the next execution sees the new bytes.
template <class Translate>
u32 write_pages(PhysicalMemory& ram, u32 addr, const void* src, u32 len, Translate&& translate) {
  const u8* in = static_cast<const u8*>(src);
  return for_each_page(addr, len, [&](const PagePiece& p) {
    const std::optional<u32> phys = translate(p.linear);
    if (!phys || !ram.contains(*phys, p.len)) return false;
    ram.write_bytes(*phys, in + p.offset, p.len);
    return true;
  });
}

// Guest memory as the debugger, the tracer and reports see it: linear addresses through the current page
// tables (segmentation ignored, supervisor rights, no accessed/dirty updates, no TLB fills and no counters:
// the walk is Mmu::probe), or physical addresses when asked. Each returns how many bytes from the start were
// readable (writable), so the caller can answer "partly" or "not at all".
u32 debug_read(const Mmu& mmu, u32 addr, u32 len, u8* out, bool physical);
u32 debug_write(Mmu& mmu, u32 addr, const u8* data, u32 len, bool physical);

}  // namespace ring1
