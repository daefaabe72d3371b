// The virtual Ethernet switch between the vifs of one run (the paper's virtual firewall-router in domain 0,
// reduced to a learning bridge): a frame from a port teaches the switch its source MAC's port; a unicast
// frame to a learned MAC goes to that port only, anything else (broadcast, multicast, unknown) to every other
// port. A frame is never sent back out of the port it came in by. Every frame that enters is written to the
// pcap file if one is open. Ports are delivery callbacks, so the switch knows nothing of rings.
#pragma once
#include <map>
#include <vector>

#include "common/types.h"
#include "devices/pcap_writer.h"

namespace ring1 {

struct SwitchStats {
  u64 frames = 0, bytes = 0;  // frames that entered the switch
  u64 unicast = 0;            // sent to one learned port
  u64 flooded = 0;            // sent to every other port
  u64 filtered = 0;           // addressed to a MAC learned on the port it came from: not forwarded
  u64 deliveries = 0;         // copies handed to ports
};

class VirtualSwitch {
 public:
  // Hands `frame` to a port; the port says nothing back (a full receive ring drops it, the port counts).
  using Deliver = void (*)(void* port_context, const u8* frame, u32 len);
  static constexpr u32 kEthHeader = 14;

  // A new port: its number.
  u32 add_port(Deliver deliver, void* context);
  // Detached ports receive nothing more (their number is not reused).
  void remove_port(u32 port);
  // The time frames are stamped with in the pcap file.
  void set_clock(u64 (*now_ns)(void*), void* context) {
    now_ns_ = now_ns;
    clock_ctx_ = context;
  }
  PcapWriter& pcap() { return pcap_; }

  // A frame of at least an Ethernet header from `port`.
  void transmit(u32 port, const u8* frame, u32 len);

  const SwitchStats& stats() const { return stats_; }
  // The port a MAC was learned on, or -1.
  int port_of(const u8 mac[6]) const;

 private:
  struct Port {
    Deliver deliver = nullptr;
    void* context = nullptr;
  };
  static u64 mac_key(const u8* m);

  std::vector<Port> ports_;
  std::map<u64, u32> table_;
  PcapWriter pcap_;
  u64 (*now_ns_)(void*) = nullptr;
  void* clock_ctx_ = nullptr;
  SwitchStats stats_;
};

}  // namespace ring1
