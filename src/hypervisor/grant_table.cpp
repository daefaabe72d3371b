// The grant table's shared frames (see the header). They are taken from machine frames nobody owns, as
// Xen takes them from its heap, and kept in the domain (Domain::grant_frames).
#include "hypervisor/grant_table.h"

#include "hypervisor/hypervisor.h"

namespace ring1::hv {
namespace {

// A free machine frame, zeroed and given to `d` (allocation reference held, as share_xen_page_with_guest
// leaves it), with no pseudo-physical frame. Frame 0 is never used: a zero frame number reads as "none".
bool take_free_frame(Hypervisor& hv, DomainId d, Mfn& out) {
  FrameTable& ft = hv.frames();
  for (u32 f = 1; f < ft.nr_frames(); ++f) {
    const FrameInfo& i = ft.info(Mfn{f});
    if (i.owner != kNoOwner || i.allocated || i.ref_count != 0) continue;
    if (!ft.assign(Mfn{f}, d)) continue;
    static const u8 zero[kPageSize] = {};
    hv.ram().write_bytes(machine_addr(Mfn{f}).value, zero, kPageSize);
    hv.m2p().set(Mfn{f}, Pfn{MachToPhys::kInvalidEntry});
    out = Mfn{f};
    return true;
  }
  return false;
}

}  // namespace

bool grow_grant_table(Hypervisor& hv, u32 n) {
  Domain& d = hv.domain();
  if (n > kMaxGrantFrames) return false;
  while (d.grant_frames.size() < n) {
    Mfn m{0};
    if (!take_free_frame(hv, d.id, m)) return false;
    d.grant_frames.push_back(m);
  }
  return true;
}

u32 grant_frames(Hypervisor& hv) {
  Domain& d = hv.domain();
  if (d.grant_frames.empty()) grow_grant_table(hv, kInitialGrantFrames);
  return static_cast<u32>(d.grant_frames.size());
}

}  // namespace ring1::hv
