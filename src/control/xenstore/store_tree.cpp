// The committed tree (see the header).
#include "control/xenstore/store_tree.h"

namespace ring1::xs {

StoreTree::StoreTree() { put("/", Node{}); }

const Node* StoreTree::find(const std::string& path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

void StoreTree::count_owner(const Node& n, int delta) {
  if (n.perms.empty()) return;
  u32& c = owned_[n.perms[0].domid];
  c = static_cast<u32>(static_cast<int>(c) + delta);
}

void StoreTree::put(const std::string& path, Node n) {
  n.generation = ++generation_;
  auto it = nodes_.find(path);
  if (it != nodes_.end()) {
    count_owner(it->second, -1);
    it->second = std::move(n);
    count_owner(it->second, +1);
  } else {
    count_owner(n, +1);
    nodes_.emplace(path, std::move(n));
  }
}

void StoreTree::erase(const std::string& path) {
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return;
  count_owner(it->second, -1);
  nodes_.erase(it);
  ++generation_;
}

u32 StoreTree::owned_by(u32 domid) const {
  auto it = owned_.find(domid);
  return it == owned_.end() ? 0 : it->second;
}

}  // namespace ring1::xs
