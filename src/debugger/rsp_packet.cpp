// RSP framing, escaping and hex helpers (see rsp_packet.h).
#include "debugger/rsp_packet.h"

namespace ring1 {

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

u8 rsp_checksum(std::string_view payload) {
  u8 sum = 0;
  for (char c : payload) sum = static_cast<u8>(sum + static_cast<u8>(c));
  return sum;
}

std::string rsp_escape(std::string_view data) {
  std::string out;
  out.reserve(data.size());
  for (char c : data) {
    if (c == '#' || c == '$' || c == '}' || c == '*') {
      out += '}';
      out += static_cast<char>(c ^ 0x20);
    } else {
      out += c;
    }
  }
  return out;
}

std::string rsp_frame(std::string_view payload) {
  const std::string body = rsp_escape(payload);
  const u8 sum = rsp_checksum(body);
  std::string out = "$" + body + "#";
  out += kHex[sum >> 4];
  out += kHex[sum & 15];
  return out;
}

void RspDecoder::feed(std::string_view bytes) {
  for (char c : bytes) {
    switch (state_) {
      case State::Idle:
        if (c == '$') {
          raw_.clear();
          payload_.clear();
          overflow_ = false;
          state_ = State::Payload;
        } else if (c == '+') {
          events_.push_back({RspEvent::Kind::Ack, {}});
        } else if (c == '-') {
          events_.push_back({RspEvent::Kind::Nack, {}});
        } else if (c == 0x03) {
          events_.push_back({RspEvent::Kind::Interrupt, {}});
        }
        break;
      case State::Payload:
      case State::Escape:
        if (c == '#' && state_ == State::Payload) {
          state_ = State::Check1;
          break;
        }
        if (raw_.size() >= kMaxPacket) {
          overflow_ = true;
        } else {
          raw_ += c;
          if (state_ == State::Escape) {
            payload_ += static_cast<char>(c ^ 0x20);
            state_ = State::Payload;
          } else if (c == '}') {
            state_ = State::Escape;
          } else {
            payload_ += c;
          }
        }
        break;
      case State::Check1: {
        int d = hex_digit(c);
        check_ = static_cast<u8>(d < 0 ? 0 : d << 4);
        if (d < 0) overflow_ = true;  // a malformed checksum never matches
        state_ = State::Check2;
        break;
      }
      case State::Check2: {
        int d = hex_digit(c);
        if (d < 0) overflow_ = true;
        check_ = static_cast<u8>(check_ | (d < 0 ? 0 : d));
        const bool ok = !overflow_ && check_ == rsp_checksum(raw_);
        events_.push_back(ok ? RspEvent{RspEvent::Kind::Packet, std::move(payload_)}
                             : RspEvent{RspEvent::Kind::BadChecksum, {}});
        payload_.clear();
        state_ = State::Idle;
        break;
      }
    }
  }
}

std::optional<RspEvent> RspDecoder::next() {
  if (head_ >= events_.size()) return std::nullopt;
  RspEvent e = std::move(events_[head_++]);
  if (head_ == events_.size()) {
    events_.clear();
    head_ = 0;
  }
  return e;
}

std::string to_hex(const void* data, size_t len) {
  const auto* p = static_cast<const u8*>(data);
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

std::string to_hex(std::string_view text) { return to_hex(text.data(), text.size()); }

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::optional<u64> parse_hex(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  u64 v = 0;
  for (char c : text) {
    int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | u64(d);
  }
  return v;
}

std::string le_hex(u64 value, u32 bytes) {
  u8 b[8];
  for (u32 i = 0; i < bytes && i < 8; ++i) b[i] = static_cast<u8>(value >> (8 * i));
  return to_hex(b, bytes);
}

}  // namespace ring1
