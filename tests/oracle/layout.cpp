// The windows' initial contents: random bytes from the sequence's memory seed, then its patches. Both
// runners start from this one buffer, so memory is identical in the two machines by construction.
#include "oracle/layout.h"

#include <cstring>

#include "oracle/generator.h"

namespace ring1::oracle {

u32 windows_total_size() {
  u32 n = 0;
  for (const Window& w : kWindows) n += w.size;
  return n;
}

u32 window_address(u32 offset) {
  for (const Window& w : kWindows) {
    if (offset < w.size) return w.base + offset;
    offset -= w.size;
  }
  return ~0u;
}

void initial_memory(const InitialState& s, std::vector<u8>& mem) {
  mem.resize(windows_total_size());
  Rng rng(s.mem_seed);
  for (size_t i = 0; i + 8 <= mem.size(); i += 8) {
    u64 v = rng.next();
    std::memcpy(&mem[i], &v, 8);
  }
  for (const MemPatch& p : s.patches) {
    for (size_t i = 0; i < p.bytes.size(); ++i) {
      u32 addr = p.addr + u32(i), off = 0;
      for (const Window& w : kWindows) {
        if (addr >= w.base && addr < w.base + w.size) {
          mem[off + addr - w.base] = p.bytes[i];
          break;
        }
        off += w.size;
      }
    }
  }
}

}  // namespace ring1::oracle
