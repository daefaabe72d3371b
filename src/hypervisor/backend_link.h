// Connects a device back end (devices/backend_host.h) to the hypervisor as the control domain: its grant
// accesses are GrantAccess's acquire/release and copies with kControlDomain as the mapper, so the back ends
// obey exactly the rules map_grant_ref does; its notifications and its charges go where the owner says.
// A BackendLink must outlive the back ends it was given to (they keep its address as their context).
#pragma once
#include "devices/backend_host.h"
#include "hypervisor/grant_access.h"

namespace ring1::hv {

struct BackendLink {
  GrantAccess* grants = nullptr;
  void (*notify)(void* context, u32 port) = nullptr;
  void (*charge)(void* context, u64 cycles) = nullptr;
  void* context = nullptr;

  BackendHost host();
};

}  // namespace ring1::hv
