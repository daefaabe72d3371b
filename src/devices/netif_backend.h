// The network back end (xen/include/public/io/netif.h): what Xen's netback does in domain 0 for one vif,
// attached to a port of the run's VirtualSwitch. Transmit: the front end's TX ring holds requests naming a
// granted page, an offset and a size; each packet (one request, or a chain flagged NETTXF_more_data whose
// first size is the whole packet's) is copied out through the control domain's grant path, answered
// NETIF_RSP_OKAY, and handed to the switch. Receive: the front end posts RX requests naming empty granted
// pages (request-rx-copy: the back end copies, it never flips pages); a frame for this vif is copied into
// the next posted page and answered with its length, or dropped if none is posted (the paper's rule).
// Every index and request is hostile: a producer more than a ring ahead breaks the connection; a packet
// shorter than an Ethernet header, a fragment that crosses its page, a chain longer than 18 slots or a
// refused grant is answered NETIF_RSP_ERROR and goes nowhere; one kick serves at most a ring's worth.
//
// Costs (BackendHost::charge, from the cost profile): each TX slot and each RX delivery hv_request plus
// hv_grant, and their bytes as string iterations of four bytes.
#pragma once
#include "common/cost_profile.h"
#include "common/io_ring.h"
#include "devices/backend_host.h"
#include "devices/virtual_switch.h"
#include "mmu/physical_memory.h"

namespace ring1 {

// The x86_32 layouts of xen/io/netif.h (checked in the .cpp).
namespace netif {
inline constexpr u16 kTxfCsumBlank = 1, kTxfDataValidated = 2, kTxfMoreData = 4, kTxfExtraInfo = 8;
inline constexpr i16 kRspDropped = -2, kRspError = -1, kRspOkay = 0, kRspNull = 1;
inline constexpr u32 kMaxSlotsPerPacket = 18;  // XEN_NETBK_LEGACY_SLOTS_MAX
struct TxRequest {
  u32 gref;
  u16 offset, flags, id, size;
};
struct TxResponse {
  u16 id;
  i16 status;
};
struct RxRequest {
  u16 id, pad;
  u32 gref;
};
struct RxResponse {
  u16 id, offset, flags;
  i16 status;  // the length received, or a NETIF_RSP_* error
};
inline constexpr u32 kTxSlotBytes = sizeof(TxRequest), kRxSlotBytes = sizeof(RxRequest);
}  // namespace netif

struct NetifStats {
  u64 kicks = 0;
  u64 tx_packets = 0, tx_bytes = 0, tx_errors = 0;
  u64 rx_packets = 0, rx_bytes = 0;
  u64 rx_dropped = 0;        // frames for this vif with no receive buffer posted (or too large for one)
  u64 rx_errors = 0;         // posted buffers whose grant was refused
  u64 notifications = 0;     // events sent to the front end
  u64 protocol_errors = 0;   // broken rings
  u64 max_tx_batch = 0;      // the most TX slots one kick served
  Cycles cycles = 0;
};

class NetifBackend {
 public:
  NetifBackend(PhysicalMemory& ram, VirtualSwitch& sw, const BackendHost& host, const CostProfile& costs);
  ~NetifBackend();
  NetifBackend(const NetifBackend&) = delete;
  NetifBackend& operator=(const NetifBackend&) = delete;

  // Connects to domain `dom`'s front end: its TX and RX ring pages granted as tx_ref and rx_ref, its event
  // channel `port`. False if either grant is refused (nothing stays mapped then).
  bool connect(u16 dom, u32 tx_ref, u32 rx_ref, u32 port);
  void disconnect();
  bool connected() const { return tx_ma_ != 0; }
  // The front end notified: transmits what is on the TX ring (new RX buffers need no work until a frame
  // comes).
  void kick();
  u32 switch_port() const { return sw_port_; }

  const NetifStats& stats() const { return stats_; }

 private:
  static void on_deliver(void* self, const u8* frame, u32 len);
  void receive(const u8* frame, u32 len);
  // Serves TX slots; false if the ring is broken.
  bool transmit_pending();
  void tx_respond(u16 id, i16 status);
  void charge(u64 cycles) {
    stats_.cycles += cycles;
    if (host_.charge) host_.charge(host_.context, cycles);
  }
  u64 copy_cost(u32 bytes) const { return u64((bytes + 3) / 4) * costs_.cost(CostClass::StringIter); }
  void broken();

  PhysicalMemory& ram_;
  VirtualSwitch& sw_;
  BackendHost host_;
  const CostProfile& costs_;
  u32 sw_port_ = 0;
  u16 dom_ = 0;
  u32 port_ = 0;
  u32 tx_ma_ = 0, rx_ma_ = 0, tx_handle_ = 0, rx_handle_ = 0;
  ring1_back tx_{}, rx_{};
  NetifStats stats_;
  u8 packet_[65536];
};

}  // namespace ring1
