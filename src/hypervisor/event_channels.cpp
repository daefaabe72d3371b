// The event-channel table and the 2-level pending/mask protocol (see the header). Every rule here is Xen
// 3.x's xen/common/event_channel.c as its public header describes it: port 0 is reserved, ports come from
// buckets of 128 allocated on demand (a port past the allocated buckets is invalid: -EINVAL), a full table
// is -ENOSPC, a VIRQ can be bound once (-EEXIST), a global VIRQ only to vCPU 0, a vCPU that does not exist
// is -ENOENT, and sending on an unbound port drops the event silently.
#include "hypervisor/event_channels.h"

#include <cstddef>

namespace ring1::hv {
namespace {

using xen::err::kEEXIST;
using xen::err::kEINVAL;
using xen::err::kENOENT;
using xen::err::kENOSPC;
using xen::err::kEPERM;
using xen::err::kESRCH;

// Offsets in shared_info and vcpu_info[0] (xen.h; checked against foreign/x86_32.h by abi_test).
constexpr u32 kPendingAt = offsetof(xen::SharedInfo, evtchn_pending);
constexpr u32 kMaskAt = offsetof(xen::SharedInfo, evtchn_mask);
constexpr u32 kUpcallPendingAt = offsetof(xen::VcpuInfo, evtchn_upcall_pending);
constexpr u32 kUpcallMaskAt = offsetof(xen::VcpuInfo, evtchn_upcall_mask);
constexpr u32 kPendingSelAt = offsetof(xen::VcpuInfo, evtchn_pending_sel);

// VIRQs that belong to each vCPU (xen.h marks them "V."); the others are global and bind to vCPU 0 only.
bool virq_is_per_vcpu(u32 virq) {
  return virq == xen::virq::kTimer || virq == xen::virq::kDebug || virq == xen::virq::kXenoprof;
}

// ring1's domains have one vCPU. Ids past XEN_LEGACY_MAX_VCPUS name no slot at all.
bool vcpu_exists(u32 vcpu) { return vcpu == 0; }

}  // namespace

EventChannels::EventChannels(PhysicalMemory& ram, DomainId self) : ram_(ram), self_(self) {
  // Xen's evtchn_init: the first port allocated is 0, and it is reserved so that 0 never names a channel.
  get_free_port();
  ports_[0].state = PortState::Reserved;
}

// ---- bits in the shared-info page (host-side accesses, as Xen's test_and_set_bit on the mapped page) ----

bool EventChannels::test_bit(u32 offset, u32 bit) const {
  u32 w;
  ram_.read_bytes(shared_info_ + offset + (bit / 32) * 4, &w, 4);
  return (w >> (bit % 32)) & 1;
}

bool EventChannels::test_and_set_bit(u32 offset, u32 bit) {
  u32 w;
  const u32 at = shared_info_ + offset + (bit / 32) * 4;
  ram_.read_bytes(at, &w, 4);
  const bool old = (w >> (bit % 32)) & 1;
  w |= 1u << (bit % 32);
  ram_.write_bytes(at, &w, 4);
  return old;
}

bool EventChannels::test_and_clear_bit(u32 offset, u32 bit) {
  u32 w;
  const u32 at = shared_info_ + offset + (bit / 32) * 4;
  ram_.read_bytes(at, &w, 4);
  const bool old = (w >> (bit % 32)) & 1;
  w &= ~(1u << (bit % 32));
  ram_.write_bytes(at, &w, 4);
  return old;
}

void EventChannels::clear_bit(u32 offset, u32 bit) { test_and_clear_bit(offset, bit); }

bool EventChannels::upcall_pending() const {
  u8 v;
  ram_.read_bytes(shared_info_ + kUpcallPendingAt, &v, 1);
  return v != 0;
}

bool EventChannels::upcall_masked() const {
  u8 v;
  ram_.read_bytes(shared_info_ + kUpcallMaskAt, &v, 1);
  return v != 0;
}

void EventChannels::set_upcall_mask(bool masked) {
  const u8 v = masked ? 1 : 0;
  ram_.write_bytes(shared_info_ + kUpcallMaskAt, &v, 1);
}

bool EventChannels::port_pending(u32 port) const { return port < kPorts && test_bit(kPendingAt, port); }
bool EventChannels::port_masked(u32 port) const { return port < kPorts && test_bit(kMaskAt, port); }

// Xen's evtchn_set_pending: the pending bit; if it was clear and the port is unmasked, the selector bit;
// if that was clear, evtchn_upcall_pending and a kick. A port raised while masked loses nothing but the
// edge: its pending bit waits for the unmask.
void EventChannels::set_pending(u32 port) {
  Channel& c = ports_[port];
  ++c.counters.raised;
  const bool masked = test_bit(kMaskAt, port);
  if (masked) ++c.counters.held_port_masked;
  else if (upcall_masked()) ++c.counters.held_upcall_masked;
  if (c.state == PortState::Virq) {
    PortCounters& v = virq_counters_[c.virq];
    ++v.raised;
    if (masked) ++v.held_port_masked;
    else if (upcall_masked()) ++v.held_upcall_masked;
  }
  if (test_and_set_bit(kPendingAt, port)) return;
  c.delivered = false;
  if (pending_hook_) pending_hook_(pending_ctx_, port);
  if (masked) return;
  if (test_and_set_bit(kPendingSelAt, port / 32)) return;
  u8 was;
  ram_.read_bytes(shared_info_ + kUpcallPendingAt, &was, 1);
  const u8 one = 1;
  ram_.write_bytes(shared_info_ + kUpcallPendingAt, &one, 1);
  if (!was) kick();
}

void EventChannels::note_upcall() {
  for (u32 w = 0; w < kPorts / 32; ++w) {
    u32 pending, mask;
    ram_.read_bytes(shared_info_ + kPendingAt + w * 4, &pending, 4);
    if (!pending) continue;
    ram_.read_bytes(shared_info_ + kMaskAt + w * 4, &mask, 4);
    for (u32 bits = pending & ~mask; bits; bits &= bits - 1) {
      Channel& c = ports_[w * 32 + __builtin_ctz(bits)];
      if (c.delivered) continue;
      c.delivered = true;
      ++c.counters.delivered;
      if (c.state == PortState::Virq) ++virq_counters_[c.virq].delivered;
    }
  }
}

// ---- the port table ----

// Xen's get_free_port: the lowest free port in the allocated buckets, else the first port of a new bucket.
i32 EventChannels::get_free_port() {
  for (u32 p = 0; p < buckets_ * kPortsPerBucket; ++p)
    if (ports_[p].state == PortState::Free) return static_cast<i32>(p);
  if (buckets_ * kPortsPerBucket >= kPorts) return -kENOSPC;
  return static_cast<i32>(buckets_++ * kPortsPerBucket);
}

i32 EventChannels::alloc_unbound(u16 dom, u16 remote_dom) {
  // Only a privileged domain may allocate in another's table (Xen 3.x: -EPERM unless DOMID_SELF).
  if (dom != xen::kDomidSelf) return -kEPERM;
  const i32 port = get_free_port();
  if (port < 0) return port;
  Channel& c = ports_[port];
  c = Channel{};
  c.state = PortState::Unbound;
  c.remote_dom = remote_dom == xen::kDomidSelf ? self_.value : remote_dom;
  return port;
}

// Xen's evtchn_bind_interdomain. The far end must be an unbound port that names this domain as the one
// allowed to bind it; both ends then name each other. Domain 0 stands for the host-side services, which
// offer no unbound ports to bind to; a domain that does not exist is -ESRCH.
i32 EventChannels::bind_interdomain(u16 remote_dom, u32 remote_port) {
  EventChannels* other = is_self(remote_dom) ? this : peer(remote_dom);
  if (!other && remote_dom != kBackendDomain) return -kESRCH;
  const i32 lport = get_free_port();
  if (lport < 0) return lport;
  if (remote_dom == kBackendDomain) return -kEINVAL;
  Channel* r = other->peer_port(remote_port);
  if (!r || r->state != PortState::Unbound || r->remote_dom != self_.value) return -kEINVAL;
  Channel& l = ports_[lport];
  l = Channel{};
  l.state = PortState::Interdomain;
  l.remote_dom = other->self_.value;
  l.remote_port = remote_port;
  r->state = PortState::Interdomain;
  r->remote_dom = self_.value;
  r->remote_port = static_cast<u32>(lport);
  // Xen raises the new local port at once: notifications sent on the unbound remote end were dropped.
  set_pending(static_cast<u32>(lport));
  return lport;
}

i32 EventChannels::bind_virq(u32 virq, u32 vcpu) {
  if (virq >= xen::virq::kCount) return -kEINVAL;
  if (!virq_is_per_vcpu(virq) && vcpu != 0) return -kEINVAL;
  if (vcpu >= xen::kMaxVirtCpus || !vcpu_exists(vcpu)) return -kENOENT;
  if (virq_to_port_[virq] != 0) return -kEEXIST;
  const i32 port = get_free_port();
  if (port < 0) return port;
  Channel& c = ports_[port];
  c = Channel{};
  c.state = PortState::Virq;
  c.virq = virq;
  c.vcpu = vcpu;
  virq_to_port_[virq] = static_cast<u32>(port);
  return port;
}

i32 EventChannels::bind_ipi(u32 vcpu) {
  if (vcpu >= xen::kMaxVirtCpus || !vcpu_exists(vcpu)) return -kENOENT;
  const i32 port = get_free_port();
  if (port < 0) return port;
  Channel& c = ports_[port];
  c = Channel{};
  c.state = PortState::Ipi;
  c.vcpu = vcpu;
  return port;
}

// Xen's __evtchn_close. An interdomain far end goes back to unbound (waiting for this domain again); the
// port's pending bit is cleared so that a re-bind does not see a stale event. Its mask bit stays.
i32 EventChannels::close(u32 port) {
  if (!port_valid(port)) return -kEINVAL;
  Channel& c = ports_[port];
  switch (c.state) {
    case PortState::Free:
    case PortState::Reserved: return -kEINVAL;
    case PortState::Virq: virq_to_port_[c.virq] = 0; break;
    case PortState::Interdomain:
      // The far end, in this domain or another, goes back to unbound, waiting for this domain again.
      if (c.remote_dom != kBackendDomain) {
        EventChannels* other = c.remote_dom == self_.value ? this : peer(c.remote_dom);
        if (Channel* r = other ? other->peer_port(c.remote_port) : nullptr) {
          r->state = PortState::Unbound;
          r->remote_dom = self_.value;
          r->remote_port = 0;
        }
      }
      break;
    case PortState::Unbound:
    case PortState::Ipi: break;
  }
  const PortCounters kept = c.counters;
  c = Channel{};
  c.counters = kept;
  clear_bit(kPendingAt, port);
  return 0;
}

i32 EventChannels::send(u32 port) {
  if (!port_valid(port)) return -kEINVAL;
  Channel& c = ports_[port];
  switch (c.state) {
    case PortState::Interdomain:
      ++c.counters.sent;
      if (c.remote_dom == kBackendDomain) {
        const HostEndpoint& h = hosts_[c.remote_port];
        if (h.notify) h.notify(h.context);
      } else if (c.remote_dom == self_.value) {
        set_pending(c.remote_port);
      } else if (EventChannels* other = peer(c.remote_dom)) {
        other->set_pending(c.remote_port);
      }
      return 0;
    case PortState::Ipi:
      ++c.counters.sent;
      set_pending(port);
      return 0;
    case PortState::Unbound:
      ++c.counters.sent;
      return 0;  // nobody listens yet: dropped, as Xen does
    default: return -kEINVAL;
  }
}

i32 EventChannels::status(u16 dom, u32 port, xen::EvtchnStatus& out) const {
  if (dom != xen::kDomidSelf) return -kEPERM;  // another domain's table (or our own id spelled out): privileged only
  if (!port_valid(port)) return -kEINVAL;
  const Channel& c = ports_[port];
  out.u = {};
  out.vcpu = c.vcpu;
  switch (c.state) {
    case PortState::Free:
    case PortState::Reserved: out.status = xen::evtchnstat::kClosed; break;
    case PortState::Unbound:
      out.status = xen::evtchnstat::kUnbound;
      out.u.unbound.dom = c.remote_dom;
      break;
    case PortState::Interdomain:
      out.status = xen::evtchnstat::kInterdomain;
      out.u.interdomain.dom = c.remote_dom;
      out.u.interdomain.port = c.remote_port;
      break;
    case PortState::Virq:
      out.status = xen::evtchnstat::kVirq;
      out.u.virq = c.virq;
      break;
    case PortState::Ipi: out.status = xen::evtchnstat::kIpi; break;
  }
  return 0;
}

// Xen's evtchn_unmask: clear the mask bit; if the port is pending, set the selector bit and, if that was
// clear, evtchn_upcall_pending. The edge lost while masked is made up here.
i32 EventChannels::unmask(u32 port) {
  if (!port_valid(port)) return -kEINVAL;
  if (test_and_clear_bit(kMaskAt, port) && test_bit(kPendingAt, port) &&
      !test_and_set_bit(kPendingSelAt, port / 32)) {
    u8 was;
    ram_.read_bytes(shared_info_ + kUpcallPendingAt, &was, 1);
    const u8 one = 1;
    ram_.write_bytes(shared_info_ + kUpcallPendingAt, &one, 1);
    if (!was) kick();
  }
  return 0;
}

i32 EventChannels::bind_vcpu(u32 port, u32 vcpu) {
  if (vcpu >= xen::kMaxVirtCpus || !vcpu_exists(vcpu)) return -kENOENT;
  if (!port_valid(port)) return -kEINVAL;
  Channel& c = ports_[port];
  switch (c.state) {
    case PortState::Virq:
      if (virq_is_per_vcpu(c.virq)) return -kEINVAL;
      c.vcpu = vcpu;
      return 0;
    case PortState::Unbound:
    case PortState::Interdomain:
      c.vcpu = vcpu;
      return 0;
    default: return -kEINVAL;
  }
}

// Xen's evtchn_reset: every port closed (the host services' ports too, as a domain resetting before kexec
// would lose them).
i32 EventChannels::reset(u16 dom) {
  if (dom != xen::kDomidSelf) return -kEPERM;
  for (u32 p = 1; p < buckets_ * kPortsPerBucket; ++p)
    if (ports_[p].state != PortState::Free) close(p);
  return 0;
}

void EventChannels::close_all() {
  for (u32 p = 1; p < buckets_ * kPortsPerBucket; ++p)
    if (ports_[p].state != PortState::Free && ports_[p].state != PortState::Reserved) close(p);
}

i32 EventChannels::connect_host(HostEndpoint ep) {
  if (nr_hosts_ >= hosts_.size()) return -kENOSPC;
  const i32 port = get_free_port();
  if (port < 0) return port;
  hosts_[nr_hosts_] = ep;
  Channel& c = ports_[port];
  c = Channel{};
  c.state = PortState::Interdomain;
  c.remote_dom = kBackendDomain;
  c.remote_port = nr_hosts_++;
  return port;
}

i32 EventChannels::bind_host(u32 port, HostEndpoint ep) {
  // The back end's EVTCHNOP_bind_interdomain to the front end's unbound port: only a port the guest
  // allocated for domain 0 can be taken, as Xen checks remote_domid.
  if (!port_valid(port) || ports_[port].state != PortState::Unbound || ports_[port].remote_dom != kBackendDomain)
    return -kEINVAL;
  if (nr_hosts_ >= hosts_.size()) return -kENOSPC;
  hosts_[nr_hosts_] = ep;
  Channel& c = ports_[port];
  c.state = PortState::Interdomain;
  c.remote_port = nr_hosts_++;
  return 0;
}

void EventChannels::raise_virq(u32 virq) {
  const u32 port = virq < xen::virq::kCount ? virq_to_port_[virq] : 0;
  if (port == 0) {
    ++virqs_lost_;
    return;
  }
  set_pending(port);
}

}  // namespace ring1::hv
