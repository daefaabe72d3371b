// The virtual devices of a run, as the control domain's policy sets them up (xl's vif and disk lines;
// `--disk FILE[,ro]`, `--vif [domain=N][,mac=MAC]`, `--vif-pcap FILE`): one block back end per disk, one
// network back end per vif, every vif of every domain on one virtual switch, and the pcap file. Each device
// belongs to one domain (its front end's; domain 1 unless the spec says otherwise) and is numbered within it
// (device/vif/0, /1, ... of that domain), as xl numbers each guest's devices. A front end connects a device
// by handing over its ring grants and the event-channel port it allocated unbound for domain 0 (normally
// through xenstore, the standard handshake); the back end then binds that port in the front end's domain,
// so the guest's EVTCHNOP_send runs the back end and the back end's notifications raise the port, and
// reaches the front end's grants through that domain's grant table. Back-end work is charged to the
// modelled clock.
#pragma once
#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "devices/blkif_backend.h"
#include "devices/disk_image.h"
#include "devices/netif_backend.h"
#include "devices/virtual_switch.h"
#include "hypervisor/backend_link.h"

namespace ring1::hv {

class Hypervisor;

struct DiskConfig {
  std::string path;
  bool read_only = false;
  u16 domain = 1;  // the front end's domain
};
struct VifConfig {
  u16 domain = 1;  // the front end's domain
  std::array<u8, 6> mac{};
  bool default_mac = true;  // no mac= given: Xen's prefix, the domain and the vif's number (configure())
};
struct IoConfig {
  std::vector<DiskConfig> disks;
  std::vector<VifConfig> vifs;
  std::string pcap;
};

// `FILE`, then optionally `,ro` or `,rw` and `,domain=N` (1 to 255; default 1), in either order; false with a
// one-line error otherwise.
bool parse_disk_spec(const std::string& spec, DiskConfig& out, std::string& error);
// `default` or nothing (what a bare --vif gives), or comma-separated `domain=N` (1 to 255) and
// `mac=XX:XX:XX:XX:XX:XX`, each at most once. Without mac= the MAC is Xen's prefix 00:16:3e followed by 00,
// the domain and the vif's number within its domain, so runs are reproducible (xl picks the last three at
// random); configure() fills it in.
bool parse_vif_spec(const std::string& spec, VifConfig& out, std::string& error);
std::string format_mac(const std::array<u8, 6>& mac);

class IoDevices {
 public:
  // Domain 1 (`first`) is a front-end domain from the start; others are added before configure().
  explicit IoDevices(Hypervisor& first);
  ~IoDevices();
  IoDevices(const IoDevices&) = delete;
  IoDevices& operator=(const IoDevices&) = delete;

  // Another domain whose front ends devices may serve (a run of several domains adds 2, 3, ...).
  void add_domain(Hypervisor& dom);

  // Opens the disk images and the pcap file and creates the back ends, each in its domain (default MACs
  // filled in); false with a one-line error naming the file or the domain that does not exist.
  bool configure(const IoConfig& config, std::string& error);

  // Writes every device's front-end and back-end nodes into the store (the domain's entries must exist) and
  // runs the back ends' side of the XenbusState handshake from then on (io_handshake.cpp); false with a
  // one-line error if the store refuses.
  bool publish(std::string& error);
  // A vbd's device id: Xen's xvd numbering (202 << 8, 16 minors per disk).
  static u32 vbd_devid(u32 index);

  // A front end connects vbd / vif `index` (the run's numbering, over every domain): 0, or -errno (-ENOENT: no such device; -EINVAL: the port is not
  // one the guest allocated for domain 0; -EACCES: a ring grant was refused).
  i32 connect_vbd(u32 index, u32 ring_ref, u32 port);
  i32 connect_vif(u32 index, u32 tx_ref, u32 rx_ref, u32 port);
  // End of the run: every back end disconnected, every disk flushed and closed, the pcap file closed.
  void shutdown();

  u32 nr_vbds() const { return u32(vbds_.size()); }
  u32 nr_vifs() const { return u32(vifs_.size()); }
  const BlkifBackend& vbd(u32 i) const { return *vbds_[i].back; }
  const NetifBackend& vif(u32 i) const { return *vifs_[i].back; }
  const VifConfig& vif_config(u32 i) const { return vifs_[i].config; }
  // Its number within its domain (device/vif/N there).
  u32 vif_devid(u32 i) const { return vifs_[i].devid; }
  u16 vbd_domain(u32 i) const { return vbds_[i].dom; }
  u32 vbd_index(u32 i) const { return vbds_[i].devid; }  // its number within its domain
  const DiskImage& disk(u32 i) const { return *vbds_[i].disk; }
  const VirtualSwitch& virtual_switch() const { return sw_; }

 private:
  struct Device {  // where the device's two directories are in the store
    std::string front, back;
  };
  // A front-end domain: its hypervisor, and the grant path and event target its back ends use.
  struct Frontend {
    Hypervisor* hv = nullptr;
    BackendLink link;
  };
  struct Vbd {
    std::unique_ptr<DiskImage> disk;
    std::unique_ptr<BlkifBackend> back;
    Device xs;
    u16 dom = 1;
    u32 devid = 0;  // the index within its domain (the xvd number comes from it)
  };
  struct Vif {
    VifConfig config;
    std::unique_ptr<NetifBackend> back;
    Device xs;
    u32 devid = 0;
  };
  Frontend* frontend(u16 dom);
  // The front end's state node changed: the back end's step of the handshake.
  void frontend_changed(bool block, u32 index);
  static void notify(void* self, u32 port);
  static void charge(void* self, u64 cycles);
  static u64 now_ns(void* self);

  Hypervisor& hv_;  // domain 1: the CPU, the RAM and the clock every back end shares
  std::map<u16, std::unique_ptr<Frontend>> fronts_;
  VirtualSwitch sw_;
  std::vector<Vbd> vbds_;
  std::vector<Vif> vifs_;
};

}  // namespace ring1::hv
