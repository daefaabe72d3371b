// Guest memory as the debugger and the tracer see it: linear addresses through the current page tables
// (segmentation ignored, supervisor rights, no accessed/dirty updates, no TLB fills and no counters: the
// walk is Mmu::probe), or physical addresses when asked. Reads and writes stop at the first byte that has
// no RAM behind it, so the caller can answer "partly readable" or "not at all".
#pragma once
#include <string>

#include "common/types.h"

namespace ring1 {

class Mmu;

// Copies up to `len` bytes from `addr` into `out`; returns how many were readable from the start.
u32 debug_read(const Mmu& mmu, u32 addr, u32 len, u8* out, bool physical);
// Writes up to `len` bytes; returns how many were written. Decoded code in the written frames is dropped as
// for any other write to code (PhysicalMemory::write_bytes), so the next execution sees the new bytes.
u32 debug_write(Mmu& mmu, u32 addr, const u8* data, u32 len, bool physical);

}  // namespace ring1
