// Permission rules and their wire form (see the header).
#include "control/xenstore/permissions.h"

namespace ring1::xs {

u8 perm_for(const Perms& perms, u32 domid, bool privileged) {
  constexpr u8 kAll = perm::kRead | perm::kWrite | perm::kOwner;
  if (privileged) return kAll;  // xenstored: "Owners and tools get it all..."
  if (perms.empty()) return perm::kNone;
  if (perms[0].domid == domid) return kAll;
  for (std::size_t i = 1; i < perms.size(); ++i)
    if (perms[i].domid == domid) return perms[i].access;
  return perms[0].access;
}

std::string perms_to_wire(const Perms& perms) {
  std::string out;
  for (const PermEntry& p : perms) {
    const char letter = p.access == perm::kBoth ? 'b' : p.access == perm::kRead ? 'r' : p.access == perm::kWrite ? 'w' : 'n';
    out += letter;
    out += std::to_string(p.domid);
    out += '\0';
  }
  return out;
}

std::optional<PermEntry> perm_from_wire(std::string_view s) {
  if (s.size() < 2 || s.size() > 6) return std::nullopt;
  PermEntry e;
  switch (s[0]) {
    case 'n': e.access = perm::kNone; break;
    case 'r': e.access = perm::kRead; break;
    case 'w': e.access = perm::kWrite; break;
    case 'b': e.access = perm::kBoth; break;
    default: return std::nullopt;
  }
  u32 id = 0;
  for (char c : s.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + u32(c - '0');
  }
  if (id > 0xFFFF) return std::nullopt;
  e.domid = id;
  return e;
}

}  // namespace ring1::xs
