// The xenstore side of the devices (io_devices.h): the nodes xend's DevController writes for each vif and
// vbd (both directories, through the store's create_device), and the back end's half of the XenbusState
// handshake of xen/io/xenbus.h, as Linux's netback and blkback run it: InitWait once the nodes exist;
// when the front end says Initialised (or, as Mini-OS does, Connected straight away) its ring references and
// event channel are read, the back end connects and goes Connected; when the front end closes, the back end
// stops serving and follows it to Closing or Closed; a front end that starts again (Initialising after
// Closed) finds the back end in InitWait.
#include <optional>

#include <fmt/format.h>

#include "control/xenstore/domain_tree.h"
#include "control/xenstore/xenbus_state.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/io_devices.h"

namespace ring1::hv {
namespace {

// The Linux xvd numbering Xen's tools use for a vbd's device id: major 202, 16 minors per disk.
constexpr u32 kXvdFirst = 202u << 8;

// A decimal value as a front end wrote it. Mini-OS 3.2's xenbus_write sends the value's terminating NUL
// too (strlen + 1), and xenstored stores what it is sent, so trailing NULs are not part of the number (as
// Linux's xenbus_scanf, a sscanf, stops at them).
std::optional<u32> read_u32(xs::Client& c, const std::string& path) {
  std::optional<std::string> v = c.read(path);
  while (v && !v->empty() && v->back() == '\0') v->pop_back();
  if (!v || v->empty() || v->size() > 10) return std::nullopt;
  u64 n = 0;
  for (char ch : *v) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + u64(ch - '0');
  }
  if (n > 0xFFFFFFFFull) return std::nullopt;
  return u32(n);
}

xs::XenbusState state_of(xs::Client& c, const std::string& dir) {
  const std::optional<u32> n = read_u32(c, dir + "/state");
  return n && *n <= u32(xs::XenbusState::Reconfigured) ? xs::XenbusState(*n) : xs::XenbusState::Unknown;
}

}  // namespace

u32 IoDevices::vbd_devid(u32 index) { return kXvdFirst + 16 * index; }

bool IoDevices::publish(std::string& error) {
  xs::Client& dom0 = hv_.store().dom0();
  auto create = [&](u16 fe, xs::DeviceSpec& d, Device& dev) {
    d.frontend = fe;
    d.backend = 0;
    d.frontend_name = dom0.read(dom0.get_domain_path(fe) + "/name").value_or("");
    if (const int rc = xs::create_device(dom0, d); rc != 0) {
      error = fmt::format("the store refused {} {}'s nodes (errno {})", d.type, d.devid, rc);
      return false;
    }
    dev.front = xs::frontend_path(d);
    dev.back = xs::backend_path(d);
    xs::switch_state(dom0, dev.back, xs::XenbusState::InitWait);
    return true;
  };
  for (u32 i = 0; i < vifs_.size(); ++i) {
    xs::DeviceSpec d;
    d.type = "vif";
    d.devid = vifs_[i].devid;
    const std::string mac = format_mac(vifs_[i].config.mac);
    d.front = {{"mac", mac}, {"handle", std::to_string(d.devid)}};
    d.back = {{"mac", mac}, {"handle", std::to_string(d.devid)}, {"feature-rx-copy", "1"}, {"feature-rx-flip", "0"},
              {"feature-sg", "0"}, {"feature-gso-tcpv4", "0"}};
    if (!create(vifs_[i].config.domain, d, vifs_[i].xs)) return false;
  }
  for (u32 i = 0; i < vbds_.size(); ++i) {
    xs::DeviceSpec d;
    d.type = "vbd";
    d.devid = vbd_devid(vbds_[i].devid);
    d.front = {{"virtual-device", std::to_string(d.devid)}, {"device-type", "disk"}};
    d.back = {{"params", vbds_[i].disk->path()}, {"mode", vbds_[i].disk->read_only() ? "r" : "w"},
              {"type", "file"}, {"dev", fmt::format("xvd{}", char('a' + vbds_[i].devid % 26))},
              {"feature-barrier", "1"}, {"feature-flush-cache", "1"}};
    if (!create(vbds_[i].dom, d, vbds_[i].xs)) return false;
  }
  // Watches last: each fires once at once, which finds every front end still Initialising.
  for (u32 i = 0; i < vifs_.size(); ++i)
    dom0.watch(vifs_[i].xs.front + "/state", fmt::format("vif-{}", i),
               [this, i](const std::string&, const std::string&) { frontend_changed(false, i); });
  for (u32 i = 0; i < vbds_.size(); ++i)
    dom0.watch(vbds_[i].xs.front + "/state", fmt::format("vbd-{}", i),
               [this, i](const std::string&, const std::string&) { frontend_changed(true, i); });
  return true;
}

void IoDevices::frontend_changed(bool block, u32 i) {
  xs::Client& dom0 = hv_.store().dom0();
  const Device& dev = block ? vbds_[i].xs : vifs_[i].xs;
  const xs::XenbusState fs = state_of(dom0, dev.front), bs = state_of(dom0, dev.back);
  auto fail = [&](const std::string& why) {
    // xenbus_dev_fatal: the reason under the back end's error node, and the back end closes.
    dom0.write(dev.back + "/error", why);
    xs::switch_state(dom0, dev.back, xs::XenbusState::Closing);
  };
  switch (fs) {
    case xs::XenbusState::Initialised:
    case xs::XenbusState::Connected: {
      if (bs == xs::XenbusState::Connected || bs == xs::XenbusState::Closing) return;
      const std::optional<u32> port = read_u32(dom0, dev.front + "/event-channel");
      if (block) {
        const std::optional<u32> ring = read_u32(dom0, dev.front + "/ring-ref");
        std::optional<std::string> proto = dom0.read(dev.front + "/protocol");
        while (proto && !proto->empty() && proto->back() == '\0') proto->pop_back();
        if (!ring || !port) return fail("reading ring-ref and event-channel");
        if (proto && *proto != "x86_32-abi") return fail("unknown protocol " + *proto);
        if (const i32 rc = connect_vbd(i, *ring, *port); rc != 0) return fail(fmt::format("mapping the ring (errno {})", -rc));
        // What blkback's connect() tells the front end before it says Connected.
        const DiskImage& disk = *vbds_[i].disk;
        dom0.write(dev.back + "/sectors", std::to_string(disk.sectors()));
        dom0.write(dev.back + "/info", disk.read_only() ? "4" : "0");  // VDISK_READONLY
        dom0.write(dev.back + "/sector-size", std::to_string(kSectorSize));
      } else {
        const std::optional<u32> tx = read_u32(dom0, dev.front + "/tx-ring-ref");
        const std::optional<u32> rx = read_u32(dom0, dev.front + "/rx-ring-ref");
        if (!tx || !rx || !port) return fail("reading tx-ring-ref, rx-ring-ref and event-channel");
        if (read_u32(dom0, dev.front + "/request-rx-copy").value_or(0) != 1)
          return fail("the front end wants page flipping; this back end only copies (request-rx-copy)");
        if (const i32 rc = connect_vif(i, *tx, *rx, *port); rc != 0) return fail(fmt::format("mapping the rings (errno {})", -rc));
      }
      xs::switch_state(dom0, dev.back, xs::XenbusState::Connected);
      return;
    }
    case xs::XenbusState::Closing:
    case xs::XenbusState::Closed:
      if (block) vbds_[i].back->disconnect();
      else vifs_[i].back->disconnect();
      xs::switch_state(dom0, dev.back, fs);
      return;
    case xs::XenbusState::Initialising:
      if (bs == xs::XenbusState::Closed) xs::switch_state(dom0, dev.back, xs::XenbusState::InitWait);
      return;
    case xs::XenbusState::Unknown:
      // The front end's node is gone (its domain was destroyed and its store directory with it) or holds no
      // state: the back end lets go of its rings and closes, as netback and blkback do when the front end's
      // directory vanishes.
      if (bs == xs::XenbusState::Closed) return;
      if (block) vbds_[i].back->disconnect();
      else vifs_[i].back->disconnect();
      xs::switch_state(dom0, dev.back, xs::XenbusState::Closed);
      return;
    default: return;
  }
}

}  // namespace ring1::hv
