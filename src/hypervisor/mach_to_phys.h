// The machine-to-physical table (M2P): for every machine frame, the guest pseudo-physical frame its owner
// uses it as. Xen keeps it in its own memory and maps it read-only into every guest at MACH2PHYS_VIRT_START
// (0xFC000000 non-PAE), so guests can translate machine addresses found in page tables back to their own
// frame numbers (P §3.3.3, "Physical memory"). ring1 keeps it the same way: in hypervisor-owned frames of the
// emulated RAM, one little-endian u32 per machine frame, so a later mapping of those frames is the real table.
#pragma once
#include "hypervisor/frame_table.h"
#include "hypervisor/hv_types.h"

namespace ring1::hv {

class MachToPhys {
 public:
  // Xen's INVALID_M2P_ENTRY: the value of a frame no guest has claimed.
  static constexpr u32 kInvalidEntry = 0xFFFFFFFFu;

  // Places the table at `first` and the frames after it, claims them for the hypervisor in `frames` and
  // fills the table with kInvalidEntry. Throws std::invalid_argument if those frames are not all free.
  MachToPhys(FrameTable& frames, Mfn first);

  static u32 frames_needed(u32 nr_machine_frames) { return (nr_machine_frames * 4 + kPageSize - 1) / kPageSize; }

  Mfn first_frame() const { return first_; }
  u32 nr_frames() const { return nr_table_frames_; }

  Pfn get(Mfn m) const;
  void set(Mfn m, Pfn p);

 private:
  PhysicalMemory& ram_;
  Mfn first_;
  u32 nr_entries_;
  u32 nr_table_frames_;
};

}  // namespace ring1::hv
