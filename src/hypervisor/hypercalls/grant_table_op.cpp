// grant_table_op(cmd, uop, count) (xen/include/public/grant_table.h), the two operations a domain uses on
// its own table before any other domain is involved, answered as Xen 3.2's do_grant_table_op
// (xen/common/grant_table.c): GNTTABOP_setup_table returns the frames of the shared table, growing it if
// asked for more; GNTTABOP_query_size says how many there are and may be. Both take exactly one operation
// (count 1, else -EINVAL) and report per-operation failures in the structure's status (GNTST_*) with the
// hypercall itself returning 0. Xen 3.2 had no GNTTABOP_set_version (a v2 table came with Xen 4.0), so
// that, like any unknown command, is -ENOSYS. GNTTABOP_map_grant_ref, unmap_grant_ref and copy take `count`
// operations each, done in order through GrantAccess (grant_access.h, which holds the rules); each reports
// its own status and the hypercall returns 0 unless an operation cannot be read or written back (-EFAULT).
// Each is charged hv_grant, a host mapping's page-table entry hv_validate_pte, and a copy's bytes as string
// iterations. Transfer (page flipping) is not implemented: -ENOSYS.
#include "hypervisor/grant_access.h"
#include "cpu/cpu.h"
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

// One grant operation's handler work, and the page-table entries it validated.
void charge_grant(Hypervisor& hv, u64 entries_before, u32 bytes = 0) {
  Cpu& c = hv.cpu();
  c.charge(c.costs().events.hv_grant + u64((bytes + 3) / 4) * c.costs().cost(CostClass::StringIter));
  hv.charge_work(hv.requests_so_far(), entries_before);
  c.add_handler_steps(1);  // as a batched request counts toward the instruction limit
}

i32 map_grant_ref(Hypervisor& hv, u32 uop, u32 count) {
  for (u32 i = 0; i < count; ++i) {
    const LinearAddr at{uop + i * u32(sizeof(xen::GnttabMapGrantRef))};
    xen::GnttabMapGrantRef op;
    if (!hv.guest().read(at, op)) return -xen::err::kEFAULT;
    const u64 ent0 = hv.entries_checked_so_far();
    hv.grants().map(hv.domain(), op);
    charge_grant(hv, ent0);
    if (!hv.guest().write(at, op)) return -xen::err::kEFAULT;
  }
  return 0;
}

i32 unmap_grant_ref(Hypervisor& hv, u32 uop, u32 count) {
  // The TLB work of the whole batch is done before the hypercall returns ("no stale mappings remain").
  MmuOutcome out;
  for (u32 i = 0; i < count && out.rc == 0; ++i) {
    const LinearAddr at{uop + i * u32(sizeof(xen::GnttabUnmapGrantRef))};
    xen::GnttabUnmapGrantRef op;
    if (!hv.guest().read(at, op)) {
      out.rc = -xen::err::kEFAULT;
      break;
    }
    const u64 ent0 = hv.entries_checked_so_far();
    std::optional<u32> flush;
    hv.grants().unmap(hv.domain(), op, flush);
    charge_grant(hv, ent0);
    if (flush && *flush == ~0u) out.tlb.flush_all = true;
    else if (flush) out.tlb.invlpg.push_back(LinearAddr{*flush});
    if (!hv.guest().write(at, op)) out.rc = -xen::err::kEFAULT;
  }
  return hv.finish_mmu(out);
}

i32 copy(Hypervisor& hv, u32 uop, u32 count) {
  for (u32 i = 0; i < count; ++i) {
    const LinearAddr at{uop + i * u32(sizeof(xen::GnttabCopy))};
    xen::GnttabCopy op;
    if (!hv.guest().read(at, op)) return -xen::err::kEFAULT;
    const u64 ent0 = hv.entries_checked_so_far();
    hv.grants().copy(hv.domain().id, op);
    charge_grant(hv, ent0, op.status == xen::kGntstOkay ? op.len : 0);
    if (!hv.guest().write(at, op)) return -xen::err::kEFAULT;
  }
  return 0;
}

}  // namespace

i32 do_grant_table_op(Hypervisor& hv, const HypercallArgs& a) {
  if (a.a3 > kMaxCount) return -xen::err::kEINVAL;
  switch (a.a1) {
    case xen::gnttabop::kSetupTable: return setup_table(hv, a.a2, a.a3);
    case xen::gnttabop::kQuerySize: return query_size(hv, a.a2, a.a3);
    case xen::gnttabop::kMapGrantRef: return map_grant_ref(hv, a.a2, a.a3);
    case xen::gnttabop::kUnmapGrantRef: return unmap_grant_ref(hv, a.a2, a.a3);
    case xen::gnttabop::kCopy: return copy(hv, a.a2, a.a3);
    default: return -xen::err::kENOSYS;
  }
}

}  // namespace ring1::hv
