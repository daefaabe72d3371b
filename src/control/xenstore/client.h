// The store's in-process API, for domain 0's services (the device back ends in src/devices): the
// operations a libxenstore client has (read, write, mkdir, rm, directory, get/set permissions, watches,
// transactions, domain paths, introduce/release), each a real request to the daemon over the same path a
// guest's ring request takes, so that back ends and guests see one set of rules. Each call returns 0 or
// an errno value (ENOENT, EACCES, EAGAIN, ... as xs_wire.h names them); `tx` 0 means no transaction.
//
// Watches call back: a callback runs after the request that caused the event has finished, never inside
// it, so a callback may itself use the store (a back end that sees its front end move to Initialised
// writes its own state). Like xenstored, a new watch fires once at once.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "control/xenstore/connection.h"
#include "control/xenstore/permissions.h"

namespace ring1::xs {

class Xenstored;

class Client {
 public:
  Client(Xenstored& d, Connection& c) : d_(d), c_(c) {}
  u32 domid() const { return c_.domid; }

  int read(const std::string& path, std::string& out, u32 tx = 0);
  // The value, or nullopt on any error.
  std::optional<std::string> read(const std::string& path, u32 tx = 0);
  int write(const std::string& path, std::string_view value, u32 tx = 0);
  int mkdir(const std::string& path, u32 tx = 0);
  int rm(const std::string& path, u32 tx = 0);
  int directory(const std::string& path, std::vector<std::string>& out, u32 tx = 0);
  int get_perms(const std::string& path, Perms& out, u32 tx = 0);
  int set_perms(const std::string& path, const Perms& perms, u32 tx = 0);

  int watch(const std::string& path, const std::string& token, WatchCallback cb);
  int unwatch(const std::string& path, const std::string& token);

  int transaction_start(u32& tx);
  // Commit (true) or abort; EAGAIN when a commit conflicts with a change made meanwhile.
  int transaction_end(u32 tx, bool commit);

  std::string get_domain_path(u32 domid);
  // The tools' side (domain 0 only; EACCES otherwise).
  int introduce(u32 domid, u32 mfn, u32 port);
  int release(u32 domid);

  // A raw request (header fields and payload), for anything the helpers above do not cover.
  Message request(u32 type, u32 tx, std::string payload);

 private:
  int simple(u32 type, u32 tx, std::string payload, std::string* out = nullptr);

  Xenstored& d_;
  Connection& c_;
  u32 next_req_ = 1;
};

}  // namespace ring1::xs
