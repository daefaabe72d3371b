// Guest-memory copies for hypercall handlers (see guest_memory.h).
#include "hypervisor/guest_memory.h"

#include <algorithm>
#include <vector>

#include "common/fault.h"
#include "hypervisor/hv_types.h"
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

std::optional<u32> WalkingGuestMemory::translate(u32 lin, bool write) {
  cpu_.charge(2 * cpu_.costs().events.walk_access);
  const Translation t = cpu_.mmu().probe(lin, cr3_);
  // PV guests have no 4 MiB pages (the frame table refuses them); a large entry here is not a mapping.
  if (!t.present || t.large || (write && !t.writable)) return std::nullopt;
  PhysicalMemory& ram = cpu_.mmu().ram();
  // The accessed and dirty bits the processor's walk would set (SDM vol. 3, 4.8).
  const u32 pde_at = (cr3_ & pte::FrameMask) + (lin >> 22) * 4;
  const u32 pte_at = (t.pde & pte::FrameMask) + ((lin >> 12) & 1023) * 4;
  const u32 pde_new = t.pde | pte::Accessed, pte_new = t.pte | pte::Accessed | (write ? pte::Dirty : 0);
  if (pde_new != t.pde) ram.write_bytes(pde_at, &pde_new, 4);
  if (pte_new != t.pte) ram.write_bytes(pte_at, &pte_new, 4);
  if (!ram.contains(t.phys, 1)) return std::nullopt;
  return t.phys;
}

bool WalkingGuestMemory::read_linear(u32 addr, void* dst, u32 len) {
  u8* out = static_cast<u8*>(dst);
  while (len != 0) {
    const u32 chunk = std::min(len, kPageSize - (addr & (kPageSize - 1)));
    const std::optional<u32> phys = translate(addr, false);
    if (!phys) return false;
    cpu_.mmu().ram().read_bytes(*phys, out, chunk);
    addr += chunk;
    out += chunk;
    len -= chunk;
  }
  return true;
}

bool WalkingGuestMemory::write_linear(u32 addr, const void* src, u32 len) {
  // Every page is translated before anything is written, so a failure leaves memory untouched.
  struct Piece {
    u32 phys, len;
  };
  std::vector<Piece> pieces;
  for (u32 a = addr, left = len; left != 0;) {
    const u32 chunk = std::min(left, kPageSize - (a & (kPageSize - 1)));
    const std::optional<u32> phys = translate(a, true);
    if (!phys) return false;
    pieces.push_back({*phys, chunk});
    a += chunk;
    left -= chunk;
  }
  const u8* in = static_cast<const u8*>(src);
  for (const Piece& p : pieces) {
    cpu_.mmu().ram().write_bytes(p.phys, in, p.len);
    in += p.len;
  }
  return true;
}

}  // namespace ring1::hv
