// Watches (XS_WATCH/XS_UNWATCH, xenstored_watch.c): a connection asks to hear about changes at or below a
// path, naming each watch by the path and a token of its choosing. A change to a node fires every watch
// whose path is the node or one of its ancestors; removing a subtree also fires the watches set below it.
// The event names the path that changed (or the watch's own path, for a watch below a removed subtree),
// relative again if the watch was registered with a relative path, and the token. xenstored also fires each
// watch once when it is registered, so that a client never misses the state it started from.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/types.h"

namespace ring1::xs {

struct Watch {
  std::string path;   // absolute, or a special '@' path
  std::string token;
  bool relative = false;  // registered relative to the connection's home: events are reported relative too
};

// The path to report to `w` for a change at `changed` (`recursive`: its whole subtree went), or nullopt if
// the watch does not fire. `home` is the watcher's /local/domain/<id>.
std::optional<std::string> watch_fires(const Watch& w, const std::string& changed, bool recursive,
                                       const std::string& home);

// The path as the watcher registered it: `abs` with `home/` taken off for a relative watch.
std::string reported_path(const Watch& w, const std::string& abs, const std::string& home);

// XS_WATCH_EVENT's payload: "path\0token\0".
std::string watch_event_payload(const std::string& path, const std::string& token);

}  // namespace ring1::xs
