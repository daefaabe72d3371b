// Guest RAM: one host allocation, addressed by physical byte address.
// It also keeps the "holds decoded code" bit per 4 KiB frame: a write to such a frame tells the decode cache
// to drop what it decoded there (self-modifying code, loaders), through a plain function pointer so the
// memory system does not depend on the CPU.
#pragma once
#include <cstring>
#include <memory>
#include <vector>

#include "cpu/types.h"

namespace ring1 {

inline constexpr u32 kPageShift = 12;
inline constexpr u32 kPageSize = 1u << kPageShift;

class PhysicalMemory {
 public:
  using CodeWriteHook = void (*)(void* ctx, u32 frame);

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
  void mark_code(u32 frame) { code_[frame] = 1; }
  void clear_code(u32 frame) { code_[frame] = 0; }
  void set_code_write_hook(CodeWriteHook hook, void* ctx) { hook_ = hook; hook_ctx_ = ctx; }

  // Called before any write that touches [paddr, paddr + len): drops decoded code in every one of those
  // frames. A write of up to two frames (every CPU store) needs only its first and last looked at; a longer
  // one (a loader's, a hypervisor's copy) has frames in between, and each of them is.
  void note_write(u32 paddr, u32 len) {
    u32 first = paddr >> kPageShift, last = (paddr + len - 1) >> kPageShift;
    if (last - first > 1 || (code_[first] | code_[last])) [[unlikely]] notify_code_write(first, last);
  }

 private:
  void notify_code_write(u32 first, u32 last);

  u64 size_;
  std::unique_ptr<u8[]> data_;
  std::vector<u8> code_;  // one byte per frame, plus one guard frame
  CodeWriteHook hook_ = nullptr;
  void* hook_ctx_ = nullptr;
};

}  // namespace ring1
