// The store's committed tree: every node by its absolute path, with its value (bytes, not necessarily
// text), its permissions, its children's names in the order they were created (XS_DIRECTORY lists them
// that way, as xenstored does), and a generation number that changes whenever the node is rewritten, which
// is how transactions detect that someone else changed what they read (transaction.h). The tree starts
// with "/" owned by domain 0 with no access for anyone else, as xenstored's initial database does.
#pragma once
#include <string>
#include <unordered_map>

#include "control/xenstore/permissions.h"
#include "common/types.h"

namespace ring1::xs {

struct Node {
  std::string value;
  Perms perms{PermEntry{0, perm::kNone}};
  std::vector<std::string> children;
  u64 generation = 0;  // 0: never committed
};

class StoreTree {
 public:
  StoreTree();

  // The node at `path` (absolute, canonical), or null.
  const Node* find(const std::string& path) const;
  // Stores `n` at `path` with a fresh generation. The caller keeps the parent's children list right.
  void put(const std::string& path, Node n);
  // Removes the node at `path` alone (not its children, and not its name from the parent's list).
  void erase(const std::string& path);

  std::size_t size() const { return nodes_.size(); }
  // How many nodes domain `domid` owns (the per-domain node quota counts these).
  u32 owned_by(u32 domid) const;
  // The generation the next change will get.
  u64 next_generation() const { return generation_ + 1; }

 private:
  void count_owner(const Node& n, int delta);

  std::unordered_map<std::string, Node> nodes_;
  std::unordered_map<u32, u32> owned_;
  u64 generation_ = 0;
};

}  // namespace ring1::xs
