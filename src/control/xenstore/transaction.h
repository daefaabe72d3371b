// A xenstore transaction (XS_TRANSACTION_START/END) with optimistic conflict detection, as xenstored has
// done since Xen 4.6 (xenstored_transaction.c) rather than Xen 3.x's copy of the whole database: the
// transaction's own writes and removals wait in an overlay that only it sees; every node it reads or
// writes is recorded with the generation it had (or its absence) at first touch. Ending with commit
// succeeds only if none of those nodes has changed in the committed tree since; otherwise the caller gets
// EAGAIN and retries, as the xs_transaction_end contract says. The changes it made fire watches at commit.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/xenstore/store_tree.h"

namespace ring1::xs {

// A changed path, for watches: `recursive` when a whole subtree went (XS_RM), so that watches below it
// fire too.
struct Change {
  std::string path;
  bool recursive = false;
};

class Transaction {
 public:
  explicit Transaction(u32 id) : id_(id) {}
  u32 id() const { return id_; }

  // The node as this transaction sees it (its own changes first, then the committed tree); recorded.
  const Node* get(const StoreTree& t, const std::string& path);
  void set(const StoreTree& t, const std::string& path, Node n);
  void remove(const StoreTree& t, const std::string& path);
  void note_change(Change c) { changes_.push_back(std::move(c)); }
  // Nodes this transaction created, so far (the node quota counts them with the committed ones).
  u32 nodes_created() const { return created_; }
  void count_created() { ++created_; }

  // True if a node this transaction touched was changed in `t` since it first looked.
  bool conflicts(const StoreTree& t) const;
  // Writes the overlay into `t`; returns what changed, for watches.
  std::vector<Change> commit(StoreTree& t);

 private:
  void observe(const StoreTree& t, const std::string& path);

  u32 id_;
  std::map<std::string, std::optional<Node>> overlay_;  // nullopt: removed in this transaction
  std::unordered_map<std::string, u64> observed_;        // generation at first touch; 0: absent
  std::vector<Change> changes_;
  u32 created_ = 0;
};

}  // namespace ring1::xs
