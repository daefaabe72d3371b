// Sockets for the stub (see gdb_connection.h). POSIX only; errors end the client, never the emulator.
#include "debugger/gdb_connection.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace ring1 {

GdbConnection::~GdbConnection() {
  close_client();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string GdbConnection::listen(u16 port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return fmt::format("socket: {}", std::strerror(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
    return fmt::format("cannot listen on 127.0.0.1:{}: {}", port, std::strerror(errno));
  if (::listen(listen_fd_, 1) < 0) return fmt::format("listen: {}", std::strerror(errno));
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  return {};
}

bool GdbConnection::accept(bool wait) {
  if (fd_ >= 0) return true;
  if (listen_fd_ < 0) return false;
  pollfd p{listen_fd_, POLLIN, 0};
  if (::poll(&p, 1, wait ? -1 : 0) <= 0) return false;
  fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd_ < 0) return false;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  no_ack_ = false;
  interrupt_ = false;
  decoder_ = RspDecoder{};
  packets_.clear();
  spdlog::debug("gdb attached");
  return true;
}

void GdbConnection::close_client() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    spdlog::debug("gdb detached");
  }
}

bool GdbConnection::read_some(bool wait) {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, wait ? -1 : 0);
  if (r <= 0) return false;
  char buf[4096];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    close_client();
    return false;
  }
  decoder_.feed(std::string_view(buf, size_t(n)));
  return true;
}

void GdbConnection::write_all(std::string_view bytes) {
  while (fd_ >= 0 && !bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      close_client();
      return;
    }
    bytes.remove_prefix(size_t(n));
  }
}

// Events in arrival order; packets are acknowledged here (in ack mode) and bad ones asked for again.
std::optional<RspEvent> GdbConnection::next_event(bool wait) {
  for (;;) {
    if (auto e = decoder_.next()) {
      if (e->kind == RspEvent::Kind::Packet && !no_ack_) write_all("+");
      if (e->kind == RspEvent::Kind::BadChecksum && !no_ack_) write_all("-");
      return e;
    }
    if (!read_some(wait)) return std::nullopt;
  }
}

std::optional<std::string> GdbConnection::next_packet(bool wait) {
  for (;;) {
    if (!packets_.empty()) {
      std::string p = std::move(packets_.front());
      packets_.pop_front();
      return p;
    }
    auto e = next_event(wait);
    if (!e) return std::nullopt;
    if (e->kind == RspEvent::Kind::Interrupt) interrupt_ = true;
    if (e->kind == RspEvent::Kind::Packet) return std::move(e->payload);
  }
}

bool GdbConnection::poll_interrupt() {
  while (auto e = next_event(false)) {
    if (e->kind == RspEvent::Kind::Interrupt) interrupt_ = true;
    if (e->kind == RspEvent::Kind::Packet) packets_.push_back(std::move(e->payload));
  }
  return interrupt_;
}

bool GdbConnection::take_interrupt() { return std::exchange(interrupt_, false); }

void GdbConnection::send(std::string_view payload) {
  const std::string framed = rsp_frame(payload);
  for (int attempt = 0; attempt < 5 && fd_ >= 0; ++attempt) {
    write_all(framed);
    if (no_ack_) return;
    // Wait for the acknowledgement; packets arriving meanwhile are kept in order.
    for (;;) {
      auto e = next_event(true);
      if (!e) return;  // closed
      if (e->kind == RspEvent::Kind::Ack) return;
      if (e->kind == RspEvent::Kind::Nack) break;  // send again
      if (e->kind == RspEvent::Kind::Interrupt) interrupt_ = true;
      if (e->kind == RspEvent::Kind::Packet) packets_.push_back(std::move(e->payload));
    }
  }
}

}  // namespace ring1
