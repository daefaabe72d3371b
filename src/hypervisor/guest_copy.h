// How a hypercall handler reaches the calling guest's memory: by linear address, in the guest's current
// address space, as ring 0 would. Any part of an access may fault (not present, read-only with CR0.WP) or lie
// in the hypervisor's range; the copy then fails and the handler returns -EFAULT, exactly where Xen's
// copy_from_guest / copy_to_guest fail. The CPU integration passes an MmuGuestMemory over the running CPU's
// MMU, so these accesses go through the modelled TLB and page walker like the guest's own.
#pragma once
#include "common/types.h"
#include <optional>

#include "cpu/cpu_clock.h"
#include "mmu/mmu.h"

namespace ring1::hv {

class GuestMemory {
 public:
  virtual ~GuestMemory() = default;

  // False if any byte of [addr, addr + len) is at or above HYPERVISOR_VIRT_START, wraps, or faults.
  bool copy_from(LinearAddr addr, void* dst, u32 len);
  bool copy_to(LinearAddr addr, const void* src, u32 len);

  template <class T>
  bool read(LinearAddr addr, T& out) { return copy_from(addr, &out, sizeof(T)); }
  template <class T>
  bool write(LinearAddr addr, const T& v) { return copy_to(addr, &v, sizeof(T)); }

 protected:
  // The range is already known to lie below HYPERVISOR_VIRT_START.
  virtual bool read_linear(u32 addr, void* dst, u32 len) = 0;
  virtual bool write_linear(u32 addr, const void* src, u32 len) = 0;
};

// Xen's array_access_ok for guest arrays: `count` elements of `size` bytes from `base` lie wholly below
// HYPERVISOR_VIRT_START, computed without overflow for any count. A hypercall checks its array with this
// before touching it and fails with -EFAULT otherwise.
bool array_access_ok(LinearAddr base, u32 count, u32 size);

// Guest memory through an Mmu: supervisor accesses through the current CR3, a page at a time, through the
// TLB. A #PF is caught and reported as a failed copy (it is not delivered to the guest, as in Xen).
class MmuGuestMemory final : public GuestMemory {
 public:
  explicit MmuGuestMemory(Mmu& mmu) : mmu_(mmu) {}

 protected:
  bool read_linear(u32 addr, void* dst, u32 len) override;
  bool write_linear(u32 addr, const void* src, u32 len) override;

 private:
  Mmu& mmu_;
};

// Guest memory for a hypervisor that runs in its own address space (--hv-layout separate): the guest's
// page tables, found from the guest's CR3, are walked in software as the processor would walk them for a
// supervisor access with CR0.WP set (SDM vol. 3, 4.3 and 4.6), setting accessed and dirty bits, and each
// walk is charged as the two page-table reads a TLB miss costs. Nothing goes through the TLB: the guest's
// translations are not the hypervisor's.
class WalkingGuestMemory final : public GuestMemory {
 public:
  // `clock`: where each walk is charged; `mmu`: the page walker and the RAM the tables are in.
  WalkingGuestMemory(CpuClock& clock, Mmu& mmu) : clock_(clock), mmu_(mmu) {}
  void set_guest_cr3(u32 cr3) { cr3_ = cr3; }

 protected:
  bool read_linear(u32 addr, void* dst, u32 len) override;
  bool write_linear(u32 addr, const void* src, u32 len) override;

 private:
  // The physical address of `lin`, or nullopt if it does not map (for writing, writably).
  std::optional<u32> translate(u32 lin, bool write);

  CpuClock& clock_;
  Mmu& mmu_;
  u32 cr3_ = 0;
};

}  // namespace ring1::hv
