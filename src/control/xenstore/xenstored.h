// The store daemon in process: the control domain's xenstored (the paper's domain 0 role), as host code.
// It keeps the tree (store_tree.h), one connection per client (connection.h), and answers every request
// of the wire protocol (wire_protocol.h) with xenstored's semantics: node operations and their permission
// rules (store_ops.h), watches and their events (watches.h), transactions with conflict detection
// (transaction.h), domain paths, and the tools' INTRODUCE/RELEASE of domains. Guests reach it over their
// store ring when they notify its event channel (kick); domain 0's in-process services (the device back
// ends) reach it through the Client of client.h, over the same request path.
//
// Its work is charged through a callback (the hypervisor prices it from the cost profile: per request and
// per byte moved) and counted in stats() as domain 0's. It knows nothing of the hypervisor: a domain's
// ring is a machine address, its notification a function; an INTRODUCE from the wire asks a hook for both.
#pragma once
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/xenstore/connection.h"
#include "control/xenstore/store_ops.h"
#include "control/xenstore/store_tree.h"
#include "mmu/physical_memory.h"

namespace ring1::xs {

class Client;

struct XenstoredStats {
  std::array<u64, kMsgTypes + 1> requests{};  // from guests' rings, by type; unknown types in [kMsgTypes]
  u64 local_requests = 0;                     // from the in-process clients (domain 0's own services)
  std::array<u64, kErrorCount + 1> errors{};  // error replies by xsd_errors position (error_slot)
  u64 watch_events = 0;          // events queued for a watcher
  u64 watch_events_dropped = 0;  // events a ring's backlog bound refused
  u64 transactions_started = 0;
  u64 transactions_committed = 0;
  u64 transactions_conflicted = 0;  // commits refused with EAGAIN
  u64 transactions_aborted = 0;
  u64 bytes_in = 0;   // request bytes read from rings
  u64 bytes_out = 0;  // reply and event bytes written to rings
  u64 kicks = 0;      // notifications from guests
  u64 broken_rings = 0;  // connections dropped for a bad index or an oversized message
  Cycles cycles = 0;     // modelled cycles charged for the daemon's work (domain 0's)
};

class Xenstored {
 public:
  // At most this many requests are read from one ring per kick: the work a notification can cause is
  // bounded whatever the guest put on the ring (the ring holds at most 64 minimal requests anyway).
  static constexpr u32 kRequestsPerKick = 64;
  // At most this many in-process watch callbacks run per request; the rest wait for the next one, so a
  // callback that rewrites what it watches cannot loop for ever.
  static constexpr u32 kCallbacksPerRequest = 4096;

  explicit Xenstored(PhysicalMemory& ram);
  ~Xenstored();
  Xenstored(const Xenstored&) = delete;
  Xenstored& operator=(const Xenstored&) = delete;

  // Who pays for the daemon's work: called with the requests handled and the ring bytes moved, it prices
  // and charges them and returns the cycles (counted in stats().cycles).
  using ChargeFn = Cycles (*)(void* ctx, u64 requests, u64 bytes);
  void set_charge(ChargeFn charge, void* ctx) {
    charge_ = charge;
    charge_ctx_ = ctx;
  }

  // Domain 0's in-process connection (privileged, home /local/domain/0).
  Client& dom0() { return *dom0_client_; }
  // A further in-process connection for domain `domid` (unprivileged unless it is 0): for tests and
  // for services acting as a domain.
  Client& local_client(u32 domid);

  // The tools' xs_introduce_domain: the store serves domain `domid` over the ring page at machine address
  // `ring_ma` and signals it through `notify`; fires @introduceDomain. Returns 0 or an errno value
  // (EINVAL: already introduced with another ring).
  int introduce(u32 domid, u32 ring_ma, RingNotify notify);
  // xs_release_domain: drops the domain's connection, watches and transactions; fires @releaseDomain.
  int release(u32 domid);
  bool introduced(u32 domid) const { return ring_of(domid) != nullptr; }
  // A privileged ring connection (a domain 0 whose kernel talks to the store over a ring).
  int introduce_privileged(u32 domid, u32 ring_ma, RingNotify notify);
  // How a wire XS_INTRODUCE reaches a domain: maps (domid, mfn, port) to its ring page and notification,
  // or false if there is no such domain or port.
  using IntroduceHook = std::function<bool(u32 domid, u32 mfn, u32 port, u32& ring_ma, RingNotify& notify)>;
  void set_introduce_hook(IntroduceHook hook) { introduce_hook_ = std::move(hook); }

  // The domain notified the store's event channel: read and answer its requests, write what is queued.
  void kick(u32 domid);

  // Runs one request for `c` as if it had come over its ring (the in-process clients use this), then
  // delivers the watch events it caused. The reply is returned.
  Message request(Connection& c, const Message& m);

  StoreTree& tree() { return tree_; }
  const StoreTree& tree() const { return tree_; }
  const Quotas& quotas() const { return quotas_; }
  const XenstoredStats& stats() const { return stats_; }
  // The ring connection of `domid`, if it has one.
  const RingTransport* ring_of(u32 domid) const;

 private:
  Connection& add_connection(u32 domid, bool privileged);
  Message execute(Connection& c, const Message& m);
  Message transaction_start(Connection& c, const Message& m);
  Message transaction_end(Connection& c, const Message& m, Transaction* tx);
  Message watch(Connection& c, const Message& m);
  Message unwatch(Connection& c, const Message& m);
  Message introduce_msg(Connection& c, const Message& m);
  Message domain_msg(Connection& c, const Message& m);
  void fire(const std::vector<Change>& changes);
  void fire_one(Connection& c, const Watch& w, const std::string& path);
  void service(Connection& c);
  void settle();  // flush rings, run in-process callbacks
  void charge(u64 requests, u64 bytes);
  Connection* find_ring(u32 domid);
  void drop(Connection& c);

  PhysicalMemory& ram_;
  StoreTree tree_;
  Quotas quotas_;
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<std::unique_ptr<Client>> clients_;
  Client* dom0_client_ = nullptr;
  std::vector<Change> pending_;  // changes whose watches fire once the current reply is queued
  std::vector<std::pair<Connection*, Watch>> pending_initial_;  // watches registered: their first event
  IntroduceHook introduce_hook_;
  XenstoredStats stats_;
  ChargeFn charge_ = nullptr;
  void* charge_ctx_ = nullptr;
  bool settling_ = false;
};

}  // namespace ring1::xs
