// Xenstore path names as xenstored reads them (docs/misc/xenstore.txt; xenstored_core.c's is_valid_nodename
// and canonicalize): an absolute path starts with '/', a relative one is taken below the connection's home
// /local/domain/<id>; names use only letters, digits and "-/_@", never "//" nor a trailing '/', and stay
// within XENSTORE_ABS_PATH_MAX / XENSTORE_REL_PATH_MAX (xs_wire.h). "@introduceDomain" and
// "@releaseDomain" are watch-only special paths.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "common/types.h"

namespace ring1::xs {

// "/local/domain/<domid>": where a domain's relative paths start (XS_GET_DOMAIN_PATH's answer).
std::string domain_path(u32 domid);

// The absolute form of `p` for a connection whose home is `home`, or nullopt if `p` is not a valid node
// name (EINVAL). Special '@' paths are refused here; watches accept them separately.
std::optional<std::string> canonical_path(std::string_view home, std::string_view p);

// True for the two special watch paths xenstored fires when domains come and go.
bool is_special_path(std::string_view p);

// "/a/b/c" -> "/a/b"; "/a" -> "/"; "/" -> "/".
std::string parent_path(std::string_view p);
// "/a/b/c" -> "c".
std::string_view base_name(std::string_view p);
// True if `child` is `parent` or lies below it (xenstored's is_child).
bool is_at_or_below(std::string_view child, std::string_view parent);

}  // namespace ring1::xs
