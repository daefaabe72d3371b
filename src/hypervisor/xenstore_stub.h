// The far end of a domain's xenstore ring until ring1 has a real store (the domains issue brings one): it
// reads every request the guest puts on the ring of its xenstore page (xen/include/public/io/xs_wire.h,
// struct xenstore_domain_interface) and answers each with a well-formed error reply, an XS_ERROR message
// carrying the request's req_id and tx_id and the error name "ENOSYS" — the store exists and speaks the
// protocol, it just holds nothing and can do nothing. A guest that waits for its store therefore gets an
// answer it can act on (print the error, give up on a device) instead of waiting forever.
//
// The page is the domain's (start_info.store_mfn); the service runs when the guest notifies the store's
// event channel (start_info.store_evtchn) and tells the caller whether replies were written, so that the
// event channel can signal the guest back, as xenstored does.
#pragma once
#include "common/types.h"
#include "mmu/physical_memory.h"

namespace ring1::hv {

struct XenstoreStubStats {
  u64 requests = 0;       // complete request messages read
  u64 replies = 0;        // error replies written
  u64 bytes_read = 0;     // request bytes consumed from the ring
  u64 protocol_errors = 0;  // messages longer than XENSTORE_PAYLOAD_MAX (the connection is then dropped)
};

class XenstoreStub {
 public:
  explicit XenstoreStub(PhysicalMemory& ram) : ram_(ram) {}

  // The machine address of the store page (0: none).
  void attach(u32 page_ma) { page_ = page_ma; }
  u32 page() const { return page_; }

  // Consumes what the guest has written and writes a reply to every complete request, as far as the reply
  // ring has room (a reply that does not fit waits for the guest to consume). True if anything was
  // consumed or written (the guest is then notified).
  bool service();

  const XenstoreStubStats& stats() const { return stats_; }
  // True after a protocol error: like xenstored, the stub then ignores the connection.
  bool dropped() const { return dropped_; }

  // The error reply's payload (xs_wire.h's error names are errno names, NUL-terminated on the wire).
  static constexpr char kError[] = "ENOSYS";

 private:
  u32 read32(u32 offset) const;
  void write32(u32 offset, u32 v);
  bool reply_fits() const;
  void write_reply();

  PhysicalMemory& ram_;
  u32 page_ = 0;
  // The request being read: its header as it arrives, then how much of its payload is left to skip.
  u8 header_[16] = {};
  u32 header_bytes_ = 0;
  u32 payload_left_ = 0;
  bool reply_pending_ = false;  // a complete request whose reply did not fit yet
  u32 req_id_ = 0, tx_id_ = 0;
  bool dropped_ = false;
  XenstoreStubStats stats_;
};

}  // namespace ring1::hv
