// Which watch fires for which change, and what it is told (see the header).
#include "control/xenstore/watches.h"

#include "control/xenstore/store_path.h"

namespace ring1::xs {

std::string reported_path(const Watch& w, const std::string& abs, const std::string& home) {
  if (!w.relative || abs.size() <= home.size()) return abs;
  return abs.substr(home.size() + 1);  // xenstored strips "home/" from events of relative watches
}

std::optional<std::string> watch_fires(const Watch& w, const std::string& changed, bool recursive,
                                       const std::string& home) {
  if (is_special_path(w.path) || is_special_path(changed)) {
    if (w.path == changed) return changed;
    return std::nullopt;
  }
  if (is_at_or_below(changed, w.path)) return reported_path(w, changed, home);
  if (recursive && is_at_or_below(w.path, changed)) return reported_path(w, w.path, home);
  return std::nullopt;
}

std::string watch_event_payload(const std::string& path, const std::string& token) {
  std::string out = path;
  out += '\0';
  out += token;
  out += '\0';
  return out;
}

}  // namespace ring1::xs
