// The network back end's two rings (see the header), after Xen's netback (net_tx_action's checks on each
// request chain, netbk_tx_err, the receive path's copy into posted buffers).
#include "devices/netif_backend.h"

#include <cstddef>
#include <cstring>

namespace ring1 {

static_assert(sizeof(netif::TxRequest) == 12 && sizeof(netif::TxResponse) == 4);
static_assert(sizeof(netif::RxRequest) == 8 && sizeof(netif::RxResponse) == 8);
static_assert(offsetof(netif::TxRequest, size) == 10 && offsetof(netif::RxRequest, gref) == 4 &&
              offsetof(netif::RxResponse, status) == 6);

NetifBackend::NetifBackend(PhysicalMemory& ram, VirtualSwitch& sw, const BackendHost& host, const CostProfile& costs)
    : ram_(ram), sw_(sw), host_(host), costs_(costs) {
  sw_port_ = sw_.add_port(&NetifBackend::on_deliver, this);
}

NetifBackend::~NetifBackend() {
  disconnect();
  sw_.remove_port(sw_port_);
}

bool NetifBackend::connect(u16 dom, u32 tx_ref, u32 rx_ref, u32 port) {
  disconnect();
  u32 th = 0, rh = 0;
  const u32 tx = host_.map_page(host_.context, dom, tx_ref, &th);
  if (!tx) return false;
  const u32 rx = host_.map_page(host_.context, dom, rx_ref, &rh);
  if (!rx) {
    host_.unmap_page(host_.context, th);
    return false;
  }
  dom_ = dom;
  port_ = port;
  tx_ma_ = tx;
  rx_ma_ = rx;
  tx_handle_ = th;
  rx_handle_ = rh;
  ring1_back_init(&tx_, reinterpret_cast<ring1_sring*>(ram_.host(tx)), netif::kTxSlotBytes);
  ring1_back_init(&rx_, reinterpret_cast<ring1_sring*>(ram_.host(rx)), netif::kRxSlotBytes);
  return true;
}

void NetifBackend::disconnect() {
  if (!tx_ma_) return;
  host_.unmap_page(host_.context, tx_handle_);
  host_.unmap_page(host_.context, rx_handle_);
  tx_ma_ = rx_ma_ = 0;
}

void NetifBackend::broken() {
  ++stats_.protocol_errors;
  disconnect();
}

void NetifBackend::tx_respond(u16 id, i16 status) {
  const netif::TxResponse rsp{id, status};
  u8* slot = static_cast<u8*>(ring1_back_next_response(&tx_));
  ram_.note_write(u32(slot - ram_.host(0)), sizeof rsp);
  std::memcpy(slot, &rsp, sizeof rsp);
  ++tx_.rsp_prod_pvt;
}

void NetifBackend::kick() {
  if (!tx_ma_) return;
  ++stats_.kicks;
  const u32 start = tx_.req_cons;
  for (;;) {
    const u32 before = tx_.req_cons;
    if (!transmit_pending()) {
      broken();
      return;
    }
    ram_.note_write(tx_ma_, RING1_RING_HEADER_BYTES);
    if (ring1_back_push(&tx_)) {
      ++stats_.notifications;
      host_.notify(host_.context, port_);
    }
    // The guest cannot add requests while the back end runs: a pass that took nothing new (an unfinished
    // chain waiting for its last slots, or an empty ring) ends the kick.
    if (!ring1_back_final_check(&tx_) || tx_.req_cons == before) break;
  }
  if (tx_.req_cons - start > stats_.max_tx_batch) stats_.max_tx_batch = tx_.req_cons - start;
}

bool NetifBackend::transmit_pending() {
  const u32 prod = tx_.sring->req_prod;
  ring1_ring_mb();
  const i64 n = ring1_back_requests(&tx_, prod);
  if (n < 0) return false;
  const EventCosts& e = costs_.events;
  u32 avail = u32(n);
  while (avail > 0) {
    // Copy the packet's whole chain out of the ring first (at most 18 slots; a longer one is an error).
    netif::TxRequest slots[netif::kMaxSlotsPerPacket + 1];
    u32 k = 0;
    bool more = true;
    while (more && k < avail && k <= netif::kMaxSlotsPerPacket) {
      std::memcpy(&slots[k], ring1_ring_slot(tx_.sring, tx_.nr_ents, tx_.slot_bytes, tx_.req_cons + k),
                  sizeof slots[k]);
      more = (slots[k].flags & netif::kTxfMoreData) != 0;
      ++k;
    }
    const bool too_long = more && k > netif::kMaxSlotsPerPacket;
    if (more && !too_long) break;  // the rest of the chain is not on the ring yet
    tx_.req_cons += k;
    avail -= k;
    if (too_long) {
      // Xen's netbk_tx_err: every slot of the chain is answered with an error, up to its last.
      for (u32 i = 0; i < k; ++i) tx_respond(slots[i].id, netif::kRspError);
      bool chained = true;
      while (chained && avail > 0) {
        netif::TxRequest t;
        std::memcpy(&t, ring1_back_request(&tx_), sizeof t);
        ++tx_.req_cons;
        --avail;
        tx_respond(t.id, netif::kRspError);
        chained = (t.flags & netif::kTxfMoreData) != 0;
      }
      ++stats_.tx_errors;
      continue;
    }
    // Validation: no extra-info slots (feature-gso is not offered), an Ethernet header at least, fragments
    // within their pages, and the first size (the whole packet's) covering every later fragment.
    bool ok = slots[0].size >= VirtualSwitch::kEthHeader;
    u32 rest = 0;
    for (u32 i = 0; i < k && ok; ++i) {
      if (slots[i].flags & netif::kTxfExtraInfo) ok = false;
      if (i > 0) rest += slots[i].size;
    }
    if (ok && rest >= slots[0].size) ok = false;
    u32 total = 0;
    for (u32 i = 0; i < k && ok; ++i) {
      const u32 len = i == 0 ? slots[0].size - rest : slots[i].size;
      if (u32(slots[i].offset) + len > kPageSize) {
        ok = false;
        break;
      }
      charge(e.hv_request + e.hv_grant + copy_cost(len));
      if (host_.copy_from_grant(host_.context, dom_, slots[i].gref, slots[i].offset, packet_ + total, len) != 0) ok = false;
      total += len;
    }
    for (u32 i = 0; i < k; ++i) tx_respond(slots[i].id, ok ? netif::kRspOkay : netif::kRspError);
    if (!ok) {
      ++stats_.tx_errors;
      continue;
    }
    ++stats_.tx_packets;
    stats_.tx_bytes += total;
    sw_.transmit(sw_port_, packet_, total);
  }
  return true;
}

void NetifBackend::on_deliver(void* self, const u8* frame, u32 len) { static_cast<NetifBackend*>(self)->receive(frame, len); }

void NetifBackend::receive(const u8* frame, u32 len) {
  if (!rx_ma_) return;
  const u32 prod = rx_.sring->req_prod;
  ring1_ring_mb();
  const i64 n = ring1_back_requests(&rx_, prod);
  if (n < 0) {
    broken();
    return;
  }
  if (n == 0 || len > kPageSize) {
    ++stats_.rx_dropped;  // no buffer posted: dropped, as the paper's receive path drops it
    return;
  }
  netif::RxRequest req;
  std::memcpy(&req, ring1_back_request(&rx_), sizeof req);
  ++rx_.req_cons;
  const EventCosts& e = costs_.events;
  charge(e.hv_request + e.hv_grant + copy_cost(len));
  const bool ok = host_.copy_to_grant(host_.context, dom_, req.gref, 0, frame, len) == 0;
  const netif::RxResponse rsp{req.id, 0, 0, ok ? i16(len) : netif::kRspError};
  u8* slot = static_cast<u8*>(ring1_back_next_response(&rx_));
  ram_.note_write(u32(slot - ram_.host(0)), sizeof rsp);
  std::memcpy(slot, &rsp, sizeof rsp);
  ++rx_.rsp_prod_pvt;
  if (ok) {
    ++stats_.rx_packets;
    stats_.rx_bytes += len;
  } else {
    ++stats_.rx_errors;
  }
  ram_.note_write(rx_ma_, RING1_RING_HEADER_BYTES);
  if (ring1_back_push(&rx_)) {
    ++stats_.notifications;
    host_.notify(host_.context, port_);
  }
}

}  // namespace ring1
