// The PV console back end (see the header), over the ring layout of the ABI header (xen_abi_console.h,
// struct xencons_interface of io/console.h; XEN-REFERENCE.md 2.9).
#include "devices/xen_console_backend.h"

#include "hypervisor/xen_abi_console.h"

namespace ring1 {
namespace {

using xen::XenconsInterface;
constexpr u32 kIn = offsetof(XenconsInterface, in), kInSize = xen::kConsoleInSize;
constexpr u32 kOut = offsetof(XenconsInterface, out), kOutSize = xen::kConsoleOutSize;
constexpr u32 kInCons = offsetof(XenconsInterface, in_cons), kInProd = offsetof(XenconsInterface, in_prod);
constexpr u32 kOutCons = offsetof(XenconsInterface, out_cons), kOutProd = offsetof(XenconsInterface, out_prod);

}  // namespace

u32 XenConsoleBackend::drain() {
  if (!ring_) return 0;
  u32 cons, prod;
  ram_.read_bytes(ring_ + kOutCons, &cons, 4);
  ram_.read_bytes(ring_ + kOutProd, &prod, 4);
  // More than a ring's worth outstanding is the guest's bug (xenconsoled treats it as corruption); take the
  // last ring's worth.
  if (prod - cons > kOutSize) cons = prod - kOutSize;
  char buf[kOutSize];
  u32 n = 0;
  for (u32 i = cons; i != prod; ++i) ram_.read_bytes(ring_ + kOut + (i & (kOutSize - 1)), &buf[n++], 1);
  if (n && sink_) sink_(sink_ctx_, buf, n);
  bytes_out_ += n;
  ram_.write_bytes(ring_ + kOutCons, &prod, 4);
  return n;
}

u32 XenConsoleBackend::feed() {
  if (!ring_ || !source_) return 0;
  u32 cons, prod;
  ram_.read_bytes(ring_ + kInCons, &cons, 4);
  ram_.read_bytes(ring_ + kInProd, &prod, 4);
  u32 added = 0;
  while (prod - cons < kInSize) {
    const int b = source_();
    if (b < 0) break;
    const u8 byte = static_cast<u8>(b);
    ram_.write_bytes(ring_ + kIn + (prod & (kInSize - 1)), &byte, 1);
    ++prod;
    ++added;
  }
  if (added) ram_.write_bytes(ring_ + kInProd, &prod, 4);
  bytes_in_ += added;
  return added;
}

}  // namespace ring1
