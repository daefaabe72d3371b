// Host memory for translated code: one executable region, filled front to back and emptied all at once.
// Emptying moves the epoch on, which makes every block's translation from an earlier epoch stale without
// visiting the blocks (decode_cache.h, Block::jit_epoch), so no translation is ever freed one by one.
#pragma once
#include <cstddef>

#include "common/types.h"

namespace ring1::jit {

class CodeArena {
 public:
  explicit CodeArena(size_t bytes);
  ~CodeArena();
  CodeArena(const CodeArena&) = delete;
  CodeArena& operator=(const CodeArena&) = delete;

  u8* cursor() { return base_ + used_; }
  size_t remaining() const { return size_ - used_; }
  void commit(size_t bytes) { used_ += (bytes + 15) & ~size_t(15); }
  // Drops every translation: the next epoch starts with the whole region free.
  void reset() {
    used_ = 0;
    ++epoch_;
  }
  u32 epoch() const { return epoch_; }
  bool valid() const { return base_ != nullptr; }

 private:
  u8* base_ = nullptr;
  size_t size_ = 0;
  size_t used_ = 0;
  u32 epoch_ = 1;  // 0 is no block's epoch: a fresh Block's translation is stale
};

}  // namespace ring1::jit
