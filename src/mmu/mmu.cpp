#include "mmu/mmu.h"

namespace ring1 {

// Byte by byte, so an access that straddles the end of RAM reads what RAM has and all ones beyond it.
u32 Mmu::read_slow(u32 lin, u32 size) {
  u32 v = 0;
  for (u32 i = 0; i < size; ++i) {
    u32 a = lin + i;
    u32 byte = ram_.contains(a, 1) ? *ram_.host(a) : 0xFF;
    v |= byte << (8 * i);
  }
  return v;
}

void Mmu::write_slow(u32 lin, u32 size, u32 value) {
  for (u32 i = 0; i < size; ++i) {
    u32 a = lin + i;
    if (!ram_.contains(a, 1)) continue;
    ram_.note_write(a, 1);
    *ram_.host(a) = static_cast<u8>(value >> (8 * i));
  }
}

}  // namespace ring1
