// The grant rules (see the header), each after the part of Xen 3.2's xen/common/grant_table.c it follows:
// __gnttab_map_grant_ref and _set_status for acquire(), __gnttab_unmap_common for release() and unmap(),
// __gnttab_copy for copy(). Every refusal changes nothing: references and busy bits are taken last, after
// every check has passed, and a page-table entry that does not validate gives them back.
#include "hypervisor/grant_access.h"

#include <cstring>

namespace ring1::hv {

u32 GrantAccess::entry_addr(DomainId granter, u32 ref) const {
  const std::vector<Mfn>* gf = frames_of_(context_, granter);
  if (!gf || ref / xen::kGrantEntriesPerFrame >= gf->size()) return 0;
  const Mfn f = (*gf)[ref / xen::kGrantEntriesPerFrame];
  return machine_addr(f, (ref % xen::kGrantEntriesPerFrame) * sizeof(xen::GrantEntryV1)).value;
}

bool GrantAccess::read_entry(DomainId granter, u32 ref, xen::GrantEntryV1& out) const {
  const u32 p = entry_addr(granter, ref);
  if (!p) return false;
  frames_.ram().read_bytes(p, &out, sizeof out);
  return true;
}

GrantAccess::Access GrantAccess::acquire(DomainId mapper, DomainId granter, u32 ref, bool readonly) {
  Access a;
  if (!frames_of_(context_, granter)) {
    a.status = refuse(xen::kGntstBadDomain);
    return a;
  }
  const u32 p = entry_addr(granter, ref);
  if (!p) {
    a.status = refuse(xen::kGntstBadGntref);
    return a;
  }
  xen::GrantEntryV1 e;
  frames_.ram().read_bytes(p, &e, sizeof e);
  const auto key = std::make_pair(granter.value, ref);
  auto it = active_.find(key);
  Mfn frame{e.frame};
  if (it != active_.end()) {
    // Already in use: only by the domain it was first mapped for (Xen checks act->domid), and the frame is
    // the one then read, whatever the guest has written into the entry since.
    if (it->second.mapper != mapper) {
      a.status = refuse(xen::kGntstGeneralError);
      return a;
    }
    frame = it->second.frame;
    // A first writable use of a read-mapped entry re-reads the entry's flags, as _set_status does.
    if (!readonly && it->second.writers == 0 && (e.flags & xen::gtf::kReadonly)) {
      a.status = refuse(xen::kGntstGeneralError);
      return a;
    }
  } else {
    // _set_status: a grant of access to exactly this domain, and writable if a writable use is asked for.
    if ((e.flags & xen::gtf::kTypeMask) != xen::gtf::kPermitAccess || e.domid != mapper.value ||
        (!readonly && (e.flags & xen::gtf::kReadonly))) {
      a.status = refuse(xen::kGntstGeneralError);
      return a;
    }
  }
  // The frame must be the granter's ("Could not pin the granted frame"); a writable use takes the writable
  // type, which a page table or descriptor page of the granter cannot give.
  const bool got = readonly ? frames_.get_page(frame, granter)
                            : frames_.get_page_and_type(frame, granter, FrameType::Writable);
  if (!got) {
    a.status = refuse(xen::kGntstGeneralError);
    return a;
  }
  u32 handle = 0;
  while (handle < tracks_.size() && tracks_[handle].used) ++handle;
  if (handle >= kMaxHandles) {
    if (readonly) frames_.put_page(frame);
    else frames_.put_page_and_type(frame);
    a.status = refuse(xen::kGntstNoDeviceSpace);
    return a;
  }
  if (handle == tracks_.size()) tracks_.emplace_back();
  tracks_[handle] = Track{true, mapper, granter, ref, readonly, false, Mfn{0}, 0};
  ActiveGrants::Active& act = active_[key];
  act.mapper = mapper;
  act.frame = frame;
  if (readonly) ++act.readers;
  else ++act.writers;
  e.flags |= xen::gtf::kReading;
  if (!readonly) e.flags |= xen::gtf::kWriting;
  frames_.ram().write_bytes(p, &e.flags, sizeof e.flags);
  ++live_;
  ++stats_.maps;
  a.frame = frame;
  a.handle = handle;
  return a;
}

void GrantAccess::drop(u32 handle) {
  Track& t = tracks_[handle];
  const auto key = std::make_pair(t.granter.value, t.ref);
  ActiveGrants::Active& act = active_.at(key);
  if (t.readonly) {
    --act.readers;
    frames_.put_page(act.frame);
  } else {
    --act.writers;
    frames_.put_page_and_type(act.frame);
  }
  // The busy bits go with the last mapping of each kind (__gnttab_unmap_common clears _GTF_writing, then
  // _GTF_reading when the entry is no longer pinned at all). The granter's table cannot shrink, so the entry
  // is still there.
  if (const u32 p = entry_addr(t.granter, t.ref)) {
    u16 flags;
    frames_.ram().read_bytes(p, &flags, sizeof flags);
    if (act.writers == 0) flags &= ~xen::gtf::kWriting;
    if (act.writers == 0 && act.readers == 0) flags &= ~xen::gtf::kReading;
    frames_.ram().write_bytes(p, &flags, sizeof flags);
  }
  if (act.writers == 0 && act.readers == 0) active_.erase(key);
  t = Track{};
  --live_;
  ++stats_.unmaps;
}

i16 GrantAccess::release(DomainId mapper, u32 handle) {
  if (handle >= tracks_.size() || !tracks_[handle].used || tracks_[handle].mapper != mapper || tracks_[handle].host)
    return refuse(xen::kGntstBadHandle);
  drop(handle);
  return xen::kGntstOkay;
}

u32 GrantAccess::release_all() {
  u32 n = 0;
  for (u32 h = 0; h < tracks_.size(); ++h)
    if (tracks_[h].used) {
      drop(h);
      ++n;
    }
  return n;
}

bool GrantAccess::locate_pte(const Domain& mapper, u64 host_addr, bool contains_pte, Mfn& table, u32& slot) const {
  if (contains_pte) {
    // The machine address of an entry in one of the mapper's own page tables (create_grant_pte_mapping).
    if (host_addr >> 32 || (host_addr & 3)) return false;
    const MachineAddr ma{static_cast<u32>(host_addr)};
    if (!frames_.valid(ma.frame()) || frames_.info(ma.frame()).owner != mapper.id) return false;
    table = ma.frame();
    slot = ma.offset() / 4;
    return true;
  }
  // A virtual address below the hypervisor in the current address space (create_grant_va_mapping): the L1
  // table its directory slot points to, as update_va_mapping finds it.
  if (host_addr >= xen::kHypervisorVirtStart || !mapper.guest_table) return false;
  const u32 va = static_cast<u32>(host_addr);
  const u32 l2e = frames_.read_entry(*mapper.guest_table, va >> 22);
  if (!pte::present(l2e)) return false;
  table = pte::frame(l2e);
  slot = (va >> 12) & (kEntriesPerTable - 1);
  return true;
}

void GrantAccess::map(const Domain& mapper, xen::GnttabMapGrantRef& op) {
  op.handle = 0;
  op.dev_bus_addr = 0;
  // A mapping must be for the host's page tables or for devices (Xen: GNTST_bad_gntref otherwise).
  if ((op.flags & (xen::gntmap::kDeviceMap | xen::gntmap::kHostMap)) == 0) {
    op.status = refuse(xen::kGntstBadGntref);
    return;
  }
  const DomainId granter{op.dom == xen::kDomidSelf ? mapper.id.value : op.dom};
  const bool readonly = (op.flags & xen::gntmap::kReadonly) != 0;
  Mfn table{0};
  u32 slot = 0;
  if ((op.flags & xen::gntmap::kHostMap) &&
      !locate_pte(mapper, op.host_addr, (op.flags & xen::gntmap::kContainsPte) != 0, table, slot)) {
    op.status = refuse(xen::kGntstGeneralError);
    return;
  }
  const Access a = acquire(mapper.id, granter, op.ref, readonly);
  if (a.status != xen::kGntstOkay) {
    op.status = a.status;
    return;
  }
  if (op.flags & xen::gntmap::kHostMap) {
    // The entry a PV kernel gets (GRANT_PTE_FLAGS): present, accessed, dirty, writable unless read-only, user
    // only for GNTMAP_application_map. It is validated by mod_l1_entry as an mmu_update's would be, with
    // the granter as the frame's owner, and it holds its own references, like any entry.
    u32 entry = machine_addr(a.frame).value | pte::Present | pte::Accessed | pte::Dirty;
    if (!readonly) entry |= pte::Writable;
    if (op.flags & xen::gntmap::kApplicationMap) entry |= pte::User;
    if (!frames_.mod_l1_entry(table, slot, entry, granter)) {
      drop(a.handle);
      --stats_.unmaps;
      op.status = refuse(xen::kGntstGeneralError);
      return;
    }
    Track& t = tracks_[a.handle];
    t.host = true;
    t.pte_table = table;
    t.pte_slot = slot;
    ++stats_.host_mappings;
  }
  if (op.flags & xen::gntmap::kDeviceMap) op.dev_bus_addr = machine_addr(a.frame).value;
  op.handle = a.handle;
  op.status = xen::kGntstOkay;
}

void GrantAccess::unmap(const Domain& mapper, xen::GnttabUnmapGrantRef& op, std::optional<u32>& flush_va) {
  flush_va.reset();
  if (op.handle >= tracks_.size() || !tracks_[op.handle].used || tracks_[op.handle].mapper != mapper.id) {
    op.status = refuse(xen::kGntstBadHandle);
    return;
  }
  Track& t = tracks_[op.handle];
  const Mfn frame = active_.at(std::make_pair(t.granter.value, t.ref)).frame;
  if (op.dev_bus_addr != 0 && op.dev_bus_addr != machine_addr(frame).value) {
    op.status = refuse(xen::kGntstBadDevAddr);
    return;
  }
  if (t.host) {
    // A host mapping goes only when host_addr names it (a zero host_addr leaves it, as in Xen), and only if
    // its entry still maps the granted frame: the grant is not undone through an entry the guest replaced.
    if (op.host_addr == 0) {
      op.status = xen::kGntstOkay;
      return;
    }
    Mfn table{0};
    u32 slot = 0;
    const bool pte_addr = (op.host_addr >> 32) == 0 && machine_addr(t.pte_table, t.pte_slot * 4).value == op.host_addr;
    if (!pte_addr && (!locate_pte(mapper, op.host_addr, false, table, slot) || table != t.pte_table || slot != t.pte_slot)) {
      op.status = refuse(xen::kGntstGeneralError);
      return;
    }
    const u32 e = frames_.read_entry(t.pte_table, t.pte_slot);
    if (!pte::present(e) || pte::frame(e) != frame || !frames_.mod_l1_entry(t.pte_table, t.pte_slot, 0, mapper.id)) {
      op.status = refuse(xen::kGntstGeneralError);
      return;
    }
    if (!pte_addr) flush_va = static_cast<u32>(op.host_addr);
    else flush_va = ~0u;  // only the entry's address is known: the whole TLB
    t.host = false;
  }
  drop(op.handle);
  op.status = xen::kGntstOkay;
}

void GrantAccess::copy(DomainId caller, xen::GnttabCopy& op) {
  // __gnttab_copy: neither side may cross its page; a side named by frame must be the caller's own.
  if (u32(op.source.offset) + op.len > kPageSize || u32(op.dest.offset) + op.len > kPageSize) {
    op.status = refuse(xen::kGntstBadCopyArg);
    return;
  }
  const bool src_gref = op.flags & xen::gntcopy::kSourceGref, dst_gref = op.flags & xen::gntcopy::kDestGref;
  if ((!src_gref && op.source.domid != xen::kDomidSelf) || (!dst_gref && op.dest.domid != xen::kDomidSelf)) {
    op.status = refuse(xen::kGntstPermissionDenied);
    return;
  }
  auto dom = [&](u16 d) { return DomainId{d == xen::kDomidSelf ? caller.value : d}; };
  Access s, d;
  Mfn s_frame{op.source.ref_or_gmfn}, d_frame{op.dest.ref_or_gmfn};
  if (src_gref) {
    s = acquire(caller, dom(op.source.domid), op.source.ref_or_gmfn, true);
    if (s.status != xen::kGntstOkay) {
      op.status = s.status;
      return;
    }
    s_frame = s.frame;
  } else if (!frames_.get_page(s_frame, caller)) {
    op.status = refuse(xen::kGntstGeneralError);
    return;
  }
  auto put_source = [&] {
    if (src_gref) drop(s.handle);
    else frames_.put_page(s_frame);
  };
  if (dst_gref) {
    d = acquire(caller, dom(op.dest.domid), op.dest.ref_or_gmfn, false);
    if (d.status != xen::kGntstOkay) {
      put_source();
      op.status = d.status;
      return;
    }
    d_frame = d.frame;
  } else if (!frames_.get_page_and_type(d_frame, caller, FrameType::Writable)) {
    put_source();
    op.status = refuse(xen::kGntstGeneralError);
    return;
  }
  if (op.len) {
    frames_.ram().note_write(machine_addr(d_frame, op.dest.offset).value, op.len);
    std::memmove(frames_.ram().host(machine_addr(d_frame, op.dest.offset).value),
                 frames_.ram().host(machine_addr(s_frame, op.source.offset).value), op.len);
  }
  if (dst_gref) drop(d.handle);
  else frames_.put_page_and_type(d_frame);
  put_source();
  // The maps and unmaps above are the copy's own: it counts as one copy.
  ++stats_.copies;
  stats_.bytes_copied += op.len;
  op.status = xen::kGntstOkay;
}

i16 GrantAccess::copy_to_grant(DomainId mapper, DomainId granter, u32 ref, u32 offset, const void* src, u32 len) {
  if (offset > kPageSize || len > kPageSize - offset) return refuse(xen::kGntstBadCopyArg);
  const Access a = acquire(mapper, granter, ref, false);
  if (a.status != xen::kGntstOkay) return a.status;
  frames_.ram().write_bytes(machine_addr(a.frame, offset).value, src, len);
  drop(a.handle);
  ++stats_.copies;
  stats_.bytes_copied += len;
  return xen::kGntstOkay;
}

i16 GrantAccess::copy_from_grant(DomainId mapper, DomainId granter, u32 ref, u32 offset, void* dst, u32 len) {
  if (offset > kPageSize || len > kPageSize - offset) return refuse(xen::kGntstBadCopyArg);
  const Access a = acquire(mapper, granter, ref, true);
  if (a.status != xen::kGntstOkay) return a.status;
  frames_.ram().read_bytes(machine_addr(a.frame, offset).value, dst, len);
  drop(a.handle);
  ++stats_.copies;
  stats_.bytes_copied += len;
  return xen::kGntstOkay;
}

}  // namespace ring1::hv
