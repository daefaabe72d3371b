// One client of the store, as xenstored keeps it per domain (struct connection): who it is (its domain,
// whether it is privileged, its home /local/domain/<id>), its watches, its open transactions, and how its
// messages travel: a guest's store ring (ring_transport.h), or, for domain 0's in-process services, a
// queue of watch events handed to callbacks (client.h).
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "control/xenstore/ring_transport.h"
#include "control/xenstore/transaction.h"
#include "control/xenstore/watches.h"

namespace ring1::xs {

// An in-process watch's callback: the path that changed (as the watch reports it) and the token.
using WatchCallback = std::function<void(const std::string& path, const std::string& token)>;

struct Connection {
  u32 domid = 0;
  bool privileged = false;
  std::string home;
  std::vector<Watch> watches;
  std::map<u32, Transaction> transactions;
  u32 next_tx = 1;
  std::unique_ptr<RingTransport> ring;  // a guest's ring; null for an in-process client
  // In-process clients: callbacks by watch (path as registered, token), and events not yet handed over.
  std::map<std::pair<std::string, std::string>, WatchCallback> callbacks;
  struct LocalEvent {
    std::string watch_path, token;  // which watch (as registered)
    std::string path;               // what it reports
  };
  std::deque<LocalEvent> events;
  bool released = false;
};

}  // namespace ring1::xs
