// IA-32 architectural bit constants, declared once for every layer: the control registers CR0 and CR4 (SDM
// vol. 3, 2.5) and the non-PAE paging entries (SDM vol. 3, 4.3, tables 4-5 and 4-6). EFLAGS is in eflags.h.
// The CPU, the MMU and the hypervisor read these names instead of declaring their own copies.
#pragma once
#include "common/types.h"

namespace ring1 {

namespace cr0 {
inline constexpr u32 PE = 1u << 0;   // protection enable
inline constexpr u32 MP = 1u << 1;   // monitor coprocessor
inline constexpr u32 EM = 1u << 2;   // x87 emulation
inline constexpr u32 TS = 1u << 3;   // task switched
inline constexpr u32 ET = 1u << 4;   // extension type (reads as 1 on the 486 and later)
inline constexpr u32 NE = 1u << 5;   // numeric error
inline constexpr u32 WP = 1u << 16;  // write protect: supervisor writes honour read-only pages
inline constexpr u32 AM = 1u << 18;  // alignment mask
inline constexpr u32 NW = 1u << 29;  // not write-through
inline constexpr u32 CD = 1u << 30;  // cache disable
inline constexpr u32 PG = 1u << 31;  // paging
}  // namespace cr0

namespace cr4 {
inline constexpr u32 VME = 1u << 0;  // virtual-8086 mode extensions
inline constexpr u32 PVI = 1u << 1;  // protected-mode virtual interrupts
inline constexpr u32 TSD = 1u << 2;  // time stamp disable (RDTSC at CPL 0 only)
inline constexpr u32 DE = 1u << 3;   // debugging extensions
inline constexpr u32 PSE = 1u << 4;  // 4 MiB pages
inline constexpr u32 PAE = 1u << 5;  // physical address extension
inline constexpr u32 MCE = 1u << 6;  // machine-check enable
inline constexpr u32 PGE = 1u << 7;  // global pages
inline constexpr u32 PCE = 1u << 8;  // RDPMC at any CPL
}  // namespace cr4

// Non-PAE page-directory and page-table entries. Bit 7 is PS in a directory entry and PAT in a table entry.
namespace pte {
inline constexpr u32 Present = 1u << 0;
inline constexpr u32 Writable = 1u << 1;
inline constexpr u32 User = 1u << 2;
inline constexpr u32 WriteThrough = 1u << 3;
inline constexpr u32 CacheDisable = 1u << 4;
inline constexpr u32 Accessed = 1u << 5;
inline constexpr u32 Dirty = 1u << 6;
inline constexpr u32 LargePage = 1u << 7;  // PS, in a directory entry
inline constexpr u32 Pat = 1u << 7;        // PAT, in a table entry
inline constexpr u32 Global = 1u << 8;
inline constexpr u32 FrameMask = 0xFFFFF000u;
}  // namespace pte

inline constexpr u32 kEntriesPerTable = 1024;  // 4-byte entries in a 4 KiB table, non-PAE

}  // namespace ring1
