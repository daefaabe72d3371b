// Reading requests from and writing replies to a domain's store ring (see the header). Every index the
// guest can touch is read from the page afresh and checked before use; ring positions are indexes masked
// by the ring size (xs_wire.h, MASK_XENSTORE_IDX), so no access leaves the page.
#include "control/xenstore/ring_transport.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include <xen/io/xs_wire.h>

namespace ring1::xs {
namespace {
using Iface = xenstore_domain_interface;
constexpr u32 kRing = XENSTORE_RING_SIZE;
constexpr u32 kReq = offsetof(Iface, req), kRsp = offsetof(Iface, rsp);
constexpr u32 kReqCons = offsetof(Iface, req_cons), kReqProd = offsetof(Iface, req_prod);
constexpr u32 kRspCons = offsetof(Iface, rsp_cons), kRspProd = offsetof(Iface, rsp_prod);
constexpr u32 kFeatures = offsetof(Iface, server_features), kError = offsetof(Iface, error);
}  // namespace

RingTransport::RingTransport(PhysicalMemory& ram, u32 page_ma, RingNotify notify)
    : ram_(ram), page_(page_ma), notify_(notify) {}

u32 RingTransport::read32(u32 offset) const {
  u32 v;
  ram_.read_bytes(page_ + offset, &v, 4);
  return v;
}

void RingTransport::write32(u32 offset, u32 v) { ram_.write_bytes(page_ + offset, &v, 4); }

void RingTransport::publish_features() { write32(kFeatures, XENSTORE_SERVER_FEATURE_ERROR); }

void RingTransport::break_ring(RingBreak why) {
  broken_ = why;
  write32(kError, why == RingBreak::BadIndex ? XENSTORE_ERROR_RINGIDX : XENSTORE_ERROR_PROTO);
  out_.clear();
  queued_bytes_ = 0;
}

std::optional<Message> RingTransport::next_request(u32& consumed) {
  if (broken_ != RingBreak::None) return std::nullopt;
  const u32 prod = read32(kReqProd);
  u32 cons = read32(kReqCons);
  if (prod - cons > kRing) {  // xenstored's check_indexes
    break_ring(RingBreak::BadIndex);
    return std::nullopt;
  }
  std::optional<Message> done;
  while (cons != prod && !done) {
    // Take what is there, up to the end of the ring and of the piece being read.
    const u32 pos = cons & (kRing - 1);
    const u32 n = std::min({prod - cons, kRing - pos, need_ - u32(in_.size())});
    const std::size_t old = in_.size();
    in_.resize(old + n);
    ram_.read_bytes(page_ + kReq + pos, in_.data() + old, n);
    cons += n;
    consumed += n;
    if (in_.size() < need_) continue;
    if (!have_header_) {
      xsd_sockmsg h;
      std::memcpy(&h, in_.data(), sizeof(h));
      if (h.len > XENSTORE_PAYLOAD_MAX) {  // xenstored: "Client tried to feed us ..." and drops it
        write32(kReqCons, cons);
        break_ring(RingBreak::Oversized);
        return std::nullopt;
      }
      partial_ = Message{h.type, h.req_id, h.tx_id, {}};
      have_header_ = true;
      in_.clear();
      need_ = h.len;
      if (need_ != 0) continue;
    }
    partial_.payload = std::move(in_);
    in_.clear();
    have_header_ = false;
    need_ = kHeaderBytes;
    done = std::move(partial_);
  }
  write32(kReqCons, cons);  // after the bytes are copied out, as a consumer's barrier orders it
  return done;
}

bool RingTransport::queue(const Message& m, bool droppable) {
  if (broken_ != RingBreak::None) return false;
  if (droppable && queued_bytes_ >= kEventBacklogBytes) return false;
  out_.push_back(encode(m));
  queued_bytes_ += out_.back().size();
  return true;
}

u32 RingTransport::flush() {
  if (broken_ != RingBreak::None || out_.empty()) return 0;
  const u32 cons = read32(kRspCons);
  u32 prod = read32(kRspProd);
  if (prod - cons > kRing) {
    break_ring(RingBreak::BadIndex);
    return 0;
  }
  u32 written = 0;
  while (!out_.empty() && prod - cons < kRing) {
    const std::string& msg = out_.front();
    const u32 pos = prod & (kRing - 1);
    const u32 n = std::min<u32>({kRing - (prod - cons), kRing - pos, u32(msg.size() - out_offset_)});
    ram_.write_bytes(page_ + kRsp + pos, msg.data() + out_offset_, n);
    prod += n;
    written += n;
    out_offset_ += n;
    if (out_offset_ == msg.size()) {
      queued_bytes_ -= msg.size();
      out_.pop_front();
      out_offset_ = 0;
    }
  }
  if (written) write32(kRspProd, prod);  // after the bytes, as a producer's write barrier orders them
  return written;
}

}  // namespace ring1::xs
