// The M2P table in hypervisor frames of guest RAM (see mach_to_phys.h).
#include "hypervisor/mach_to_phys.h"

#include <stdexcept>

namespace ring1::hv {

MachToPhys::MachToPhys(FrameTable& frames, Mfn first)
    : ram_(frames.ram()),
      first_(first),
      nr_entries_(frames.nr_frames()),
      nr_table_frames_(frames_needed(frames.nr_frames())) {
  if (u64(first.value) + nr_table_frames_ > frames.nr_frames())
    throw std::invalid_argument("M2P table does not fit in RAM");
  for (u32 i = 0; i < nr_table_frames_; ++i)
    if (!frames.assign_to_hypervisor(Mfn{first.value + i}))
      throw std::invalid_argument("M2P table frames are not free");
  for (u32 i = 0; i < nr_entries_; ++i) set(Mfn{i}, Pfn{kInvalidEntry});
}

Pfn MachToPhys::get(Mfn m) const {
  if (m.value >= nr_entries_) return Pfn{kInvalidEntry};
  u32 v;
  ram_.read_bytes(machine_addr(first_).value + m.value * 4, &v, 4);
  return Pfn{v};
}

void MachToPhys::set(Mfn m, Pfn p) {
  if (m.value >= nr_entries_) throw std::out_of_range("M2P entry outside RAM");
  ram_.write_bytes(machine_addr(first_).value + m.value * 4, &p.value, 4);
}

}  // namespace ring1::hv
