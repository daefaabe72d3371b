#include "jit/code_arena.h"

#include <sys/mman.h>

namespace ring1::jit {

// Reserved, not committed: the kernel backs only the pages code is written to.
CodeArena::CodeArena(size_t bytes) : size_(bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p != MAP_FAILED) base_ = static_cast<u8*>(p);
}

CodeArena::~CodeArena() {
  if (base_) munmap(base_, size_);
}

}  // namespace ring1::jit
