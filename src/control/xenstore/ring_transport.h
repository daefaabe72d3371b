// One domain's end of the store ring: the page named by start_info.store_mfn, laid out as
// xs_wire.h's struct xenstore_domain_interface (a 1 KiB request ring and a 1 KiB response ring, each with
// free-running u32 producer and consumer indexes masked by the ring size). Requests are reassembled from
// the request ring however the guest splits them; replies and watch events queue here and go out as far
// as the response ring has room, split across as many writes as it takes, as xenstored's writechn does.
//
// The guest owns the page and may write anything into it. A ring whose indexes claim more outstanding
// bytes than the ring holds, or a message longer than XENSTORE_PAYLOAD_MAX, breaks the connection as it
// does xenstored's (the connection is then ignored; the page's error field says why, as modern xenstored
// reports it). Nothing the guest writes can make this read outside the page or queue without bound.
#pragma once
#include <deque>
#include <optional>
#include <string>

#include "control/xenstore/wire_protocol.h"
#include "mmu/physical_memory.h"

namespace ring1::xs {

// How the store signals a domain: the host end of its store event channel.
struct RingNotify {
  void (*fn)(void* ctx) = nullptr;
  void* ctx = nullptr;
  void operator()() const {
    if (fn) fn(ctx);
  }
};

enum class RingBreak : u8 { None, BadIndex, Oversized };

class RingTransport {
 public:
  // Watch events beyond this many queued bytes are dropped (and counted): a domain that never reads its
  // ring cannot make the store hold an unbounded backlog. Replies are never dropped: a connection with
  // output still queued gets no further requests read, so at most one reply waits.
  static constexpr std::size_t kEventBacklogBytes = 64 * 1024;

  RingTransport(PhysicalMemory& ram, u32 page_ma, RingNotify notify);

  // The next complete request from the ring, consuming its bytes; nullopt if none is complete yet or the
  // ring is broken. `consumed` grows by the bytes taken off the ring.
  std::optional<Message> next_request(u32& consumed);
  // Queues a message for the guest; a watch event (`droppable`) is refused past the backlog bound.
  bool queue(const Message& m, bool droppable);
  // Writes queued bytes into the response ring as far as it has room; returns how many were written.
  u32 flush();
  bool output_pending() const { return !out_.empty(); }
  std::size_t queued_bytes() const { return queued_bytes_; }

  RingBreak broken() const { return broken_; }
  u32 page() const { return page_; }
  void notify() const { notify_(); }
  // Advertises what this server does in the page's server_features (XENSTORE_SERVER_FEATURE_ERROR).
  void publish_features();

 private:
  u32 read32(u32 offset) const;
  void write32(u32 offset, u32 v);
  void break_ring(RingBreak why);

  PhysicalMemory& ram_;
  u32 page_;
  RingNotify notify_;
  // The request being reassembled: its header, then its payload.
  std::string in_;
  u32 need_ = kHeaderBytes;
  bool have_header_ = false;
  Message partial_;
  std::deque<std::string> out_;  // encoded messages; the front one may be partly written
  std::size_t out_offset_ = 0;
  std::size_t queued_bytes_ = 0;
  RingBreak broken_ = RingBreak::None;
};

}  // namespace ring1::xs
