// A domain's event channels: Xen's 2-level ABI for x86_32 (xen/event_channel.h; xen/common/event_channel.c).
// Each of the 1024 ports has a pending and a mask bit in the shared-info page; raising an event sets the
// port's pending bit and, if the port is unmasked, its word's bit in vcpu_info.evtchn_pending_sel and
// vcpu_info.evtchn_upcall_pending, exactly as Xen's evtchn_set_pending does. Whether and when the guest is
// interrupted is the hypervisor's business (the upcall, hypervisor.cpp); this class keeps the port table,
// answers the EVTCHNOP_* commands with Xen's error codes, and counts what happened to every port.
// Host-side services (the console and xenstore back ends, which are dom0 daemons in Xen) own the far end of
// a port through connect_host(): the guest's EVTCHNOP_send on it calls the service, and the service's
// notify_guest() raises the port.
#pragma once
#include <array>

#include "hypervisor/hv_types.h"
#include "hypervisor/xen_abi.h"
#include "mmu/physical_memory.h"

namespace ring1::hv {

enum class PortState : u8 { Free, Reserved, Unbound, Interdomain, Virq, Ipi };

class EventChannels;
// How a domain's table finds another domain's, for interdomain channels (the domain scheduler's list).
// Without one, the only domain is this one.
struct EventDirectory {
  EventChannels* (*find)(void* context, u16 dom) = nullptr;
  void* context = nullptr;
};

// A host-side service at the far end of a port: called when the guest sends on the port.
struct HostEndpoint {
  void (*notify)(void* context) = nullptr;
  void* context = nullptr;
};

// What happened to one port (or one VIRQ): for the report.
struct PortCounters {
  u64 sent = 0;            // EVTCHNOP_send by the guest on this port
  u64 raised = 0;          // events raised on it (set pending), whoever raised them
  u64 held_port_masked = 0;    // raised while the port's mask bit was set: wait for unmask
  u64 held_upcall_masked = 0;  // raised while the vCPU's upcall mask was set: wait for the guest to unmask
  u64 delivered = 0;       // pending and unmasked when an upcall started
};

class EventChannels {
 public:
  static constexpr u32 kPorts = xen::kNrEventChannels;
  static constexpr u32 kPortsPerBucket = 128;  // Xen 3.x allocates its port table in buckets of 128
  static constexpr u16 kBackendDomain = 0;     // the host-side services appear as domain 0's ports

  EventChannels(PhysicalMemory& ram, DomainId self);

  // Where the bitmaps live: the machine address of the shared-info page (vcpu_info[0] at its start).
  void attach(u32 shared_info_ma) { shared_info_ = shared_info_ma; }
  u32 shared_info() const { return shared_info_; }
  // Called whenever evtchn_upcall_pending goes from 0 to 1 (Xen's vcpu_mark_events_pending -> vcpu_kick):
  // the hypervisor interrupts the guest if it runs unmasked.
  void set_kick(void (*kick)(void*), void* context) {
    kick_ = kick;
    kick_ctx_ = context;
  }
  // Called whenever a port's pending bit goes from 0 to 1, masked or not: a vCPU in SCHEDOP_poll on that
  // port wakes then (Xen's evtchn_set_pending -> evtchn_check_pollers), though no upcall may follow.
  void set_pending_hook(void (*hook)(void*, u32 port), void* context) {
    pending_hook_ = hook;
    pending_ctx_ = context;
  }

  // ---- EVTCHNOP_* (each returns a port >= 0, 0, or -errno as Xen does) ----
  i32 alloc_unbound(u16 dom, u16 remote_dom);
  i32 bind_interdomain(u16 remote_dom, u32 remote_port);
  i32 bind_virq(u32 virq, u32 vcpu);
  i32 bind_ipi(u32 vcpu);
  i32 close(u32 port);
  i32 send(u32 port);
  i32 status(u16 dom, u32 port, xen::EvtchnStatus& out) const;
  i32 unmask(u32 port);
  i32 bind_vcpu(u32 port, u32 vcpu);
  i32 reset(u16 dom);
  // Every port closed, as when the domain is destroyed (Xen's evtchn_destroy): peers' ends go back to
  // unbound, waiting for this domain id again.
  void close_all();
  // The other domains of the run (interdomain channels across domains).
  void set_directory(EventDirectory d) { directory_ = d; }
  DomainId self() const { return self_; }

  // ---- the hypervisor's side ----
  // A new port of the guest, connected to a host-side service (status: interdomain to domain 0).
  i32 connect_host(HostEndpoint ep);
  // A host-side service binds to a port the guest allocated unbound for domain 0 (a split driver's front
  // end hands its port to the back end through xenstore): 0, or -EINVAL if the port is not such a port.
  i32 bind_host(u32 port, HostEndpoint ep);
  // The service's end signals: the guest's port becomes pending, unless the guest has closed it since (the
  // service's end is then unbound, and its notifications go nowhere).
  void notify_guest(u32 port) {
    if (port < kPorts && ports_[port].state == PortState::Interdomain && ports_[port].remote_dom == kBackendDomain)
      set_pending(port);
  }
  // VIRQ `virq` fires (Xen: send_guest_vcpu_virq / send_guest_global_virq); lost if no port is bound.
  void raise_virq(u32 virq);
  i32 virq_port(u32 virq) const { return virq < xen::virq::kCount ? virq_to_port_[virq] : 0; }

  // ---- the shared-info bits ----
  bool upcall_pending() const;
  bool upcall_masked() const;
  void set_upcall_mask(bool masked);
  bool port_pending(u32 port) const;
  bool port_masked(u32 port) const;
  // An upcall is about to run: counts the ports it delivers (pending and unmasked, not yet counted).
  void note_upcall();

  // ---- inspection ----
  PortState state(u32 port) const { return port < kPorts ? ports_[port].state : PortState::Free; }
  const PortCounters& counters(u32 port) const { return ports_[port].counters; }
  const PortCounters& virq_counters(u32 virq) const { return virq_counters_[virq]; }
  u32 bound_virq(u32 port) const { return ports_[port].virq; }
  u64 virqs_lost() const { return virqs_lost_; }

 private:
  struct Channel {
    PortState state = PortState::Free;
    u32 vcpu = 0;            // the vCPU notified (notify_vcpu_id)
    u16 remote_dom = 0;      // Unbound: who may bind; Interdomain: the far end's domain
    u32 remote_port = 0;     // Interdomain: the far end's port (for a host service: its index)
    u32 virq = 0;
    bool delivered = false;  // counted as delivered since it last became pending
    PortCounters counters;
  };

  bool port_valid(u32 port) const { return port < buckets_ * kPortsPerBucket; }
  i32 get_free_port();
  void set_pending(u32 port);
  bool test_bit(u32 offset, u32 bit) const;
  bool test_and_set_bit(u32 offset, u32 bit);
  bool test_and_clear_bit(u32 offset, u32 bit);
  void clear_bit(u32 offset, u32 bit);
  bool is_self(u16 dom) const { return dom == xen::kDomidSelf || dom == self_.value; }
  EventChannels* peer(u16 dom) const {
    return directory_.find && dom != self_.value ? directory_.find(directory_.context, dom) : nullptr;
  }
  // The far end of a cross-domain channel: another domain binds to, closes, or sends on its port.
  Channel* peer_port(u32 port) { return port_valid(port) ? &ports_[port] : nullptr; }
  void kick() {
    if (kick_) kick_(kick_ctx_);
  }

  PhysicalMemory& ram_;
  DomainId self_;
  u32 shared_info_ = 0;
  u32 buckets_ = 0;
  std::array<Channel, kPorts> ports_{};
  std::array<u32, xen::virq::kCount> virq_to_port_{};
  std::array<PortCounters, xen::virq::kCount> virq_counters_{};
  std::array<HostEndpoint, 64> hosts_{};
  u32 nr_hosts_ = 0;
  u64 virqs_lost_ = 0;
  void (*kick_)(void*) = nullptr;
  void* kick_ctx_ = nullptr;
  void (*pending_hook_)(void*, u32) = nullptr;
  void* pending_ctx_ = nullptr;
  EventDirectory directory_;
};

}  // namespace ring1::hv
