// The run's devices (see the header): option parsing, ownership of the back ends, and the glue that binds a
// front end's port to its back end.
#include "hypervisor/io_devices.h"

#include <fmt/format.h>

#include "hypervisor/hypervisor.h"

namespace ring1::hv {

// A domain number from 1 to 255, as `domain=` gives it; false if it is not one.
static bool parse_domain(const std::string& n, u16& out) {
  if (n.empty() || n.size() > 3) return false;
  unsigned v = 0;
  for (char c : n) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + unsigned(c - '0');
  }
  if (v < 1 || v > 255) return false;
  out = u16(v);
  return true;
}

bool parse_disk_spec(const std::string& spec, DiskConfig& out, std::string& error) {
  out = DiskConfig{};
  // The options are taken from the right (`ro` or `rw`, `domain=N`, each at most once), so that a file name
  // may hold commas when an option follows it; without one, a comma's tail must be a mode.
  std::string rest = spec;
  bool mode = false, domain = false;
  for (size_t comma; (comma = rest.rfind(',')) != std::string::npos;) {
    const std::string item = rest.substr(comma + 1);
    if ((item == "ro" || item == "rw") && !mode) {
      out.read_only = item == "ro";
      mode = true;
    } else if (item.rfind("domain=", 0) == 0 && !domain) {
      if (!parse_domain(item.substr(7), out.domain)) {
        error = fmt::format("--disk '{}': domain= takes a domain number from 1 to 255", spec);
        return false;
      }
      domain = true;
    } else if (!mode && !domain) {
      error = fmt::format("--disk '{}': the mode after the comma must be ro or rw", spec);
      return false;
    } else {
      break;
    }
    rest.resize(comma);
  }
  out.path = rest;
  if (out.path.empty()) {
    error = fmt::format("--disk '{}': no image file named", spec);
    return false;
  }
  return true;
}

bool parse_vif_spec(const std::string& spec, VifConfig& out, std::string& error) {
  out = VifConfig{};
  if (spec.empty() || spec == "default") return true;
  bool have_domain = false;
  size_t at = 0;
  while (at <= spec.size()) {
    const size_t comma = spec.find(',', at);
    const std::string item = spec.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? spec.size() + 1 : comma + 1;
    if (item.rfind("mac=", 0) == 0 && out.default_mac) {
      unsigned b[6];
      char tail;
      if (item.size() != 4 + 17 ||
          std::sscanf(item.c_str() + 4, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6) {
        error = fmt::format("--vif '{}': expected mac=XX:XX:XX:XX:XX:XX", spec);
        return false;
      }
      for (int i = 0; i < 6; ++i) out.mac[i] = u8(b[i]);
      if (out.mac[0] & 1) {
        error = fmt::format("--vif '{}': a multicast address cannot be a vif's MAC", spec);
        return false;
      }
      out.default_mac = false;
    } else if (item.rfind("domain=", 0) == 0 && !have_domain) {
      if (!parse_domain(item.substr(7), out.domain)) {
        error = fmt::format("--vif '{}': domain= takes a domain number from 1 to 255", spec);
        return false;
      }
      have_domain = true;
    } else {
      error = fmt::format("--vif '{}': expected domain=N and/or mac=XX:XX:XX:XX:XX:XX, each at most once "
                          "(or nothing, for domain 1 and 00:16:3e:00:DOM:INDEX)",
                          spec);
      return false;
    }
  }
  return true;
}

std::string format_mac(const std::array<u8, 6>& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

IoDevices::IoDevices(Hypervisor& first) : hv_(first) {
  add_domain(first);
  sw_.set_clock(&IoDevices::now_ns, this);
}

IoDevices::~IoDevices() { shutdown(); }

void IoDevices::add_domain(Hypervisor& dom) {
  auto f = std::make_unique<Frontend>();
  f->hv = &dom;
  // The back ends act as domain 0 on this domain's grants (its GrantAccess holds its table's active
  // entries), and their notifications raise ports in this domain's event channels.
  f->link.grants = &dom.grants();
  f->link.notify = &IoDevices::notify;
  f->link.charge = &IoDevices::charge;
  f->link.context = f.get();
  fronts_[dom.domain().id.value] = std::move(f);
}

IoDevices::Frontend* IoDevices::frontend(u16 dom) {
  const auto it = fronts_.find(dom);
  return it == fronts_.end() ? nullptr : it->second.get();
}

void IoDevices::notify(void* self, u32 port) { static_cast<Frontend*>(self)->hv->events().notify_guest(port); }
void IoDevices::charge(void* self, u64 cycles) { static_cast<Frontend*>(self)->hv->clock().charge(cycles); }
u64 IoDevices::now_ns(void* self) { return static_cast<IoDevices*>(self)->hv_.now_ns(); }

bool IoDevices::configure(const IoConfig& config, std::string& error) {
  const CostProfile& costs = hv_.clock().costs();
  auto front_of = [&](const char* what, u16 dom) -> Frontend* {
    Frontend* f = frontend(dom);
    if (!f)
      error = fmt::format("{} for domain {}: the run has no such domain (domains 1 to {})", what, dom,
                          fronts_.rbegin()->first);
    return f;
  };
  std::map<u16, u32> nr_vbds, nr_vifs;  // devices so far, per domain
  for (const DiskConfig& d : config.disks) {
    Frontend* f = front_of("--disk", d.domain);
    if (!f) return false;
    Vbd v;
    v.dom = d.domain;
    v.devid = nr_vbds[d.domain]++;
    v.disk = std::make_unique<DiskImage>();
    if (!v.disk->open(d.path, d.read_only, error)) return false;
    v.back = std::make_unique<BlkifBackend>(hv_.ram(), *v.disk, f->link.host(), costs);
    vbds_.push_back(std::move(v));
  }
  for (const VifConfig& c : config.vifs) {
    Frontend* f = front_of("--vif", c.domain);
    if (!f) return false;
    Vif v;
    v.config = c;
    v.devid = nr_vifs[c.domain]++;
    if (c.default_mac) v.config.mac = {0x00, 0x16, 0x3e, 0x00, u8(c.domain), u8(v.devid)};
    v.back = std::make_unique<NetifBackend>(hv_.ram(), sw_, f->link.host(), costs);
    vifs_.push_back(std::move(v));
  }
  if (!config.pcap.empty() && !sw_.pcap().open(config.pcap, error)) return false;
  return true;
}

i32 IoDevices::connect_vbd(u32 index, u32 ring_ref, u32 port) {
  if (index >= vbds_.size()) return -xen::err::kENOENT;
  BlkifBackend* b = vbds_[index].back.get();
  Hypervisor& fe = *frontend(vbds_[index].dom)->hv;
  const HostEndpoint ep{[](void* c) { static_cast<BlkifBackend*>(c)->kick(); }, b};
  if (const i32 rc = fe.events().bind_host(port, ep); rc != 0) return rc;
  if (!b->connect(fe.domain().id.value, ring_ref, port)) return -xen::err::kEACCES;
  return 0;
}

i32 IoDevices::connect_vif(u32 index, u32 tx_ref, u32 rx_ref, u32 port) {
  if (index >= vifs_.size()) return -xen::err::kENOENT;
  NetifBackend* b = vifs_[index].back.get();
  Hypervisor& fe = *frontend(vifs_[index].config.domain)->hv;
  const HostEndpoint ep{[](void* c) { static_cast<NetifBackend*>(c)->kick(); }, b};
  if (const i32 rc = fe.events().bind_host(port, ep); rc != 0) return rc;
  if (!b->connect(fe.domain().id.value, tx_ref, rx_ref, port)) return -xen::err::kEACCES;
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
