// The memory management unit: linear addresses in, physical memory out.
// Segmentation is applied by the CPU before it gets here (it owns the segment caches); this unit translates
// the resulting linear address. With CR0.PG clear a linear address is the physical one. Paging and the modelled
// TLB (the translation cache, with the page walker as its slow path) plug into translate_slow().
//
// Accesses outside RAM behave like an unassigned bus on a PC: reads return all ones and writes are dropped,
// which is what QEMU's PC does for unassigned physical addresses.
#pragma once
#include <cstring>

#include "cpu/types.h"
#include "mmu/physical_memory.h"

namespace ring1 {

enum class Access : u8 { Read, Write, Execute };

class Mmu {
 public:
  explicit Mmu(PhysicalMemory& ram)
      : ram_(ram), host_(ram.host(0)), size_(ram.size()), code_(ram.code_marks()) {}

  PhysicalMemory& ram() { return ram_; }
  const PhysicalMemory& ram() const { return ram_; }

  template <class T>
  T read(u32 lin) {
    static_assert(sizeof(T) <= 4, "wider accesses are split by the instruction");
    if (u64(lin) + sizeof(T) <= size_) [[likely]] {
      T v;
      std::memcpy(&v, host_ + lin, sizeof(T));
      return v;
    }
    return static_cast<T>(read_slow(lin, sizeof(T)));
  }

  template <class T>
  void write(u32 lin, T v) {
    if (u64(lin) + sizeof(T) <= size_) [[likely]] {
      // A store into a frame holding decoded code drops that code first (self-modifying code).
      if (code_[lin >> kPageShift] | code_[(lin + sizeof(T) - 1) >> kPageShift]) [[unlikely]]
        ram_.note_write(lin, sizeof(T));
      std::memcpy(host_ + lin, &v, sizeof(T));
      return;
    }
    write_slow(lin, sizeof(T), v);
  }

  // Translates an instruction-fetch address; returns false if the address has no RAM behind it.
  bool translate_fetch(u32 lin, u32& phys) {
    phys = lin;
    return ram_.contains(lin, 1);
  }

 private:
  u32 read_slow(u32 lin, u32 size);
  void write_slow(u32 lin, u32 size, u32 value);

  PhysicalMemory& ram_;
  // Copies of RAM's fixed properties, so the fast path is one compare and one host access.
  u8* host_;
  u64 size_;
  const u8* code_;
};

}  // namespace ring1
