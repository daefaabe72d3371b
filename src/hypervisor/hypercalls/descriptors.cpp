// The guest's segment descriptors (xen/include/public/xen.h: set_gdt, update_descriptor): a guest GDT is
// made of the domain's own frames, each typed as a descriptor page only after all 512 of its descriptors pass
// Xen's check_descriptor (frame_table.cpp: no DPL 0, no segment reaching the hypervisor's 64 MB, no system
// descriptor but a call gate that does not lead into the hypervisor's code), and then mapped into the first
// 14 pages of the hypervisor's GDT. Once typed, a frame can never be mapped writable by the guest, so a
// descriptor changes only through update_descriptor, validated the same way.
#include "hypervisor/hypercalls/hypercalls.h"
#include "cpu/cpu.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

constexpr u32 kEntriesPerPage = kPageSize / 8;

}  // namespace

// set_gdt(frame_list, entries) (Xen: do_set_gdt / set_gdt): up to 14 frames for `entries` descriptors.
i32 do_set_gdt(Hypervisor& hv, const HypercallArgs& a) {
  const u32 entries = a.a2;
  if (entries > kFirstReservedGdtEntry) return -xen::err::kEINVAL;
  const u32 nr_frames = (entries + kEntriesPerPage - 1) / kEntriesPerPage;
  u32 frames[HypervisorSpace::kGuestGdtPages] = {};
  if (nr_frames && !hv.guest().copy_from(LinearAddr{a.a1}, frames, nr_frames * 4)) return -xen::err::kEFAULT;
  FrameTable& ft = hv.frames();
  const DomainId d = hv.domain().id;
  // Take every new frame's descriptor type first; on any failure give back what was taken.
  for (u32 i = 0; i < nr_frames; ++i) {
    if (!ft.get_page_and_type(Mfn{frames[i]}, d, FrameType::SegDesc)) {
      for (u32 j = 0; j < i; ++j) ft.put_page_and_type(Mfn{frames[j]});
      return -xen::err::kEINVAL;
    }
  }
  VirtualCpu& v = hv.vcpu();
  for (u32 i = 0; i < v.gdt_frames; ++i) ft.put_page_and_type(Mfn{v.gdt_frame[i]});
  Cpu& c = hv.cpu();
  for (u32 i = 0; i < HypervisorSpace::kGuestGdtPages; ++i) {
    if (i < nr_frames) {
      hv.space().set_gdt_page(i, frames[i]);
      v.gdt_frame[i] = frames[i];
    } else {
      hv.space().reset_gdt_page(i);
    }
    c.mmu().invlpg(kGdtBase + i * kPageSize);
  }
  v.gdt_frames = nr_frames;
  return 0;
}

// update_descriptor(ma_lo, ma_hi, desc_lo, desc_hi) (Xen: do_update_descriptor): one descriptor at machine
// address ma, in a frame of the domain that is a descriptor page or can be a writable one, replaced by a
// descriptor that passes check_descriptor.
i32 do_update_descriptor(Hypervisor& hv, const HypercallArgs& a) {
  const u32 ma = a.a1;
  if (a.a2 != 0 || (ma & 7)) return -xen::err::kEINVAL;  // non-PAE: no machine address above 4 GiB
  if (!check_descriptor(a.a3, a.a4)) return -xen::err::kEINVAL;
  FrameTable& ft = hv.frames();
  const Mfn m{ma >> kPageShift};
  const DomainId d = hv.domain().id;
  if (!ft.valid(m) || !ft.get_page(m, d)) return -xen::err::kEINVAL;
  const FrameType t = ft.info(m).type == FrameType::SegDesc ? FrameType::SegDesc : FrameType::Writable;
  if (!ft.get_page_type(m, t)) {
    ft.put_page(m);
    return -xen::err::kEINVAL;
  }
  const u32 desc[2] = {a.a3, a.a4};
  hv.ram().write_bytes(ma, desc, 8);
  ft.put_page_type(m);
  ft.put_page(m);
  return 0;
}

}  // namespace ring1::hv
