// Guest-memory copies for hypercall handlers (see guest_memory.h).
#include "hypervisor/guest_memory.h"

#include <algorithm>

#include "cpu/fault.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {

namespace {
bool below_hypervisor(u32 addr, u32 len) { return u64(addr) + len <= xen::kHypervisorVirtStart; }
}  // namespace

bool GuestMemory::copy_from(LinearAddr addr, void* dst, u32 len) {
  if (!below_hypervisor(addr.value, len)) return false;
  return len == 0 || read_linear(addr.value, dst, len);
}

bool GuestMemory::copy_to(LinearAddr addr, const void* src, u32 len) {
  if (!below_hypervisor(addr.value, len)) return false;
  return len == 0 || write_linear(addr.value, src, len);
}

bool array_access_ok(LinearAddr base, u32 count, u32 size) {
  return u64(base.value) + u64(count) * size <= xen::kHypervisorVirtStart;
}

bool MmuGuestMemory::read_linear(u32 addr, void* dst, u32 len) {
  u8* out = static_cast<u8*>(dst);
  try {
    while (len != 0) {
      const u32 chunk = std::min(len, kPageSize - (addr & (kPageSize - 1)));
      const u32 phys = mmu_.translate(addr, Access::Read, /*user=*/false);
      if (!mmu_.ram().contains(phys, chunk)) return false;
      mmu_.ram().read_bytes(phys, out, chunk);
      addr += chunk;
      out += chunk;
      len -= chunk;
    }
  } catch (const CpuFault&) {
    return false;
  }
  return true;
}

bool MmuGuestMemory::write_linear(u32 addr, const void* src, u32 len) {
  const u8* in = static_cast<const u8*>(src);
  try {
    // Translate every page first, so a fault on a later page leaves memory untouched.
    for (u32 a = addr & ~(kPageSize - 1); a < addr + len; a += kPageSize)
      (void)mmu_.translate(std::max(a, addr), Access::Write, /*user=*/false);
    while (len != 0) {
      const u32 chunk = std::min(len, kPageSize - (addr & (kPageSize - 1)));
      const u32 phys = mmu_.translate(addr, Access::Write, /*user=*/false);
      if (!mmu_.ram().contains(phys, chunk)) return false;
      mmu_.ram().write_bytes(phys, in, chunk);
      addr += chunk;
      in += chunk;
      len -= chunk;
    }
  } catch (const CpuFault&) {
    return false;
  }
  return true;
}

}  // namespace ring1::hv
