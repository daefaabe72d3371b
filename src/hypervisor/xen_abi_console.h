// The PV console ring of the Xen ABI (xen/include/public/io/console.h, struct xencons_interface): one shared
// page whose first 3088 bytes are an input ring, an output ring and their free-running u32 indexes, masked by
// each ring's size (MASK_XENCONS_IDX). The guest kit uses Xen's own header; the host's back end
// (devices/xen_console_backend.cpp) reads this mirror, which tests/hypervisor/abi_console_test.cpp and the
// gcc -m32 guest-side check compare field by field with Debian's <xen/io/console.h>. Like every xen_abi*.h it
// includes only common/, so that device back ends may include it (tests/layering).
#pragma once
#include <cstddef>

#include "common/types.h"

namespace ring1::xen {

struct XenconsInterface {
  char in[1024];   // host -> guest
  char out[2048];  // guest -> host
  u32 in_cons, in_prod;
  u32 out_cons, out_prod;
};
static_assert(sizeof(XenconsInterface) == 3088);

// The ring sizes are powers of two, so an index masks into its ring (MASK_XENCONS_IDX).
inline constexpr u32 kConsoleInSize = sizeof(XenconsInterface::in);
inline constexpr u32 kConsoleOutSize = sizeof(XenconsInterface::out);
static_assert((kConsoleInSize & (kConsoleInSize - 1)) == 0 && (kConsoleOutSize & (kConsoleOutSize - 1)) == 0);

}  // namespace ring1::xen
