// Permission entries and perm_for_conn's rules: owner, per-domain entries, the default, privilege.
#include <gtest/gtest.h>

#include "control/xenstore/permissions.h"

namespace ring1::xs {
namespace {

const Perms kOwned5ReadBy7{{5, perm::kNone}, {7, perm::kRead}};

TEST(Permissions, TheOwnerMayDoEverything) {
  EXPECT_EQ(perm_for(kOwned5ReadBy7, 5, false), perm::kRead | perm::kWrite | perm::kOwner);
}

TEST(Permissions, ADomainListedAfterTheOwnerGetsItsOwnEntry) {
  EXPECT_EQ(perm_for(kOwned5ReadBy7, 7, false), perm::kRead);
}

TEST(Permissions, AnyOtherDomainGetsTheOwnersDefault) {
  EXPECT_EQ(perm_for(kOwned5ReadBy7, 9, false), perm::kNone);
  EXPECT_EQ(perm_for(Perms{{5, perm::kBoth}}, 9, false), perm::kBoth);
}

TEST(Permissions, APrivilegedConnectionMayDoEverythingAnywhere) {
  EXPECT_EQ(perm_for(kOwned5ReadBy7, 0, true), perm::kRead | perm::kWrite | perm::kOwner);
}

TEST(Permissions, TheWireFormIsALetterAndADomainIdPerEntry) {
  EXPECT_EQ(perms_to_wire(Perms{{0, perm::kNone}, {1, perm::kRead}, {2, perm::kWrite}, {3, perm::kBoth}}),
            std::string("n0\0r1\0w2\0b3\0", 12));
  EXPECT_EQ(perm_from_wire("b12"), (PermEntry{12, perm::kBoth}));
  EXPECT_EQ(perm_from_wire("w0"), (PermEntry{0, perm::kWrite}));
}

TEST(Permissions, MalformedEntriesAreRefused) {
  EXPECT_FALSE(perm_from_wire("x1"));
  EXPECT_FALSE(perm_from_wire("r"));
  EXPECT_FALSE(perm_from_wire("r1a"));
  EXPECT_FALSE(perm_from_wire("r65536"));
  EXPECT_FALSE(perm_from_wire(""));
}

}  // namespace
}  // namespace ring1::xs
