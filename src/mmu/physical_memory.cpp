#include "mmu/physical_memory.h"

#include <algorithm>
#include <stdexcept>

namespace ring1 {

PhysicalMemory::PhysicalMemory(u64 size_bytes)
    : size_(size_bytes),
      // Value-initialised: guest RAM starts zeroed, as QEMU's does.
      data_(new u8[size_bytes + 8]()),
      code_((size_bytes >> kPageShift) + 2, 0),
      code_lines_((size_bytes >> kPageShift) + 2, 0) {
  if (size_bytes == 0 || size_bytes > (u64(1) << 32)) throw std::invalid_argument("RAM size must be 1 byte to 4 GiB");
}

void PhysicalMemory::write_bytes(u32 paddr, const void* src, u32 len) {
  if (len == 0) return;
  if (!contains(paddr, len)) throw std::out_of_range("physical write outside RAM");
  note_write(paddr, len);
  std::memcpy(data_.get() + paddr, src, len);
}

void PhysicalMemory::read_bytes(u32 paddr, void* dst, u32 len) const {
  if (len == 0) return;
  if (!contains(paddr, len)) throw std::out_of_range("physical read outside RAM");
  std::memcpy(dst, data_.get() + paddr, len);
}

void PhysicalMemory::notify_code_write(u32 paddr, u32 len) {
  const u64 end = u64(paddr) + len;
  for (u64 at = paddr; at < end;) {
    const u32 f = u32(at >> kPageShift);
    const u64 frame_end = std::min<u64>(end, (u64(f) + 1) << kPageShift);
    const u32 part = u32(frame_end - at);
    if (code_[f] && (code_lines_[f] & line_mask(u32(at), part)) && hook_) hook_(hook_ctx_, u32(at), part);
    at = frame_end;
  }
}

}  // namespace ring1
