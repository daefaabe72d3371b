// Writing the standard tree and split devices' directories (see the headers), and the XenbusState helpers.
#include "control/xenstore/domain_tree.h"

#include <cerrno>

#include <fmt/format.h>
#include <xen/io/xenbus.h>

#include "control/xenstore/store_path.h"
#include "control/xenstore/xenbus_state.h"

namespace ring1::xs {

static_assert(u32(XenbusState::Initialising) == XenbusStateInitialising &&
              u32(XenbusState::InitWait) == XenbusStateInitWait &&
              u32(XenbusState::Initialised) == XenbusStateInitialised &&
              u32(XenbusState::Connected) == XenbusStateConnected && u32(XenbusState::Closing) == XenbusStateClosing &&
              u32(XenbusState::Closed) == XenbusStateClosed &&
              u32(XenbusState::Reconfigured) == XenbusStateReconfigured);

namespace {

// Runs `body` in a transaction, again while the commit answers EAGAIN (as xend's xstransact does).
template <class Body>
int in_transaction(Client& c, Body body) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    u32 tx = 0;
    if (int e = c.transaction_start(tx)) return e;
    if (int e = body(tx)) {
      c.transaction_end(tx, false);
      return e;
    }
    const int e = c.transaction_end(tx, true);
    if (e != EAGAIN) return e;
  }
  return EAGAIN;
}

int write_all(Client& c, u32 tx, const std::string& dir,
              const std::vector<std::pair<std::string, std::string>>& entries) {
  for (const auto& [k, v] : entries)
    if (int e = c.write(dir + "/" + k, v, tx)) return e;
  return 0;
}

}  // namespace

std::string domain_uuid(u32 domid) { return fmt::format("{:08x}-0000-4000-8000-000000000000", domid); }

int write_dom0_entries(Client& dom0) {
  return in_transaction(dom0, [&](u32 tx) {
    const std::string dom = domain_path(0);
    return write_all(dom0, tx, dom, {{"name", "Domain-0"}, {"domid", "0"}, {"vm", "/vm/" + domain_uuid(0)}});
  });
}

int write_domain_entries(Client& dom0, const DomainEntries& d) {
  const std::string dom = domain_path(d.domid);
  const std::string vm = "/vm/" + domain_uuid(d.domid);
  return in_transaction(dom0, [&](u32 tx) {
    dom0.rm(dom, tx);
    if (int e = dom0.mkdir(dom, tx)) return e;
    if (int e = dom0.set_perms(dom, {PermEntry{d.domid, perm::kNone}}, tx)) return e;
    if (int e = dom0.mkdir(vm, tx)) return e;
    if (int e = dom0.set_perms(vm, {PermEntry{0, perm::kNone}, PermEntry{d.domid, perm::kRead}}, tx)) return e;
    const std::string mem = std::to_string(d.memory_kib / 1024);
    if (int e = write_all(dom0, tx, vm,
                          {{"uuid", domain_uuid(d.domid)}, {"name", d.name}, {"memory", mem}, {"maxmem", mem},
                           {"vcpus", std::to_string(d.vcpus)}, {"vcpu_avail", std::to_string((1u << d.vcpus) - 1)},
                           {"on_poweroff", "destroy"}, {"on_reboot", "restart"}, {"on_crash", "restart"}}))
      return e;
    std::vector<std::pair<std::string, std::string>> entries = {
        {"domid", std::to_string(d.domid)}, {"vm", vm}, {"name", d.name},
        {"memory/target", std::to_string(d.memory_kib)},
        {"store/port", std::to_string(d.store_port)}, {"store/ring-ref", std::to_string(d.store_mfn)}};
    if (d.console_port) {
      entries.emplace_back("console/port", std::to_string(d.console_port));
      entries.emplace_back("console/ring-ref", std::to_string(d.console_mfn));
      entries.emplace_back("console/limit", "1048576");  // xend's console_limit default, 1024 KiB
    }
    for (u32 v = 0; v < d.vcpus; ++v) entries.emplace_back(fmt::format("cpu/{}/availability", v), "online");
    return write_all(dom0, tx, dom, entries);
  });
}

std::string frontend_path(const DeviceSpec& d) {
  return fmt::format("{}/device/{}/{}", domain_path(d.frontend), d.type, d.devid);
}

std::string backend_path(const DeviceSpec& d) {
  return fmt::format("{}/backend/{}/{}/{}", domain_path(d.backend), d.type, d.frontend, d.devid);
}

int create_device(Client& dom0, const DeviceSpec& d) {
  const std::string front = frontend_path(d), back = backend_path(d);
  const std::string initialising = std::to_string(u32(XenbusState::Initialising));
  return in_transaction(dom0, [&](u32 tx) {
    dom0.rm(front, tx);
    dom0.rm(back, tx);
    if (int e = dom0.mkdir(back, tx)) return e;
    if (int e = dom0.set_perms(back, {PermEntry{d.backend, perm::kNone}, PermEntry{d.frontend, perm::kRead}}, tx))
      return e;
    if (int e = dom0.mkdir(front, tx)) return e;
    if (int e = dom0.set_perms(front, {PermEntry{d.frontend, perm::kNone}, PermEntry{d.backend, perm::kRead}}, tx))
      return e;
    if (int e = write_all(dom0, tx, front,
                          {{"backend", back}, {"backend-id", std::to_string(d.backend)}, {"state", initialising}}))
      return e;
    if (int e = write_all(dom0, tx, front, d.front)) return e;
    if (int e = write_all(dom0, tx, back,
                          {{"domain", d.frontend_name}, {"frontend", front},
                           {"frontend-id", std::to_string(d.frontend)}, {"online", "1"}, {"state", initialising}}))
      return e;
    return write_all(dom0, tx, back, d.back);
  });
}

XenbusState read_state(Client& c, const std::string& dir) {
  std::string v;
  if (c.read(dir + "/state", v) || v.empty() || v.size() > 2) return XenbusState::Unknown;
  u32 n = 0;
  for (char ch : v) {
    if (ch < '0' || ch > '9') return XenbusState::Unknown;
    n = n * 10 + u32(ch - '0');
  }
  return n <= u32(XenbusState::Reconfigured) ? XenbusState(n) : XenbusState::Unknown;
}

int switch_state(Client& c, const std::string& dir, XenbusState s) {
  if (read_state(c, dir) == s) return 0;
  return c.write(dir + "/state", std::to_string(u32(s)));
}

}  // namespace ring1::xs
