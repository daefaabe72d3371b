// The in-process client: every call is a request message run by the daemon (see the header).
#include "control/xenstore/client.h"

#include <cerrno>

#include "control/xenstore/store_path.h"
#include "control/xenstore/xenstored.h"

namespace ring1::xs {
namespace {
std::string arg(std::string_view s) {
  std::string out(s);
  out += '\0';
  return out;
}
}  // namespace

Message Client::request(u32 type, u32 tx, std::string payload) {
  return d_.request(c_, Message{type, next_req_++, tx, std::move(payload)});
}

int Client::simple(u32 type, u32 tx, std::string payload, std::string* out) {
  Message r = request(type, tx, std::move(payload));
  if (r.type == u32(MsgType::Error)) {
    std::string_view name = r.payload;
    if (!name.empty() && name.back() == '\0') name.remove_suffix(1);
    const int e = error_from_name(name);
    return e ? e : EINVAL;
  }
  if (out) *out = std::move(r.payload);
  return 0;
}

int Client::read(const std::string& path, std::string& out, u32 tx) {
  return simple(u32(MsgType::Read), tx, arg(path), &out);
}

std::optional<std::string> Client::read(const std::string& path, u32 tx) {
  std::string v;
  if (read(path, v, tx)) return std::nullopt;
  return v;
}

int Client::write(const std::string& path, std::string_view value, u32 tx) {
  std::string p = arg(path);
  p += value;
  return simple(u32(MsgType::Write), tx, std::move(p));
}

int Client::mkdir(const std::string& path, u32 tx) { return simple(u32(MsgType::Mkdir), tx, arg(path)); }
int Client::rm(const std::string& path, u32 tx) { return simple(u32(MsgType::Rm), tx, arg(path)); }

int Client::directory(const std::string& path, std::vector<std::string>& out, u32 tx) {
  std::string payload;
  if (int e = simple(u32(MsgType::Directory), tx, arg(path), &payload)) return e;
  out.clear();
  for (std::string_view s : split_strings(payload)) out.emplace_back(s);
  return 0;
}

int Client::get_perms(const std::string& path, Perms& out, u32 tx) {
  std::string payload;
  if (int e = simple(u32(MsgType::GetPerms), tx, arg(path), &payload)) return e;
  out.clear();
  for (std::string_view s : split_strings(payload))
    if (auto p = perm_from_wire(s)) out.push_back(*p);
  return 0;
}

int Client::set_perms(const std::string& path, const Perms& perms, u32 tx) {
  std::string payload = arg(path) + perms_to_wire(perms);
  return simple(u32(MsgType::SetPerms), tx, std::move(payload));
}

namespace {
// Callbacks are keyed as the daemon names the watch: by its absolute path.
std::pair<std::string, std::string> key_of(const Connection& c, const std::string& path, const std::string& token) {
  if (is_special_path(path)) return {path, token};
  auto p = canonical_path(c.home, path);
  return {p ? *p : path, token};
}
}  // namespace

int Client::watch(const std::string& path, const std::string& token, WatchCallback cb) {
  // The callback is in place before the request: the watch's first event follows it at once.
  auto key = key_of(c_, path, token);
  const bool had = c_.callbacks.count(key) != 0;
  WatchCallback old = had ? c_.callbacks[key] : WatchCallback{};
  c_.callbacks[key] = std::move(cb);
  const int e = simple(u32(MsgType::Watch), 0, arg(path) + arg(token));
  if (e) {
    if (had)
      c_.callbacks[key] = std::move(old);
    else
      c_.callbacks.erase(key);
  }
  return e;
}

int Client::unwatch(const std::string& path, const std::string& token) {
  const int e = simple(u32(MsgType::Unwatch), 0, arg(path) + arg(token));
  if (!e) c_.callbacks.erase(key_of(c_, path, token));
  return e;
}

int Client::transaction_start(u32& tx) {
  std::string payload;
  if (int e = simple(u32(MsgType::TransactionStart), 0, std::string(1, '\0'), &payload)) return e;
  tx = 0;
  for (char ch : payload) {
    if (ch < '0' || ch > '9') break;
    tx = tx * 10 + u32(ch - '0');
  }
  return 0;
}

int Client::transaction_end(u32 tx, bool commit) {
  return simple(u32(MsgType::TransactionEnd), tx, arg(commit ? "T" : "F"));
}

std::string Client::get_domain_path(u32 domid) {
  std::string out;
  if (simple(u32(MsgType::GetDomainPath), 0, arg(std::to_string(domid)), &out)) return {};
  if (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

int Client::introduce(u32 domid, u32 mfn, u32 port) {
  return simple(u32(MsgType::Introduce), 0, arg(std::to_string(domid)) + arg(std::to_string(mfn)) + arg(std::to_string(port)));
}

int Client::release(u32 domid) { return simple(u32(MsgType::Release), 0, arg(std::to_string(domid))); }

}  // namespace ring1::xs
