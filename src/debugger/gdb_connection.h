// The stub's TCP transport: a listening socket on 127.0.0.1 and at most one client, carrying RSP packets
// with acknowledgements (until QStartNoAckMode). Non-blocking polls between run slices let the guest run
// while the stub watches for a client, a Ctrl-C or a closed connection.
#pragma once
#include <deque>
#include <optional>
#include <string>

#include "common/types.h"
#include "debugger/rsp_packet.h"

namespace ring1 {

class GdbConnection {
 public:
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

  // The next packet payload; blocks if `wait`. nullopt: none yet (or the client went away: see connected()).
  // A Ctrl-C received on the way is remembered (take_interrupt()).
  std::optional<std::string> next_packet(bool wait);
  // Reads what is there without blocking and reports whether a Ctrl-C came (packets are kept for later).
  bool poll_interrupt();
  bool take_interrupt();

  // Sends one packet; in ack mode waits for `+` and resends on `-` (a few times).
  void send(std::string_view payload);
  void set_no_ack(bool v) { no_ack_ = v; }

 private:
  bool read_some(bool wait);  // false: nothing read (no data, or closed)
  void write_all(std::string_view bytes);
  std::optional<RspEvent> next_event(bool wait);

  int listen_fd_ = -1, fd_ = -1;
  u16 port_ = 0;
  bool no_ack_ = false;
  bool interrupt_ = false;
  RspDecoder decoder_;
  std::deque<std::string> packets_;  // received while waiting for an ack or polling
  u32 acks_ = 0, nacks_ = 0;
};

}  // namespace ring1
