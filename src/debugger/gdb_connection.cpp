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

#include <algorithm>
#include <chrono>
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
  fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd_ < 0) return false;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  no_ack_ = false;
  interrupt_ = false;
  decoder_ = RspDecoder{};
  packets_.clear();
  out_.clear();
  spdlog::debug("gdb attached");
  return true;
}

void GdbConnection::close_client() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    out_.clear();
    packets_.clear();
    spdlog::debug("gdb detached");
  }
}

void GdbConnection::drop(const char* why) {
  if (fd_ < 0) return;
  std::fputs(fmt::format("ring1: gdb client disconnected: {}\n", why).c_str(), stderr);
  close_client();
}

void GdbConnection::finish_and_close() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kAckTimeoutMs);
  while (fd_ >= 0 && !out_.empty() && flush() && !out_.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, int(left.count()));
  }
  close_client();
}

bool GdbConnection::flush() {
  while (fd_ >= 0 && !out_.empty()) {
    const ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    close_client();
    return false;
  }
  if (out_.size() > kMaxPendingOutput) {
    drop("it does not read what ring1 sends");
    return false;
  }
  return fd_ >= 0;
}

bool GdbConnection::read_some(int timeout_ms) {
  if (fd_ < 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  for (;;) {
    if (!flush()) return false;
    pollfd p{fd_, short(POLLIN | (out_.empty() ? 0 : POLLOUT)), 0};
    int wait = timeout_ms;
    if (timeout_ms > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      wait = int(std::max<long long>(0, left.count()));
    }
    const int r = ::poll(&p, 1, wait);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) {
      if (wait == 0) return false;
      continue;  // only writable: flushed at the top, then wait again for data
    }
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
    if (n <= 0) {
      close_client();
      return false;
    }
    decoder_.feed(std::string_view(buf, size_t(n)));
    return true;
  }
}

void GdbConnection::write_all(std::string_view bytes) {
  if (fd_ < 0) return;
  out_.append(bytes);
  flush();
}

// Events in arrival order; packets are acknowledged here (in ack mode) and bad ones asked for again.
std::optional<RspEvent> GdbConnection::next_event(int timeout_ms) {
  for (;;) {
    if (auto e = decoder_.next()) {
      if (e->kind == RspEvent::Kind::Packet && !no_ack_) write_all("+");
      if (e->kind == RspEvent::Kind::BadChecksum && !no_ack_) write_all("-");
      return e;
    }
    if (!read_some(timeout_ms)) return std::nullopt;
  }
}

void GdbConnection::keep_packet(std::string payload) {
  if (packets_.size() >= kMaxPendingPackets) {
    drop("it sent more packets than an all-stop client may while the guest runs");
    return;
  }
  packets_.push_back(std::move(payload));
}

std::optional<std::string> GdbConnection::next_packet(bool wait) {
  for (;;) {
    if (!packets_.empty()) {
      std::string p = std::move(packets_.front());
      packets_.pop_front();
      return p;
    }
    auto e = next_event(wait ? -1 : 0);
    if (!e) return std::nullopt;
    if (e->kind == RspEvent::Kind::Interrupt) interrupt_ = true;
    if (e->kind == RspEvent::Kind::Packet) return std::move(e->payload);
  }
}

bool GdbConnection::poll_interrupt() {
  // A bounded amount per poll, so a client sending without pause cannot keep the guest from running.
  for (size_t read = 0; fd_ >= 0;) {
    if (auto e = decoder_.next()) {
      if (e->kind == RspEvent::Kind::Packet && !no_ack_) write_all("+");
      if (e->kind == RspEvent::Kind::BadChecksum && !no_ack_) write_all("-");
      if (e->kind == RspEvent::Kind::Interrupt) interrupt_ = true;
      if (e->kind == RspEvent::Kind::Packet) keep_packet(std::move(e->payload));
      continue;
    }
    if (read >= kPollReadBytes || !read_some(0)) break;
    read += 4096;
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
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kAckTimeoutMs);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      auto e = left.count() > 0 ? next_event(int(left.count())) : std::nullopt;
      if (!e) {
        if (fd_ >= 0 && left.count() <= 0) drop("no acknowledgement within 2 s");
        else if (fd_ >= 0) continue;  // woken without a whole event: wait on until the deadline
        return;
      }
      if (e->kind == RspEvent::Kind::Ack) return;
      if (e->kind == RspEvent::Kind::Nack) break;  // send again
      if (e->kind == RspEvent::Kind::Interrupt) interrupt_ = true;
      if (e->kind == RspEvent::Kind::Packet) keep_packet(std::move(e->payload));
    }
  }
}

}  // namespace ring1
