// Basic value types shared by the CPU and the memory system.
// Addresses of different kinds get distinct types at module boundaries so that a frame number or a
// linear address passed where a physical byte address belongs is a compile error, not a silent bug.
#pragma once
#include <cstdint>

namespace ring1 {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i8 = std::int8_t;
using i16 = std::int16_t;
using i32 = std::int32_t;
using i64 = std::int64_t;

// Modelled cycles: the deterministic clock RDTSC reads. Never host time.
using Cycles = u64;

struct PhysAddr {
  u32 value;
  friend constexpr bool operator==(PhysAddr, PhysAddr) = default;
};

struct LinearAddr {
  u32 value;
  friend constexpr bool operator==(LinearAddr, LinearAddr) = default;
};

}  // namespace ring1
