// memory_op(cmd, arg) (xen/memory.h; Xen 3.x's common/memory.c): the balloon path. A domain gives frames
// back (XENMEM_decrease_reservation, by machine frame number: a PV guest's GMFN is the MFN) and takes free
// ones (XENMEM_increase_reservation, answering their MFNs; XENMEM_populate_physmap, placing each at a pfn
// in the M2P), within its maximum reservation, one 4 KiB extent at a time (extent_order 0: an unprivileged
// domain may not ask for more). Each call returns how many extents it did; the first that fails ends it.
// A frame given back goes the way Xen's guest_remove_page sends it: its pin is dropped, then its allocation
// reference, and it returns to the free pool only when its last reference (a mapping, a base pointer, a
// parent table) goes; a frame the domain does not own is refused.
#include "hypervisor/hypercalls/hypercalls.h"
#include "cpu/cpu.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/domain_builder.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

constexpr u32 kIncreaseReservation = 0, kDecreaseReservation = 1, kMaximumRamPage = 2, kCurrentReservation = 3,
              kMaximumReservation = 4, kPopulatePhysmap = 6;
constexpr u32 kCmdMask = 0x3F, kExtentShift = 6;  // MEMOP_CMD_MASK, MEMOP_EXTENT_SHIFT (continuations)

// struct xen_memory_reservation on x86_32.
struct Reservation {
  u32 extent_start;
  u32 nr_extents;
  u32 extent_order;
  u32 mem_flags;
  u16 domid;
  u16 pad;
};
static_assert(sizeof(Reservation) == 20);

bool own_domain(const Hypervisor& hv, u16 id) { return id == xen::kDomidSelf || id == hv.domain().id.value; }

// The lowest free machine frame a domain may be given (the first megabyte and the hypervisor's frames never).
std::optional<Mfn> free_frame(const Hypervisor& hv) {
  const FrameTable& ft = hv.frames();
  for (u32 f = kFirstDomainFrame; f < hv.space().first_reserved_frame(); ++f) {
    const FrameInfo& i = ft.info(Mfn{f});
    if (i.owner == kNoOwner && i.ref_count == 0) return Mfn{f};
  }
  return std::nullopt;
}

i32 reservation_op(Hypervisor& hv, u32 cmd, u32 start, u32 arg) {
  Reservation r;
  if (!hv.guest().read(LinearAddr{arg}, r)) return -xen::err::kEFAULT;
  if (start > r.nr_extents) return static_cast<i32>(start);
  // Xen 3.x: several pages per extent only for a domain allowed multipage allocations; another domain's
  // reservation only for a privileged one. Either way the call does nothing and says so.
  if (r.extent_order != 0 || !own_domain(hv, r.domid)) return static_cast<i32>(start);
  if (r.extent_start == 0 && cmd != kIncreaseReservation) return static_cast<i32>(start);
  if (r.extent_start && !array_access_ok(LinearAddr{r.extent_start}, r.nr_extents, 4)) return static_cast<i32>(start);
  Domain& d = hv.domain();
  FrameTable& ft = hv.frames();
  u32 i = start;
  for (; i < r.nr_extents; ++i) {
    const LinearAddr slot{r.extent_start + i * 4};
    if (cmd == kDecreaseReservation) {
      u32 gmfn;
      if (!hv.guest().read(slot, gmfn)) break;
      const Mfn m{gmfn};
      if (!ft.valid(m) || !ft.get_page(m, d.id)) break;  // Xen: "Bad page free for domain"
      if (ft.info(m).pinned) ft.unpin(m, d.id);
      if (ft.release(m, d.id)) --d.tot_pages;
      hv.m2p().set(m, Pfn{MachToPhys::kInvalidEntry});
      ft.put_page(m);
    } else {
      u32 gpfn = 0;
      if (cmd == kPopulatePhysmap && !hv.guest().read(slot, gpfn)) break;
      if (d.tot_pages >= d.max_pages) break;  // over the domain's maximum reservation
      const std::optional<Mfn> m = free_frame(hv);
      if (!m || !ft.assign(*m, d.id)) break;
      ++d.tot_pages;
      if (cmd == kPopulatePhysmap) hv.m2p().set(*m, Pfn{gpfn});
      if (r.extent_start && !hv.guest().write(slot, m->value)) {
        // Xen frees the extent it could not report, and stops.
        ft.release(*m, d.id);
        --d.tot_pages;
        break;
      }
    }
  }
  const u32 done = i - start;
  hv.cpu().charge(u64(done) * hv.cpu().costs().events.hv_request);
  if (done) hv.cpu().add_handler_steps(done);
  return static_cast<i32>(i);
}

}  // namespace

i32 do_memory_op(Hypervisor& hv, const HypercallArgs& a) {
  const u32 cmd = a.a1 & kCmdMask, start = a.a1 >> kExtentShift;
  switch (cmd) {
    case kIncreaseReservation:
    case kDecreaseReservation:
    case kPopulatePhysmap: return reservation_op(hv, cmd, start, a.a2);
    case kMaximumRamPage: return static_cast<i32>(hv.frames().nr_frames());
    case kCurrentReservation:
    case kMaximumReservation: {
      u16 dom;
      if (!hv.guest().read(LinearAddr{a.a2}, dom)) return -xen::err::kEFAULT;
      if (!own_domain(hv, dom)) return -xen::err::kEPERM;  // another domain's: the control domain's to ask
      const Domain& d = hv.domain();
      return static_cast<i32>(cmd == kCurrentReservation ? d.tot_pages : d.max_pages);
    }
    default: return -xen::err::kENOSYS;
  }
}

}  // namespace ring1::hv
