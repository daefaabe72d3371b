// The run's devices (see the header): option parsing, ownership of the back ends, and the glue that binds a
// front end's port to its back end.
#include "hypervisor/io_devices.h"

#include <fmt/format.h>

#include "hypervisor/hypervisor.h"

namespace ring1::hv {

bool parse_disk_spec(const std::string& spec, DiskConfig& out, std::string& error) {
  out = DiskConfig{};
  const size_t comma = spec.rfind(',');
  out.path = spec.substr(0, comma);
  if (comma != std::string::npos) {
    const std::string mode = spec.substr(comma + 1);
    if (mode == "ro") out.read_only = true;
    else if (mode != "rw") {
      error = fmt::format("--disk '{}': the mode after the comma must be ro or rw", spec);
      return false;
    }
  }
  if (out.path.empty()) {
    error = fmt::format("--disk '{}': no image file named", spec);
    return false;
  }
  return true;
}

bool parse_vif_spec(const std::string& spec, u16 dom, u32 index, VifConfig& out, std::string& error) {
  out = VifConfig{};
  if (spec.empty() || spec == "default") {
    out.mac = {0x00, 0x16, 0x3e, 0x00, u8(dom), u8(index)};
    return true;
  }
  unsigned b[6];
  char tail;
  if (spec.rfind("mac=", 0) != 0 ||
      std::sscanf(spec.c_str() + 4, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6 ||
      spec.size() != 4 + 17) {
    error = fmt::format("--vif '{}': expected mac=XX:XX:XX:XX:XX:XX (or nothing, for 00:16:3e:00:DOM:INDEX)", spec);
    return false;
  }
  for (int i = 0; i < 6; ++i) out.mac[i] = u8(b[i]);
  if (out.mac[0] & 1) {
    error = fmt::format("--vif '{}': a multicast address cannot be a vif's MAC", spec);
    return false;
  }
  return true;
}

std::string format_mac(const std::array<u8, 6>& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

IoDevices::IoDevices(Hypervisor& hv) : hv_(hv) {
  link_.grants = &hv.grants();
  link_.notify = &IoDevices::notify;
  link_.charge = &IoDevices::charge;
  link_.context = this;
  sw_.set_clock(&IoDevices::now_ns, this);
}

IoDevices::~IoDevices() { shutdown(); }

void IoDevices::notify(void* self, u32 port) { static_cast<IoDevices*>(self)->hv_.events().notify_guest(port); }
void IoDevices::charge(void* self, u64 cycles) { static_cast<IoDevices*>(self)->hv_.clock().charge(cycles); }
u64 IoDevices::now_ns(void* self) { return static_cast<IoDevices*>(self)->hv_.now_ns(); }

bool IoDevices::configure(const IoConfig& config, std::string& error) {
  const CostProfile& costs = hv_.clock().costs();
  for (const DiskConfig& d : config.disks) {
    Vbd v;
    v.disk = std::make_unique<DiskImage>();
    if (!v.disk->open(d.path, d.read_only, error)) return false;
    v.back = std::make_unique<BlkifBackend>(hv_.ram(), *v.disk, link_.host(), costs);
    vbds_.push_back(std::move(v));
  }
  for (const VifConfig& c : config.vifs) {
    Vif v;
    v.config = c;
    v.back = std::make_unique<NetifBackend>(hv_.ram(), sw_, link_.host(), costs);
    vifs_.push_back(std::move(v));
  }
  if (!config.pcap.empty() && !sw_.pcap().open(config.pcap, error)) return false;
  return true;
}

i32 IoDevices::connect_vbd(u32 index, u32 ring_ref, u32 port) {
  if (index >= vbds_.size()) return -xen::err::kENOENT;
  BlkifBackend* b = vbds_[index].back.get();
  const HostEndpoint ep{[](void* c) { static_cast<BlkifBackend*>(c)->kick(); }, b};
  if (const i32 rc = hv_.events().bind_host(port, ep); rc != 0) return rc;
  if (!b->connect(hv_.domain().id.value, ring_ref, port)) return -xen::err::kEACCES;
  return 0;
}

i32 IoDevices::connect_vif(u32 index, u32 tx_ref, u32 rx_ref, u32 port) {
  if (index >= vifs_.size()) return -xen::err::kENOENT;
  NetifBackend* b = vifs_[index].back.get();
  const HostEndpoint ep{[](void* c) { static_cast<NetifBackend*>(c)->kick(); }, b};
  if (const i32 rc = hv_.events().bind_host(port, ep); rc != 0) return rc;
  if (!b->connect(hv_.domain().id.value, tx_ref, rx_ref, port)) return -xen::err::kEACCES;
  return 0;
}

void IoDevices::shutdown() {
  for (Vif& v : vifs_) v.back->disconnect();
  for (Vbd& v : vbds_) {
    v.back->disconnect();
    v.disk->close();
  }
  sw_.pcap().close();
}

}  // namespace ring1::hv
