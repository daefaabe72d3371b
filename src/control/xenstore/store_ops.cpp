// The node operations and their permission checks (see the header).
#include "control/xenstore/store_ops.h"

#include <cerrno>

#include "control/xenstore/store_path.h"

namespace ring1::xs {
namespace {

// The access a caller has to the nearest existing ancestor of `path` (xenstored's ask_parents).
u8 ask_parents(StoreView& v, Caller c, std::string path) {
  for (;;) {
    path = parent_path(path);
    if (const Node* n = v.get(path)) return perm_for(n->perms, c.domid, c.privileged);
    if (path == "/") return perm::kNone;
  }
}

// xenstored's get_node: the node if `c` has `want` on it; otherwise null with `err` set to EACCES, or to
// ENOENT if it is missing and the caller may know that.
const Node* get_node(StoreView& v, Caller c, const std::string& path, u8 want, int& err) {
  const Node* n = v.get(path);
  if (n) {
    if ((perm_for(n->perms, c.domid, c.privileged) & want) == want) return n;
    err = EACCES;
    return nullptr;
  }
  err = (ask_parents(v, c, path) & want) == want ? ENOENT : EACCES;
  return nullptr;
}

// Creates `path` and any missing ancestors (construct_node), the last with `value`.
int create_node(StoreView& v, Caller c, const Quotas& q, const std::string& path, std::string_view value) {
  const std::string parent = parent_path(path);
  const Node* p = v.get(parent);
  if (!p) {
    if (int err = create_node(v, c, q, parent, {})) return err;
    p = v.get(parent);
  }
  if (!c.privileged && v.owned_by(c.domid) >= q.nodes_per_domain) return ENOSPC;
  Node n;
  n.value = value;
  n.perms = p->perms;
  if (!c.privileged) n.perms[0].domid = c.domid;  // "Inherit permissions, except domains own what they create"
  Node parent_copy = *p;
  parent_copy.children.emplace_back(base_name(path));
  v.set(parent, std::move(parent_copy));
  v.set(path, std::move(n));
  v.count_created();
  return 0;
}

void remove_subtree(StoreView& v, const std::string& path) {
  const Node* n = v.get(path);
  if (!n) return;
  const std::vector<std::string> children = n->children;
  for (const std::string& child : children) remove_subtree(v, path == "/" ? "/" + child : path + "/" + child);
  v.remove(path);
}

}  // namespace

void StoreView::set(const std::string& path, Node n) {
  if (tx_)
    tx_->set(tree_, path, std::move(n));
  else
    tree_.put(path, std::move(n));
}

void StoreView::remove(const std::string& path) {
  if (tx_)
    tx_->remove(tree_, path);
  else
    tree_.erase(path);
}

void StoreView::changed(std::string path, bool recursive) {
  if (tx_)
    tx_->note_change(Change{std::move(path), recursive});
  else
    direct_.push_back(Change{std::move(path), recursive});
}

int op_read(StoreView& v, Caller c, const std::string& path, std::string& out) {
  int err = 0;
  const Node* n = get_node(v, c, path, perm::kRead, err);
  if (!n) return err;
  out = n->value;
  return 0;
}

int op_write(StoreView& v, Caller c, const Quotas& q, const std::string& path, std::string_view value) {
  if (!c.privileged && value.size() > q.value_bytes) return ENOSPC;
  int err = 0;
  const Node* n = get_node(v, c, path, perm::kWrite, err);
  if (!n) {
    if (err != ENOENT) return err;
    if (int e = create_node(v, c, q, path, value)) return e;
  } else {
    Node copy = *n;
    copy.value = value;
    v.set(path, std::move(copy));
  }
  v.changed(path, false);
  return 0;
}

int op_mkdir(StoreView& v, Caller c, const Quotas& q, const std::string& path) {
  int err = 0;
  if (get_node(v, c, path, perm::kWrite, err)) return 0;  // already there: nothing to do
  if (err != ENOENT) return err;
  if (int e = create_node(v, c, q, path, {})) return e;
  v.changed(path, false);
  return 0;
}

int op_rm(StoreView& v, Caller c, const std::string& path) {
  if (path == "/") return EINVAL;
  int err = 0;
  if (!get_node(v, c, path, perm::kWrite, err)) {
    // "Didn't exist already? Fine, if parent exists."
    if (err == ENOENT && v.get(parent_path(path))) return 0;
    return err;
  }
  remove_subtree(v, path);
  const std::string parent = parent_path(path);
  if (const Node* p = v.get(parent)) {
    Node copy = *p;
    const std::string_view name = base_name(path);
    std::erase_if(copy.children, [&](const std::string& s) { return s == name; });
    v.set(parent, std::move(copy));
  }
  v.changed(path, true);
  return 0;
}

int op_directory(StoreView& v, Caller c, const std::string& path, std::string& out) {
  int err = 0;
  const Node* n = get_node(v, c, path, perm::kRead, err);
  if (!n) return err;
  out.clear();
  for (const std::string& child : n->children) {
    out += child;
    out += '\0';
  }
  return 0;
}

int op_get_perms(StoreView& v, Caller c, const std::string& path, std::string& out) {
  int err = 0;
  const Node* n = get_node(v, c, path, perm::kRead, err);
  if (!n) return err;
  out = perms_to_wire(n->perms);
  return 0;
}

int op_set_perms(StoreView& v, Caller c, const std::string& path, const Perms& perms) {
  if (perms.empty()) return EINVAL;
  int err = 0;
  const Node* n = get_node(v, c, path, perm::kWrite | perm::kOwner, err);
  if (!n) return err;
  Node copy = *n;
  copy.perms = perms;
  v.set(path, std::move(copy));
  v.changed(path, false);
  return 0;
}

bool may_see(StoreTree& tree, Caller c, const std::string& path) {
  StoreView v(tree, nullptr);
  int err = 0;
  if (get_node(v, c, path, perm::kRead, err)) return true;
  return err == ENOENT;
}

}  // namespace ring1::xs
