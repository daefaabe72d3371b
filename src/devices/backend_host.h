// What a split driver's back end needs from the machine it serves, and nothing more: access to its
// front end's granted pages as the control domain (every access through the hypervisor's one grant path,
// GrantAccess, so the back ends hold no second copy of the grant rules), its front end's event channel, and
// the clock its work is charged to. The hypervisor fills one in for each back end it attaches; tests fill
// one in over a GrantAccess of their own. Plain function pointers: the devices layer knows nothing of the
// hypervisor's types.
#pragma once
#include "common/types.h"

namespace ring1 {

struct BackendHost {
  void* context = nullptr;
  // `len` bytes at `offset` of the page granted as (dom, ref), to or from host memory: GNTST_* (0: done).
  i16 (*copy_to_grant)(void* context, u16 dom, u32 ref, u32 offset, const void* src, u32 len) = nullptr;
  i16 (*copy_from_grant)(void* context, u16 dom, u32 ref, u32 offset, void* dst, u32 len) = nullptr;
  // Maps the page granted as (dom, ref) writable for as long as the back end is connected (a shared ring):
  // its machine address, or 0 if the grant is refused; `handle` gets what unmap_page needs.
  u32 (*map_page)(void* context, u16 dom, u32 ref, u32* handle) = nullptr;
  void (*unmap_page)(void* context, u32 handle) = nullptr;
  // Raises the front end's side of event channel `port`.
  void (*notify)(void* context, u32 port) = nullptr;
  // Charges `cycles` of back-end work to the modelled clock.
  void (*charge)(void* context, u64 cycles) = nullptr;
};

}  // namespace ring1
