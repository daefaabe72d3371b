// Node permissions as xenstored keeps and enforces them (xs_lib.h's XS_PERM_*; xenstored_core.c's
// perm_for_conn). A node's list starts with its owner, whose entry also gives everyone's default access;
// later entries override the default for one domain each. The owner may do anything; a privileged
// connection (domain 0, the tools) may do anything anywhere. On the wire each entry is a letter and a
// domain id: 'r' read, 'w' write, 'b' both, 'n' none ("n0", "r1").
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.h"

namespace ring1::xs {

namespace perm {
inline constexpr u8 kNone = 0;
inline constexpr u8 kRead = 1;
inline constexpr u8 kWrite = 2;
inline constexpr u8 kBoth = kRead | kWrite;
inline constexpr u8 kOwner = 4;  // never stored; what perm_for grants the owner on top of read and write
}  // namespace perm

struct PermEntry {
  u32 domid = 0;
  u8 access = perm::kNone;  // kRead / kWrite bits
  friend bool operator==(const PermEntry&, const PermEntry&) = default;
};

// Never empty: [0] is the owner (and the default access for domains not listed).
using Perms = std::vector<PermEntry>;

// What a connection of domain `domid` may do to a node with `perms` (perm_for_conn).
u8 perm_for(const Perms& perms, u32 domid, bool privileged);

// "n0\0r1\0": XS_GET_PERMS's reply payload, every entry NUL-terminated.
std::string perms_to_wire(const Perms& perms);
// One wire entry ("r5"); nullopt if malformed: an unknown letter, or a domain id that is not a decimal
// number below 65536.
std::optional<PermEntry> perm_from_wire(std::string_view s);

}  // namespace ring1::xs
