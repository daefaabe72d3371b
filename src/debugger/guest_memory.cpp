// Debugger memory access (see guest_memory.h): page by page through Mmu::probe.
#include "debugger/guest_memory.h"

#include <algorithm>

#include "mmu/mmu.h"

namespace ring1 {

namespace {
// The physical address of `addr` and how many bytes from it stay in the same page and in RAM; 0 if none.
u32 resolve(const Mmu& mmu, u32 addr, u32 want, bool physical, u32& phys) {
  if (physical) {
    phys = addr;
  } else {
    const Translation t = mmu.probe(addr);
    if (!t.present) return 0;
    phys = t.phys;
  }
  const u32 in_page = kPageSize - (addr & (kPageSize - 1));
  const u32 n = std::min(want, in_page);
  if (!mmu.ram().contains(phys, n)) return 0;
  return n;
}
}  // namespace

u32 debug_read(const Mmu& mmu, u32 addr, u32 len, u8* out, bool physical) {
  u32 done = 0;
  while (done < len) {
    u32 phys;
    const u32 n = resolve(mmu, addr + done, len - done, physical, phys);
    if (n == 0) break;
    mmu.ram().read_bytes(phys, out + done, n);
    done += n;
    if (u64(addr) + done > 0xFFFFFFFFull) break;
  }
  return done;
}

u32 debug_write(Mmu& mmu, u32 addr, const u8* data, u32 len, bool physical) {
  u32 done = 0;
  while (done < len) {
    u32 phys;
    const u32 n = resolve(mmu, addr + done, len - done, physical, phys);
    if (n == 0) break;
    mmu.ram().write_bytes(phys, data + done, n);
    done += n;
    if (u64(addr) + done > 0xFFFFFFFFull) break;
  }
  return done;
}

}  // namespace ring1
