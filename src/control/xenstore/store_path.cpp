// Path checks and path arithmetic for the store (see the header).
#include "control/xenstore/store_path.h"

#include <xen/io/xs_wire.h>

namespace ring1::xs {
namespace {

bool valid_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '/' ||
         c == '_' || c == '@';
}

// xenstored's is_valid_nodename on an absolute path.
bool valid_absolute(std::string_view p) {
  if (p.empty() || p.front() != '/') return false;
  if (p.size() > XENSTORE_ABS_PATH_MAX) return false;
  if (p.size() > 1 && p.back() == '/') return false;
  if (p.find("//") != std::string_view::npos) return false;
  for (char c : p)
    if (!valid_char(c)) return false;
  return true;
}

}  // namespace

std::string domain_path(u32 domid) { return "/local/domain/" + std::to_string(domid); }

bool is_special_path(std::string_view p) { return p == "@introduceDomain" || p == "@releaseDomain"; }

std::optional<std::string> canonical_path(std::string_view home, std::string_view p) {
  if (p.empty()) return std::nullopt;
  std::string abs;
  if (p.front() == '/') {
    abs = p;
  } else {
    if (p.size() > XENSTORE_REL_PATH_MAX) return std::nullopt;
    abs.reserve(home.size() + 1 + p.size());
    abs.append(home).append("/").append(p);
  }
  if (!valid_absolute(abs)) return std::nullopt;
  return abs;
}

std::string parent_path(std::string_view p) {
  const auto slash = p.rfind('/');
  if (slash == 0 || slash == std::string_view::npos) return "/";
  return std::string(p.substr(0, slash));
}

std::string_view base_name(std::string_view p) {
  const auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

bool is_at_or_below(std::string_view child, std::string_view parent) {
  if (parent == "/") return !child.empty() && child.front() == '/';
  if (child.size() < parent.size() || child.substr(0, parent.size()) != parent) return false;
  return child.size() == parent.size() || child[parent.size()] == '/';
}

}  // namespace ring1::xs
