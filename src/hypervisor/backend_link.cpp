// The back ends' view of the grant path (see the header): each function forwards to GrantAccess as domain 0.
#include "hypervisor/backend_link.h"

namespace ring1::hv {
namespace {

BackendLink& link(void* c) { return *static_cast<BackendLink*>(c); }

i16 copy_to(void* c, u16 dom, u32 ref, u32 offset, const void* src, u32 len) {
  return link(c).grants->copy_to_grant(kControlDomain, DomainId{dom}, ref, offset, src, len);
}
i16 copy_from(void* c, u16 dom, u32 ref, u32 offset, void* dst, u32 len) {
  return link(c).grants->copy_from_grant(kControlDomain, DomainId{dom}, ref, offset, dst, len);
}
u32 map_page(void* c, u16 dom, u32 ref, u32* handle) {
  const GrantAccess::Access a = link(c).grants->acquire(kControlDomain, DomainId{dom}, ref, false);
  if (a.status != xen::kGntstOkay) return 0;
  *handle = a.handle;
  return machine_addr(a.frame).value;
}
void unmap_page(void* c, u32 handle) { link(c).grants->release(kControlDomain, handle); }
void fwd_notify(void* c, u32 port) {
  if (link(c).notify) link(c).notify(link(c).context, port);
}
void fwd_charge(void* c, u64 cycles) {
  if (link(c).charge) link(c).charge(link(c).context, cycles);
}

}  // namespace

BackendHost BackendLink::host() { return BackendHost{this, &copy_to, &copy_from, &map_page, &unmap_page, &fwd_notify, &fwd_charge}; }

}  // namespace ring1::hv
