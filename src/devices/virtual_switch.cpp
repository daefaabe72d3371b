// The learning bridge (see the header): IEEE 802.1D's forwarding rule without ageing, which one run does
// not need (ports never move).
#include "devices/virtual_switch.h"

namespace ring1 {

u32 VirtualSwitch::add_port(Deliver deliver, void* context) {
  ports_.push_back(Port{deliver, context});
  return u32(ports_.size() - 1);
}

void VirtualSwitch::remove_port(u32 port) {
  if (port < ports_.size()) ports_[port] = Port{};
}

u64 VirtualSwitch::mac_key(const u8* m) {
  u64 k = 0;
  for (int i = 0; i < 6; ++i) k = (k << 8) | m[i];
  return k;
}

int VirtualSwitch::port_of(const u8 mac[6]) const {
  const auto it = table_.find(mac_key(mac));
  return it == table_.end() ? -1 : int(it->second);
}

void VirtualSwitch::transmit(u32 port, const u8* frame, u32 len) {
  if (len < kEthHeader || port >= ports_.size()) return;
  ++stats_.frames;
  stats_.bytes += len;
  if (pcap_.is_open()) pcap_.record(now_ns_ ? now_ns_(clock_ctx_) : 0, frame, len);
  const u8* dst = frame;
  const u8* src = frame + 6;
  if (!(src[0] & 1)) table_[mac_key(src)] = port;  // a group address is never a source
  if (!(dst[0] & 1)) {
    const auto it = table_.find(mac_key(dst));
    if (it != table_.end()) {
      if (it->second == port) {
        ++stats_.filtered;
        return;
      }
      ++stats_.unicast;
      const Port& p = ports_[it->second];
      if (p.deliver) {
        ++stats_.deliveries;
        p.deliver(p.context, frame, len);
      }
      return;
    }
  }
  ++stats_.flooded;
  for (u32 i = 0; i < ports_.size(); ++i) {
    if (i == port || !ports_[i].deliver) continue;
    ++stats_.deliveries;
    ports_[i].deliver(ports_[i].context, frame, len);
  }
}

}  // namespace ring1
