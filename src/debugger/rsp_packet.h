// The GDB Remote Serial Protocol's framing (GDB manual, "Overview" of the remote protocol): packets are
// `$payload#cc` with cc the modulo-256 sum of the payload in two hex digits; `+`/`-` acknowledge; a bare 0x03
// byte asks a running target to stop. Binary data escapes `#`, `$`, `}` and `*` as `}` followed by the byte
// XOR 0x20. This file knows nothing of registers or targets: bytes in, events out, and the reverse.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.h"

namespace ring1 {

u8 rsp_checksum(std::string_view payload);
// `$payload#cc`, with the payload escaped so any byte may appear in it.
std::string rsp_frame(std::string_view payload);
// Escapes binary data for a packet payload (the framing does it for the whole payload).
std::string rsp_escape(std::string_view data);

// What the client sent, one event at a time.
struct RspEvent {
  enum class Kind : u8 { Packet, BadChecksum, Ack, Nack, Interrupt } kind;
  std::string payload;  // Packet: the unescaped payload
};

// Splits the byte stream from the client into events. Bytes outside a packet other than `+`, `-` and 0x03
// are ignored (line noise), as GDB's own stubs do. A packet larger than kMaxPacket is dropped and reported
// as BadChecksum, so a hostile or broken client cannot make the stub grow without bound.
class RspDecoder {
 public:
  static constexpr size_t kMaxPacket = 64 * 1024;
  void feed(std::string_view bytes);
  // The next complete event, if any.
  std::optional<RspEvent> next();
  bool has_events() const { return !events_.empty(); }

 private:
  enum class State : u8 { Idle, Payload, Escape, Check1, Check2 } state_ = State::Idle;
  std::string raw_;      // the payload as sent (escaped), for the checksum
  std::string payload_;  // unescaped
  u8 check_ = 0;
  bool overflow_ = false;
  std::vector<RspEvent> events_;
  size_t head_ = 0;
};

// ---- hex helpers (the protocol's numbers and memory are hex) ----
std::string to_hex(const void* data, size_t len);
std::string to_hex(std::string_view text);
// Whole-string hex to bytes; nullopt on an odd length or a non-hex digit.
std::optional<std::string> from_hex(std::string_view hex);
// A hex number (at most 16 digits); nullopt if empty or malformed.
std::optional<u64> parse_hex(std::string_view text);
// A little-endian value of `bytes` bytes in hex, as registers travel.
std::string le_hex(u64 value, u32 bytes);

}  // namespace ring1
