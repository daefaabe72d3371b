// Guest-memory copies for hypercall handlers (see guest_copy.h), over the page loop of mmu/guest_memory.h.
#include "hypervisor/guest_copy.h"

#include <algorithm>
#include <vector>

#include "common/fault.h"
#include "mmu/guest_memory.h"
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
  try {
    return read_pages(mmu_.ram(), addr, dst, len, [&](u32 lin) -> std::optional<u32> {
             return mmu_.translate(lin, Access::Read, /*user=*/false);
           }) == len;
  } catch (const CpuFault&) {
    return false;
  }
}

bool MmuGuestMemory::write_linear(u32 addr, const void* src, u32 len) {
  try {
    // Translate every page first, so a fault on a later page leaves memory untouched.
    for_each_page(addr, len, [&](const PagePiece& p) {
      (void)mmu_.translate(p.linear, Access::Write, /*user=*/false);
      return true;
    });
    return write_pages(mmu_.ram(), addr, src, len, [&](u32 lin) -> std::optional<u32> {
             return mmu_.translate(lin, Access::Write, /*user=*/false);
           }) == len;
  } catch (const CpuFault&) {
    return false;
  }
}

std::optional<u32> WalkingGuestMemory::translate(u32 lin, bool write) {
  clock_.charge(2 * clock_.costs().events.walk_access);
  const Translation t = mmu_.probe(lin, cr3_);
  // PV guests have no 4 MiB pages (the frame table refuses them); a large entry here is not a mapping.
  if (!t.present || t.large || (write && !t.writable)) return std::nullopt;
  PhysicalMemory& ram = mmu_.ram();
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
  return read_pages(mmu_.ram(), addr, dst, len, [&](u32 lin) { return translate(lin, false); }) == len;
}

bool WalkingGuestMemory::write_linear(u32 addr, const void* src, u32 len) {
  // Every page is translated (walked, charged, its accessed and dirty bits set) once, before anything is
  // written, so a failure leaves memory untouched.
  std::vector<u32> phys;
  if (for_each_page(addr, len, [&](const PagePiece& p) {
        const std::optional<u32> at = translate(p.linear, true);
        if (at) phys.push_back(*at);
        return at.has_value();
      }) != len)
    return false;
  std::size_t i = 0;
  return write_pages(mmu_.ram(), addr, src, len, [&](u32) { return std::optional<u32>(phys[i++]); }) == len;
}

}  // namespace ring1::hv
