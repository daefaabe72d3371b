// Guest RAM: one host allocation, addressed by physical byte address.
// It also keeps which 64-byte lines of each 4 KiB frame hold decoded code (and a "has any" byte per frame,
// the filter the MMU's store fast paths test): a write that overlaps such a line tells the decode cache to
// drop what it decoded there (self-modifying code, loaders), through a plain function pointer so the memory
// system does not depend on the CPU. Data written beside code in the same frame but not in its lines costs
// a bit test, not a re-decode.
#pragma once
#include <cstring>
#include <memory>
#include <vector>

#include "common/types.h"

namespace ring1 {

inline constexpr u32 kPageShift = 12;
inline constexpr u32 kPageSize = 1u << kPageShift;

class PhysicalMemory {
 public:
  // Called with the part [paddr, paddr + len) of a write that lies in one frame and overlaps its code lines.
  using CodeWriteHook = void (*)(void* ctx, u32 paddr, u32 len);
  static constexpr u32 kCodeLineShift = 6;  // 64-byte lines: 64 per frame, one u64 of marks

  explicit PhysicalMemory(u64 size_bytes);

  u64 size() const { return size_; }
  u8* host(u32 paddr) { return data_.get() + paddr; }
  const u8* host(u32 paddr) const { return data_.get() + paddr; }
  bool contains(u32 paddr, u32 len) const { return u64(paddr) + len <= size_; }

  // Host-side copies (loaders, tests, the hypervisor's own bookkeeping). They honour the code bits.
  void write_bytes(u32 paddr, const void* src, u32 len);
  void read_bytes(u32 paddr, void* dst, u32 len) const;

  bool frame_has_code(u32 frame) const { return code_[frame] != 0; }
  const u8* code_marks() const { return code_.data(); }
  // Marks the lines of [paddr, paddr + len), which lies inside one frame, as holding decoded code.
  void mark_code(u32 paddr, u32 len) {
    const u32 frame = paddr >> kPageShift;
    code_[frame] = 1;
    code_lines_[frame] |= line_mask(paddr, len);
  }
  void clear_code(u32 frame) {
    code_[frame] = 0;
    code_lines_[frame] = 0;
  }
  // The lines of [paddr, paddr + len) (inside one frame) as bits of a frame's mark word.
  static u64 line_mask(u32 paddr, u32 len) {
    const u32 first = (paddr & (kPageSize - 1)) >> kCodeLineShift;
    const u32 last = ((paddr & (kPageSize - 1)) + len - 1) >> kCodeLineShift;
    const u64 upto_last = last == 63 ? ~u64(0) : (u64(1) << (last + 1)) - 1;
    return upto_last & ~((u64(1) << first) - 1);
  }
  void set_code_write_hook(CodeWriteHook hook, void* ctx) { hook_ = hook; hook_ctx_ = ctx; }

  // Called before any write that touches [paddr, paddr + len): drops the decoded code it overlaps. A write of up to two frames (every CPU store) needs only its first and last looked at; a longer
  // one (a loader's, a hypervisor's copy) has frames in between, and each of them is.
  void note_write(u32 paddr, u32 len) {
    u32 first = paddr >> kPageShift, last = (paddr + len - 1) >> kPageShift;
    if (last - first > 1 || (code_[first] | code_[last])) [[unlikely]] notify_code_write(paddr, len);
  }

 private:
  void notify_code_write(u32 paddr, u32 len);

  u64 size_;
  std::unique_ptr<u8[]> data_;
  std::vector<u8> code_;  // one byte per frame, plus one guard frame
  std::vector<u64> code_lines_;  // per frame, bit n: line n holds decoded code
  CodeWriteHook hook_ = nullptr;
  void* hook_ctx_ = nullptr;
};

}  // namespace ring1
