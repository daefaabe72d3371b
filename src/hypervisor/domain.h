// A domain as the memory-management code sees it: its id, whether it is privileged, and its (single) vCPU's
// page-directory base pointer (Xen's v->arch.guest_table), which holds a reference and an L2 type reference
// on that frame for as long as it is installed. The domain builder and scheduler extend this.
#pragma once
#include <optional>
#include <vector>

#include "hypervisor/hv_types.h"

namespace ring1::hv {

struct Domain {
  DomainId id{0};
  bool privileged = false;
  std::optional<Mfn> guest_table{};  // the base pointer NEW_BASEPTR installs; CR3 while this domain runs
  u32 vm_assist = 0;                 // VMASST_TYPE_* bits the guest has enabled (vm_assist)
  std::vector<Mfn> grant_frames{};   // the shared grant-table frames, in order (grant_table.h)
  // The balloon's accounts (Xen's d->tot_pages, d->max_pages): frames the domain holds as its memory, and
  // the most it may hold (memory_op increase_reservation stops there). The builder sets both.
  u32 tot_pages = 0;
  u32 max_pages = 0;
};

}  // namespace ring1::hv
