// Transactions: an overlay, a record of what was seen, and the commit check (see the header).
#include "control/xenstore/transaction.h"

namespace ring1::xs {

void Transaction::observe(const StoreTree& t, const std::string& path) {
  if (observed_.count(path)) return;
  const Node* n = t.find(path);
  observed_.emplace(path, n ? n->generation : 0);
}

const Node* Transaction::get(const StoreTree& t, const std::string& path) {
  if (auto it = overlay_.find(path); it != overlay_.end()) return it->second ? &*it->second : nullptr;
  observe(t, path);
  return t.find(path);
}

void Transaction::set(const StoreTree& t, const std::string& path, Node n) {
  observe(t, path);
  overlay_[path] = std::move(n);
}

void Transaction::remove(const StoreTree& t, const std::string& path) {
  observe(t, path);
  overlay_[path] = std::nullopt;
}

bool Transaction::conflicts(const StoreTree& t) const {
  for (const auto& [path, gen] : observed_) {
    const Node* n = t.find(path);
    if ((n ? n->generation : 0) != gen) return true;
  }
  return false;
}

std::vector<Change> Transaction::commit(StoreTree& t) {
  for (auto& [path, node] : overlay_) {
    if (node)
      t.put(path, std::move(*node));
    else
      t.erase(path);
  }
  overlay_.clear();
  return std::move(changes_);
}

}  // namespace ring1::xs
