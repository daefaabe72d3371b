// The store's operations on nodes (READ, WRITE, MKDIR, RM, DIRECTORY, GET_PERMS, SET_PERMS) with
// xenstored's permission rules (xenstored_core.c: get_node, errno_from_parents, construct_node, do_rm):
// - reading needs read access, changing a node needs write access, changing its permissions needs to own
//   it; a privileged caller (domain 0) passes every check;
// - a missing node answers ENOENT only to a caller who could read (or write) the nearest existing ancestor,
//   EACCES otherwise, so that a domain cannot probe what it may not see;
// - a write or mkdir below missing nodes creates them; every new node inherits its parent's permissions,
//   except that an unprivileged creator becomes the owner of what it creates;
// - removing a missing node whose parent exists succeeds; removing "/" is EINVAL.
// Each operation returns 0 or an errno value (xs_wire.h's xsd_errors names it on the wire) and works on a
// StoreView: the committed tree, or a transaction over it.
#pragma once
#include <string>
#include <string_view>

#include "control/xenstore/transaction.h"

namespace ring1::xs {

// xenstored's default quotas (xenstored_domain.c, xenstored_core.c in Xen 3.x): they bound what one
// unprivileged domain can make the store hold. Domain 0 has none.
struct Quotas {
  u32 nodes_per_domain = 1000;   // quota_nb_entry_per_domain: ENOSPC beyond
  u32 value_bytes = 2048;        // quota_max_entry_size: ENOSPC beyond
  u32 watches_per_domain = 128;  // quota_nb_watch_per_domain: E2BIG beyond
  u32 transactions_per_domain = 10;  // quota_max_transaction: ENOSPC beyond
};

struct Caller {
  u32 domid = 0;
  bool privileged = false;
};

// Where an operation reads and writes: the committed tree directly (changes are collected for watches),
// or a transaction's overlay (changes wait for the commit).
class StoreView {
 public:
  StoreView(StoreTree& tree, Transaction* tx) : tree_(tree), tx_(tx) {}
  const Node* get(const std::string& path) { return tx_ ? tx_->get(tree_, path) : tree_.find(path); }
  void set(const std::string& path, Node n);
  void remove(const std::string& path);
  void changed(std::string path, bool recursive);
  u32 owned_by(u32 domid) const { return tree_.owned_by(domid) + (tx_ ? tx_->nodes_created() : 0); }
  void count_created() {
    if (tx_) tx_->count_created();
  }
  // The committed changes made outside a transaction, for the caller to fire watches on.
  std::vector<Change>& direct_changes() { return direct_; }

 private:
  StoreTree& tree_;
  Transaction* tx_;
  std::vector<Change> direct_;
};

int op_read(StoreView& v, Caller c, const std::string& path, std::string& out);
int op_write(StoreView& v, Caller c, const Quotas& q, const std::string& path, std::string_view value);
int op_mkdir(StoreView& v, Caller c, const Quotas& q, const std::string& path);
int op_rm(StoreView& v, Caller c, const std::string& path);
int op_directory(StoreView& v, Caller c, const std::string& path, std::string& out);
int op_get_perms(StoreView& v, Caller c, const std::string& path, std::string& out);
int op_set_perms(StoreView& v, Caller c, const std::string& path, const Perms& perms);

// May `c` read the node at `path` (or, if it is missing, the nearest existing ancestor)? Watch events are
// sent only where this holds, as xenstored checks before queueing one.
bool may_see(StoreTree& tree, Caller c, const std::string& path);

}  // namespace ring1::xs
