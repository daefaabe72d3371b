// The hypervisor's reads and writes of guest memory: linear addresses in the current address space,
// translated by the MMU and TLB model as ring-0 accesses (so they cost walks and fills like any access), and
// refused above HYPERVISOR_VIRT_START before the MMU sees them, as Xen's access_ok/copy_from_guest do: a
// guest pointer into the hypervisor's 64 MB would otherwise let ring 1 read or write ring 0's data. A
// fault is an error result (Xen returns -EFAULT), never a fault on the guest.
#pragma once
#include "cpu/cpu.h"

namespace ring1::hv {

class GuestMemory {
 public:
  explicit GuestMemory(Cpu& cpu) : cpu_(cpu) {}

  // False if any byte of [lin, lin + len) is at or above the hypervisor's start, wraps, or does not map
  // for a supervisor access (read) / supervisor write (write).
  bool read(u32 lin, void* dst, u32 len);
  bool write(u32 lin, const void* src, u32 len);
  template <class T>
  bool read(u32 lin, T& v) {
    return read(lin, &v, sizeof(T));
  }
  template <class T>
  bool write(u32 lin, const T& v) {
    return write(lin, &v, sizeof(T));
  }

  static bool access_ok(u32 lin, u32 len);

 private:
  Cpu& cpu_;
};

}  // namespace ring1::hv
