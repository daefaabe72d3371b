// Side-effect-free guest memory access for the debugger, the tracer and reports (see guest_memory.h).
#include "mmu/guest_memory.h"

#include "mmu/mmu.h"

namespace ring1 {

namespace {
// A page's physical address as the current page tables say, without touching the TLB.
std::optional<u32> probe(const Mmu& mmu, u32 lin, bool physical) {
  if (physical) return lin;
  const Translation t = mmu.probe(lin);
  if (!t.present) return std::nullopt;
  return t.phys;
}
}  // namespace

u32 debug_read(const Mmu& mmu, u32 addr, u32 len, u8* out, bool physical) {
  return read_pages(mmu.ram(), addr, out, len, [&](u32 lin) { return probe(mmu, lin, physical); });
}

u32 debug_write(Mmu& mmu, u32 addr, const u8* data, u32 len, bool physical) {
  return write_pages(mmu.ram(), addr, data, len, [&](u32 lin) { return probe(mmu, lin, physical); });
}

}  // namespace ring1
