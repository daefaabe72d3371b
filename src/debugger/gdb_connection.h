// The stub's TCP transport: a listening socket on 127.0.0.1 and at most one client, carrying RSP packets
// with acknowledgements (until QStartNoAckMode). Non-blocking polls between run slices let the guest run
// while the stub watches for a client, a Ctrl-C or a closed connection.
//
// A client can never make ring1 grow without bound or wait on it while the guest runs: the socket is
// non-blocking; what ring1 sends waits in an output buffer of at most kMaxPendingOutput bytes; a poll
// between slices reads at most kPollReadBytes; at most kMaxPendingPackets packets received while the guest
// runs are kept (an all-stop client sends only Ctrl-C then); an acknowledgement is awaited at most
// kAckTimeoutMs. A client past any of these bounds is disconnected with one line on stderr, and the guest
// runs on (docs/reports.md, "The GDB stub's bounds").
#pragma once
#include <deque>
#include <optional>
#include <string>

#include "common/types.h"
#include "debugger/rsp_packet.h"

namespace ring1 {

class GdbConnection {
 public:
  static constexpr size_t kMaxPendingOutput = 256 * 1024;
  static constexpr size_t kPollReadBytes = 64 * 1024;
  static constexpr size_t kMaxPendingPackets = 16;
  static constexpr int kAckTimeoutMs = 2000;

  GdbConnection() = default;
  ~GdbConnection();
  GdbConnection(const GdbConnection&) = delete;
  GdbConnection& operator=(const GdbConnection&) = delete;

  // Listens on 127.0.0.1:port (0: any free port). Returns an error message, or empty on success.
  std::string listen(u16 port);
  u16 port() const { return port_; }

  // Takes a waiting client; blocks if `wait`. True when a client is connected afterwards.
  bool accept(bool wait);
  bool connected() const { return fd_ >= 0; }
  void close_client();
  // Sends what is still buffered, waiting at most kAckTimeoutMs for the client to take it, then closes.
  void finish_and_close();

  // The next packet payload; blocks if `wait`. nullopt: none yet (or the client went away: see connected()).
  // A Ctrl-C received on the way is remembered (take_interrupt()).
  std::optional<std::string> next_packet(bool wait);
  // Reads what is there (at most kPollReadBytes) without blocking and reports whether a Ctrl-C came
  // (packets are kept for later, at most kMaxPendingPackets).
  bool poll_interrupt();
  bool take_interrupt();

  // Sends one packet; in ack mode waits (at most kAckTimeoutMs) for `+` and resends on `-` (a few times).
  void send(std::string_view payload);
  void set_no_ack(bool v) { no_ack_ = v; }

 private:
  // Reads once: waits up to `timeout_ms` (-1: no limit) for data, flushing pending output meanwhile.
  // False: nothing read (no data in time, or closed).
  bool read_some(int timeout_ms);
  void write_all(std::string_view bytes);
  bool flush();  // sends what the socket takes now; false if the client was dropped
  void drop(const char* why);
  std::optional<RspEvent> next_event(int timeout_ms);
  void keep_packet(std::string payload);

  int listen_fd_ = -1, fd_ = -1;
  u16 port_ = 0;
  bool no_ack_ = false;
  bool interrupt_ = false;
  RspDecoder decoder_;
  std::deque<std::string> packets_;  // received while waiting for an ack or polling
  std::string out_;                  // bytes the client has not taken yet
  u32 acks_ = 0, nacks_ = 0;
};

}  // namespace ring1
