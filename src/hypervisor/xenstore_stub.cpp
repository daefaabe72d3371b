// The minimal store's ring service (see the header). Indexes are free-running u32 counters; a ring
// position is the index masked by the ring size (xs_wire.h, MASK_XENSTORE_IDX).
#include "hypervisor/xenstore_stub.h"

#include <cstddef>
#include <cstring>

#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

using Iface = xen::XenstoreDomainInterface;
constexpr u32 kRing = xen::kXenstoreRingSize;
constexpr u32 kReqCons = offsetof(Iface, req_cons), kReqProd = offsetof(Iface, req_prod);
constexpr u32 kRspCons = offsetof(Iface, rsp_cons), kRspProd = offsetof(Iface, rsp_prod);
constexpr u32 kReq = offsetof(Iface, req), kRsp = offsetof(Iface, rsp);
constexpr u32 kReplyBytes = sizeof(xen::XsdSockmsg) + sizeof(XenstoreStub::kError);

}  // namespace

u32 XenstoreStub::read32(u32 offset) const {
  u32 v;
  ram_.read_bytes(page_ + offset, &v, 4);
  return v;
}

void XenstoreStub::write32(u32 offset, u32 v) { ram_.write_bytes(page_ + offset, &v, 4); }

bool XenstoreStub::reply_fits() const {
  // Free space in the response ring: its size less what the guest has not consumed yet. An inconsistent
  // ring (more outstanding than it holds) has no room.
  const u32 used = read32(kRspProd) - read32(kRspCons);
  return used <= kRing && kRing - used >= kReplyBytes;
}

void XenstoreStub::write_reply() {
  xen::XsdSockmsg h{xen::kXsError, req_id_, tx_id_, sizeof(kError)};
  u8 msg[kReplyBytes];
  std::memcpy(msg, &h, sizeof(h));
  std::memcpy(msg + sizeof(h), kError, sizeof(kError));
  u32 prod = read32(kRspProd);
  for (u8 b : msg) ram_.write_bytes(page_ + kRsp + (prod++ & (kRing - 1)), &b, 1);
  write32(kRspProd, prod);  // after the bytes, as a producer's write barrier orders them
  ++stats_.replies;
  reply_pending_ = false;
}

bool XenstoreStub::service() {
  if (!page_ || dropped_) return false;
  bool progress = false;
  for (;;) {
    if (reply_pending_) {
      if (!reply_fits()) break;
      write_reply();
      progress = true;
    }
    const u32 prod = read32(kReqProd);
    u32 cons = read32(kReqCons);
    // More outstanding than the ring holds is the guest's bug; read nothing until it makes sense again.
    if (cons == prod || prod - cons > kRing) break;
    while (cons != prod && !reply_pending_) {
      u8 b;
      ram_.read_bytes(page_ + kReq + (cons & (kRing - 1)), &b, 1);
      ++cons;
      ++stats_.bytes_read;
      if (header_bytes_ < sizeof(header_)) {
        header_[header_bytes_++] = b;
        if (header_bytes_ < sizeof(header_)) continue;
        xen::XsdSockmsg h;
        std::memcpy(&h, header_, sizeof(h));
        if (h.len > xen::kXenstorePayloadMax) {
          // xenstored treats an oversized message as a broken client and stops talking to it.
          ++stats_.protocol_errors;
          dropped_ = true;
          write32(kReqCons, cons);
          return true;
        }
        req_id_ = h.req_id;
        tx_id_ = h.tx_id;
        payload_left_ = h.len;
      } else {
        --payload_left_;
      }
      if (payload_left_ == 0) {  // the whole request is in
        ++stats_.requests;
        header_bytes_ = 0;
        reply_pending_ = true;
      }
    }
    write32(kReqCons, cons);
    progress = true;
  }
  return progress;
}

}  // namespace ring1::hv
