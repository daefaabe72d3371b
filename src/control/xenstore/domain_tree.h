// The standard tree, as Xen 3.x's tools (xend: XendDomainInfo._storeDomDetails, _storeVmDetails,
// DevController.createDevice) write it, through domain 0's client:
//   /local/domain/0/{name = "Domain-0", domid = "0", vm}           domain 0 itself
//   /vm/<uuid>/{uuid, name, memory, maxmem, vcpus, vcpu_avail, on_*}  owned by domain 0, readable by the domain
//   /local/domain/<id>/{domid, name, vm, memory/target, console/{port,ring-ref,limit},
//                       store/{port,ring-ref}, cpu/0/availability}     owned by the domain itself
// and, per split device, the back end's and the front end's directories, each owned by its own side and
// readable by the other:
//   /local/domain/<be>/backend/<type>/<fe>/<devid>/{domain, frontend, frontend-id, online, state, ...}
//   /local/domain/<fe>/device/<type>/<devid>/{backend, backend-id, state, ...}
// Both start in XenbusState Initialising; the back end and front end then run the handshake of
// xen/io/xenbus.h through their states (xenbus_state.h).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "control/xenstore/client.h"

namespace ring1::xs {

struct DomainEntries {
  u32 domid = 0;
  std::string name;
  u32 memory_kib = 0;
  u32 vcpus = 1;
  u32 store_mfn = 0, store_port = 0;
  u32 console_mfn = 0, console_port = 0;  // 0: the domain has no console ring
};

// "<domid, as 8 hex digits>-0000-4000-8000-000000000000": a fixed, well-formed uuid per domain, so that
// runs stay deterministic where xend would draw a random one.
std::string domain_uuid(u32 domid);

// Domain 0's own entries (xend writes them when it starts). Returns 0 or an errno value.
int write_dom0_entries(Client& dom0);
// A new domain's entries and its /vm directory, in one transaction.
int write_domain_entries(Client& dom0, const DomainEntries& d);

struct DeviceSpec {
  std::string type;  // "vif", "vbd", "console", ...
  u32 frontend = 0, backend = 0;
  u32 devid = 0;
  std::string frontend_name;  // the front end's domain name (the back end's "domain" entry)
  std::vector<std::pair<std::string, std::string>> front;  // extra front-end entries (mac, handle, ...)
  std::vector<std::pair<std::string, std::string>> back;   // extra back-end entries
};

std::string frontend_path(const DeviceSpec& d);
std::string backend_path(const DeviceSpec& d);
// Writes both directories (replacing any earlier ones) with their permissions, in one transaction.
int create_device(Client& dom0, const DeviceSpec& d);

}  // namespace ring1::xs
