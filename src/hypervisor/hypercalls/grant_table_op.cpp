// grant_table_op(cmd, uop, count) (xen/include/public/grant_table.h), the two operations a domain uses on
// its own table before any other domain is involved, answered as Xen 3.2's do_grant_table_op
// (xen/common/grant_table.c): GNTTABOP_setup_table returns the frames of the shared table, growing it if
// asked for more; GNTTABOP_query_size says how many there are and may be. Both take exactly one operation
// (count 1, else -EINVAL) and report per-operation failures in the structure's status (GNTST_*) with the
// hypercall itself returning 0. Xen 3.2 had no GNTTABOP_set_version (a v2 table came with Xen 4.0), so
// that, like any unknown command, is -ENOSYS. Mapping, unmapping, transfer and copy need a second domain
// (the domains issue) and are -ENOSYS here too.
#include "hypervisor/grant_table.h"
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

constexpr u32 kMaxCount = 512;  // do_grant_table_op refuses larger batches outright

// Which domain an operation names: only DOMID_SELF for an unprivileged domain (anything else, even its
// own id, is permission denied); a privileged one may name any existing domain, and ring1 has one.
i16 target_status(Hypervisor& hv, u16 dom) {
  if (dom == xen::kDomidSelf) return xen::kGntstOkay;
  if (!hv.domain().privileged) return xen::kGntstPermissionDenied;
  return dom == hv.domain().id.value ? xen::kGntstOkay : xen::kGntstBadDomain;
}

i32 setup_table(Hypervisor& hv, u32 uop, u32 count) {
  if (count != 1) return -xen::err::kEINVAL;
  xen::GnttabSetupTable op;
  if (!hv.guest().read(LinearAddr{uop}, op)) return -xen::err::kEFAULT;
  if (op.nr_frames > kMaxGrantFrames) {
    op.status = xen::kGntstGeneralError;
  } else if ((op.status = target_status(hv, op.dom)) == xen::kGntstOkay) {
    if (op.nr_frames > grant_frames(hv) && !grow_grant_table(hv, op.nr_frames)) {
      op.status = xen::kGntstGeneralError;
    } else {
      // The frame list is written entry by entry and a failed write is ignored (Xen: (void)copy_to_guest).
      for (u32 i = 0; i < op.nr_frames; ++i) {
        const u32 mfn = hv.domain().grant_frames[i].value;  // a PV guest's gmfn is the machine frame
        hv.guest().write(LinearAddr{op.frame_list + 4 * i}, mfn);
      }
    }
  }
  return hv.guest().write(LinearAddr{uop}, op) ? 0 : -xen::err::kEFAULT;
}

i32 query_size(Hypervisor& hv, u32 uop, u32 count) {
  if (count != 1) return -xen::err::kEINVAL;
  xen::GnttabQuerySize op;
  if (!hv.guest().read(LinearAddr{uop}, op)) return -xen::err::kEFAULT;
  if ((op.status = target_status(hv, op.dom)) == xen::kGntstOkay) {
    op.nr_frames = grant_frames(hv);
    op.max_nr_frames = kMaxGrantFrames;
  }
  return hv.guest().write(LinearAddr{uop}, op) ? 0 : -xen::err::kEFAULT;
}

}  // namespace

i32 do_grant_table_op(Hypervisor& hv, const HypercallArgs& a) {
  if (a.a3 > kMaxCount) return -xen::err::kEINVAL;
  switch (a.a1) {
    case xen::gnttabop::kSetupTable: return setup_table(hv, a.a2, a.a3);
    case xen::gnttabop::kQuerySize: return query_size(hv, a.a2, a.a3);
    default: return -xen::err::kENOSYS;
  }
}

}  // namespace ring1::hv
