// Guest memory seen from the hypervisor (see the header).
#include "hypervisor/guest_memory.h"

#include "hypervisor/layout.h"

namespace ring1::hv {

bool GuestMemory::access_ok(u32 lin, u32 len) { return u64(lin) + len <= kVirtStart; }

bool GuestMemory::read(u32 lin, void* dst, u32 len) {
  if (!access_ok(lin, len)) return false;
  auto* out = static_cast<u8*>(dst);
  try {
    for (u32 i = 0; i < len; ++i) out[i] = cpu_.mmu().read<u8>(lin + i, false);
  } catch (const CpuFault&) {
    return false;
  }
  return true;
}

bool GuestMemory::write(u32 lin, const void* src, u32 len) {
  if (!access_ok(lin, len)) return false;
  if (len == 0) return true;
  const auto* in = static_cast<const u8*>(src);
  try {
    // Translate every page first, so a fault leaves nothing half-written.
    for (u32 i = 0; i < len; i = (i | (kPageSize - 1)) + 1) cpu_.mmu().translate(lin + i, Access::Write, false);
    cpu_.mmu().translate(lin + len - 1, Access::Write, false);
    for (u32 i = 0; i < len; ++i) cpu_.mmu().write<u8>(lin + i, in[i], false);
  } catch (const CpuFault&) {
    return false;
  }
  return true;
}

}  // namespace ring1::hv
