// The daemon: connections, request dispatch, watches firing, and the domains' comings and goings (see the
// header). Requests are dispatched by type as xenstored_core.c's process_message does; every reply echoes
// the request's req_id and tx_id.
#include "control/xenstore/xenstored.h"

#include <cerrno>

#include "control/xenstore/client.h"
#include "control/xenstore/store_path.h"

namespace ring1::xs {
namespace {

// A decimal number as the tools write domain ids, mfns and ports; nullopt for anything else.
std::optional<u32> number(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  u64 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + u64(c - '0');
  }
  if (v > 0xFFFFFFFFu) return std::nullopt;
  return u32(v);
}

}  // namespace

Xenstored::Xenstored(PhysicalMemory& ram) : ram_(ram) {
  Connection& c = add_connection(0, true);
  clients_.push_back(std::make_unique<Client>(*this, c));
  dom0_client_ = clients_.back().get();
  // xenstored's initial database: the root and its own /tool/xenstored, domain 0's alone.
  dom0_client_->mkdir("/tool/xenstored");
}

Xenstored::~Xenstored() = default;

void Xenstored::charge(u64 requests, u64 bytes) {
  if (charge_ && (requests || bytes)) stats_.cycles += charge_(charge_ctx_, requests, bytes);
}

Connection& Xenstored::add_connection(u32 domid, bool privileged) {
  auto c = std::make_unique<Connection>();
  c->domid = domid;
  c->privileged = privileged;
  c->home = domain_path(domid);
  conns_.push_back(std::move(c));
  return *conns_.back();
}

Client& Xenstored::local_client(u32 domid) {
  Connection& c = add_connection(domid, domid == 0);
  clients_.push_back(std::make_unique<Client>(*this, c));
  return *clients_.back();
}

Connection* Xenstored::find_ring(u32 domid) {
  for (auto& c : conns_)
    if (c->ring && !c->released && c->domid == domid) return c.get();
  return nullptr;
}

const RingTransport* Xenstored::ring_of(u32 domid) const {
  for (const auto& c : conns_)
    if (c->ring && !c->released && c->domid == domid) return c->ring.get();
  return nullptr;
}

int Xenstored::introduce(u32 domid, u32 ring_ma, RingNotify notify) {
  if (Connection* c = find_ring(domid)) return c->ring->page() == ring_ma ? 0 : EINVAL;
  if (!ram_.contains(ring_ma, kPageSize) || (ring_ma & (kPageSize - 1))) return EINVAL;
  Connection& c = add_connection(domid, false);
  c.ring = std::make_unique<RingTransport>(ram_, ring_ma, notify);
  c.ring->publish_features();
  pending_.push_back(Change{"@introduceDomain", false});
  fire(pending_);
  pending_.clear();
  settle();
  return 0;
}

int Xenstored::introduce_privileged(u32 domid, u32 ring_ma, RingNotify notify) {
  if (!ram_.contains(ring_ma, kPageSize) || (ring_ma & (kPageSize - 1))) return EINVAL;
  Connection& c = add_connection(domid, true);
  c.ring = std::make_unique<RingTransport>(ram_, ring_ma, notify);
  c.ring->publish_features();
  return 0;
}

void Xenstored::drop(Connection& c) {
  c.released = true;
  c.watches.clear();
  c.transactions.clear();
}

int Xenstored::release(u32 domid) {
  Connection* c = find_ring(domid);
  if (!c) return ENOENT;
  drop(*c);
  pending_.push_back(Change{"@releaseDomain", false});
  fire(pending_);
  pending_.clear();
  settle();
  return 0;
}

void Xenstored::kick(u32 domid) {
  ++stats_.kicks;
  if (Connection* c = find_ring(domid)) service(*c);
  settle();
}

// Reads requests while the connection has no output waiting (one reply at a time, as a client waits for
// it), up to kRequestsPerKick; replies go out as far as the ring has room.
void Xenstored::service(Connection& c) {
  RingTransport& r = *c.ring;
  u32 written = r.flush();
  u32 consumed = 0;
  for (u32 n = 0; n < kRequestsPerKick && !r.output_pending() && r.broken() == RingBreak::None; ++n) {
    std::optional<Message> m = r.next_request(consumed);
    if (!m) break;
    stats_.requests[m->type < kMsgTypes ? m->type : kMsgTypes]++;
    Message rep = execute(c, *m);
    charge(1, 0);
    r.queue(rep, false);
    fire(pending_);
    pending_.clear();
    written += r.flush();
  }
  if (r.broken() != RingBreak::None && !c.released) {
    ++stats_.broken_rings;
    drop(c);
  }
  stats_.bytes_in += consumed;
  stats_.bytes_out += written;
  charge(0, u64(consumed) + written);
  // xenstored notifies after it consumed requests (a writer may wait for room) or wrote replies.
  if (consumed || written) r.notify();
}

Message Xenstored::request(Connection& c, const Message& m) {
  ++stats_.local_requests;
  Message rep = execute(c, m);
  charge(1, 0);
  fire(pending_);
  pending_.clear();
  settle();
  return rep;
}

// Writes out what every ring has queued (events caused by others' changes), then runs in-process
// callbacks; a callback's own requests land here again and are settled by the outer loop.
void Xenstored::settle() {
  if (settling_) return;
  settling_ = true;
  u32 callbacks = 0;
  for (bool again = true; again;) {
    again = false;
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      Connection& c = *conns_[i];
      if (c.released) continue;
      if (c.ring) {
        if (c.ring->output_pending()) {
          const u32 w = c.ring->flush();
          stats_.bytes_out += w;
          charge(0, w);
          if (w) c.ring->notify();
        }
        continue;
      }
      while (!c.events.empty() && callbacks < kCallbacksPerRequest) {
        Connection::LocalEvent e = std::move(c.events.front());
        c.events.pop_front();
        auto it = c.callbacks.find({e.watch_path, e.token});
        if (it == c.callbacks.end()) continue;
        WatchCallback cb = it->second;  // a copy: the callback may unwatch itself
        ++callbacks;
        cb(e.path, e.token);
        again = true;
      }
    }
  }
  settling_ = false;
}

void Xenstored::fire_one(Connection& c, const Watch& w, const std::string& path) {
  ++stats_.watch_events;
  if (c.ring) {
    if (!c.ring->queue(Message{u32(MsgType::WatchEvent), 0, 0, watch_event_payload(path, w.token)}, true)) {
      --stats_.watch_events;
      ++stats_.watch_events_dropped;
    }
  } else {
    c.events.push_back(Connection::LocalEvent{w.path, w.token, path});
  }
}

void Xenstored::fire(const std::vector<Change>& changes) {
  for (const auto& [conn, w] : pending_initial_) {
    // The event for a new watch, after its OK (xenstored: "We fire once up front").
    if (conn->released) continue;
    if (is_special_path(w.path) || may_see(tree_, Caller{conn->domid, conn->privileged}, w.path))
      fire_one(*conn, w, reported_path(w, w.path, conn->home));
  }
  pending_initial_.clear();
  for (const Change& ch : changes) {
    for (auto& cp : conns_) {
      Connection& c = *cp;
      if (c.released) continue;
      for (const Watch& w : c.watches) {
        std::optional<std::string> path = watch_fires(w, ch.path, ch.recursive, c.home);
        if (!path) continue;
        // No permission, no event: the watcher must be able to read the node (or its parent, if gone).
        const std::string& abs = ch.recursive && !is_at_or_below(ch.path, w.path) ? w.path : ch.path;
        if (!is_special_path(abs) && !may_see(tree_, Caller{c.domid, c.privileged}, abs)) continue;
        fire_one(c, w, *path);
      }
    }
  }
}

Message Xenstored::execute(Connection& c, const Message& m) {
  Message rep = [&]() -> Message {
    // A tx_id names one of this connection's open transactions, whatever the request (process_message).
    Transaction* tx = nullptr;
    if (m.tx_id != 0) {
      auto it = c.transactions.find(m.tx_id);
      if (it == c.transactions.end()) return error_reply(m, ENOENT);
      tx = &it->second;
    }
    const Caller caller{c.domid, c.privileged};
    StoreView view(tree_, tx);
    auto path_arg = [&](std::string& out) -> int {
      std::string_view a;
      if (!one_arg(m.payload, a)) return EINVAL;
      auto p = canonical_path(c.home, a);
      if (!p) return EINVAL;
      out = std::move(*p);
      return 0;
    };
    auto finish = [&](int err, std::string payload, bool ok_if_empty) -> Message {
      if (err) return error_reply(m, err);
      for (Change& ch : view.direct_changes()) pending_.push_back(std::move(ch));
      return ok_if_empty ? ok_reply(m) : reply(m, std::move(payload));
    };
    std::string path, out;
    switch (static_cast<MsgType>(m.type)) {
      case MsgType::Read:
        if (int e = path_arg(path)) return error_reply(m, e);
        {
          const int err = op_read(view, caller, path, out);  // before `out` is moved from
          return finish(err, std::move(out), false);
        }
      case MsgType::Directory:
        if (int e = path_arg(path)) return error_reply(m, e);
        {
          const int err = op_directory(view, caller, path, out);  // before `out` is moved from
          return finish(err, std::move(out), false);
        }
      case MsgType::GetPerms:
        if (int e = path_arg(path)) return error_reply(m, e);
        {
          const int err = op_get_perms(view, caller, path, out);  // before `out` is moved from
          return finish(err, std::move(out), false);
        }
      case MsgType::Mkdir:
        if (int e = path_arg(path)) return error_reply(m, e);
        return finish(op_mkdir(view, caller, quotas_, path), {}, true);
      case MsgType::Rm:
        if (int e = path_arg(path)) return error_reply(m, e);
        return finish(op_rm(view, caller, path), {}, true);
      case MsgType::Write: {
        // "path\0value": everything after the first NUL is the value, NULs included.
        const std::size_t nul = m.payload.find('\0');
        if (nul == std::string::npos) return error_reply(m, EINVAL);
        auto p = canonical_path(c.home, std::string_view(m.payload).substr(0, nul));
        if (!p) return error_reply(m, EINVAL);
        return finish(op_write(view, caller, quotas_, *p, std::string_view(m.payload).substr(nul + 1)), {}, true);
      }
      case MsgType::SetPerms: {
        const auto strings = split_strings(m.payload);
        if (strings.size() < 2) return error_reply(m, EINVAL);
        auto p = canonical_path(c.home, strings[0]);
        if (!p) return error_reply(m, EINVAL);
        Perms perms;
        for (std::size_t i = 1; i < strings.size(); ++i) {
          auto e = perm_from_wire(strings[i]);
          if (!e) return error_reply(m, EINVAL);
          perms.push_back(*e);
        }
        return finish(op_set_perms(view, caller, *p, perms), {}, true);
      }
      case MsgType::Watch:
        return watch(c, m);
      case MsgType::Unwatch:
        return unwatch(c, m);
      case MsgType::TransactionStart:
        if (tx) return error_reply(m, EBUSY);  // no nesting
        return transaction_start(c, m);
      case MsgType::TransactionEnd:
        if (!tx) return error_reply(m, ENOENT);
        return transaction_end(c, m, tx);
      case MsgType::GetDomainPath: {
        std::string_view a;
        if (!one_arg(m.payload, a)) return error_reply(m, EINVAL);
        auto id = number(a);
        if (!id) return error_reply(m, EINVAL);
        return reply(m, domain_path(*id) + '\0');
      }
      case MsgType::Introduce:
        return introduce_msg(c, m);
      case MsgType::Release:
      case MsgType::IsDomainIntroduced:
      case MsgType::Resume:
        return domain_msg(c, m);
      case MsgType::Control: {
        // XS_DEBUG: the tools' "print" and "check" (do_debug); nobody else may.
        if (!c.privileged) return error_reply(m, EACCES);
        const auto strings = split_strings(m.payload);
        if (!strings.empty() && (strings[0] == "print" || strings[0] == "check")) return ok_reply(m);
        return error_reply(m, EINVAL);
      }
      case MsgType::ResetWatches:
        c.watches.clear();
        return ok_reply(m);
      default:
        // WATCH_EVENT and ERROR are the daemon's to send; the rest are later Xens' additions.
        return error_reply(m, ENOSYS);
    }
  }();
  if (rep.type == u32(MsgType::Error)) {
    std::string_view name = rep.payload;
    name.remove_suffix(1);
    stats_.errors[error_slot(error_from_name(name))]++;
  }
  return rep;
}

Message Xenstored::watch(Connection& c, const Message& m) {
  const auto s = split_strings(m.payload);
  if (s.size() < 2) return error_reply(m, EINVAL);
  Watch w;
  w.token = s[1];
  if (is_special_path(s[0])) {
    w.path = s[0];
  } else {
    auto p = canonical_path(c.home, s[0]);
    if (!p) return error_reply(m, EINVAL);
    w.path = std::move(*p);
    w.relative = s[0].front() != '/';
  }
  for (const Watch& o : c.watches)
    if (o.path == w.path && o.token == w.token) return error_reply(m, EEXIST);
  if (!c.privileged && c.watches.size() >= quotas_.watches_per_domain) return error_reply(m, E2BIG);
  c.watches.push_back(w);
  pending_initial_.emplace_back(&c, std::move(w));
  return ok_reply(m);
}

Message Xenstored::unwatch(Connection& c, const Message& m) {
  const auto s = split_strings(m.payload);
  if (s.size() < 2) return error_reply(m, EINVAL);
  std::string path;
  if (is_special_path(s[0])) {
    path = s[0];
  } else {
    auto p = canonical_path(c.home, s[0]);
    if (!p) return error_reply(m, EINVAL);
    path = std::move(*p);
  }
  for (auto it = c.watches.begin(); it != c.watches.end(); ++it) {
    if (it->path == path && it->token == s[1]) {
      c.watches.erase(it);
      return ok_reply(m);
    }
  }
  return error_reply(m, ENOENT);
}

Message Xenstored::transaction_start(Connection& c, const Message& m) {
  if (!c.privileged && c.transactions.size() >= quotas_.transactions_per_domain) return error_reply(m, ENOSPC);
  // Ids are the connection's own, never 0 and never one still open.
  u32 id = c.next_tx;
  while (id == 0 || c.transactions.count(id)) ++id;
  c.next_tx = id + 1;
  c.transactions.emplace(id, Transaction(id));
  ++stats_.transactions_started;
  return reply(m, std::to_string(id) + '\0');
}

Message Xenstored::transaction_end(Connection& c, const Message& m, Transaction* tx) {
  std::string_view a;
  if (!one_arg(m.payload, a) || (a != "T" && a != "F")) return error_reply(m, EINVAL);
  const u32 id = tx->id();
  if (a == "F") {
    ++stats_.transactions_aborted;
    c.transactions.erase(id);
    return ok_reply(m);
  }
  if (tx->conflicts(tree_)) {
    ++stats_.transactions_conflicted;
    c.transactions.erase(id);
    return error_reply(m, EAGAIN);
  }
  std::vector<Change> changes = tx->commit(tree_);
  c.transactions.erase(id);
  ++stats_.transactions_committed;
  for (Change& ch : changes) pending_.push_back(std::move(ch));
  return ok_reply(m);
}

Message Xenstored::introduce_msg(Connection& c, const Message& m) {
  const auto s = split_strings(m.payload);
  if (s.size() < 3) return error_reply(m, EINVAL);
  if (!c.privileged) return error_reply(m, EACCES);
  auto domid = number(s[0]), mfn = number(s[1]), port = number(s[2]);
  if (!domid || !mfn || !port || *port == 0) return error_reply(m, EINVAL);
  u32 ring_ma = 0;
  RingNotify notify;
  if (!introduce_hook_ || !introduce_hook_(*domid, *mfn, *port, ring_ma, notify)) return error_reply(m, EINVAL);
  if (Connection* old = find_ring(*domid)) {
    // Introducing the same ring again rebinds its event channel (xenstored's "recreating" case).
    if (old->ring->page() != ring_ma) return error_reply(m, EINVAL);
    old->ring = std::make_unique<RingTransport>(ram_, ring_ma, notify);
    return ok_reply(m);
  }
  if (!ram_.contains(ring_ma, kPageSize) || (ring_ma & (kPageSize - 1))) return error_reply(m, EINVAL);
  Connection& nc = add_connection(*domid, false);
  nc.ring = std::make_unique<RingTransport>(ram_, ring_ma, notify);
  nc.ring->publish_features();
  pending_.push_back(Change{"@introduceDomain", false});
  return ok_reply(m);
}

Message Xenstored::domain_msg(Connection& c, const Message& m) {
  std::string_view a;
  if (!one_arg(m.payload, a)) return error_reply(m, EINVAL);
  if (!c.privileged) return error_reply(m, EACCES);
  auto domid = number(a);
  if (!domid) return error_reply(m, EINVAL);
  Connection* target = find_ring(*domid);
  switch (static_cast<MsgType>(m.type)) {
    case MsgType::IsDomainIntroduced:
      return reply(m, std::string(target ? "T" : "F") + '\0');
    case MsgType::Resume:
      return target ? ok_reply(m) : error_reply(m, ENOENT);
    default:  // Release
      if (!target) return error_reply(m, ENOENT);
      drop(*target);
      pending_.push_back(Change{"@releaseDomain", false});
      return ok_reply(m);
  }
}

}  // namespace ring1::xs
