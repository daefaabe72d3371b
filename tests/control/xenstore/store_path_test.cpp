// Path names as xenstored accepts them (is_valid_nodename, canonicalize).
#include <gtest/gtest.h>

#include "control/xenstore/store_path.h"

namespace ring1::xs {
namespace {

TEST(StorePath, ARelativePathLiesBelowTheConnectionsHome) {
  EXPECT_EQ(canonical_path("/local/domain/1", "device/vif/0"), "/local/domain/1/device/vif/0");
  EXPECT_EQ(canonical_path("/local/domain/1", "/vm/x"), "/vm/x");
  EXPECT_EQ(domain_path(7), "/local/domain/7");
}

TEST(StorePath, DoubleSlashesTrailingSlashesAndStrangeCharactersAreInvalid) {
  EXPECT_FALSE(canonical_path("/local/domain/1", "a//b"));
  EXPECT_FALSE(canonical_path("/local/domain/1", "/a/"));
  EXPECT_FALSE(canonical_path("/local/domain/1", "a b"));
  EXPECT_FALSE(canonical_path("/local/domain/1", "a.b"));
  EXPECT_FALSE(canonical_path("/local/domain/1", ""));
  EXPECT_TRUE(canonical_path("/local/domain/1", "/"));
  EXPECT_TRUE(canonical_path("/local/domain/1", "a-b_c@d/0"));
}

TEST(StorePath, PathsBeyondXenstoresLengthLimitsAreInvalid) {
  EXPECT_TRUE(canonical_path("/h", std::string(2048, 'a')));
  EXPECT_FALSE(canonical_path("/h", std::string(2049, 'a')));   // XENSTORE_REL_PATH_MAX
  EXPECT_TRUE(canonical_path("/h", "/" + std::string(3071, 'a')));
  EXPECT_FALSE(canonical_path("/h", "/" + std::string(3072, 'a')));  // XENSTORE_ABS_PATH_MAX
}

TEST(StorePath, ParentsBaseNamesAndAncestry) {
  EXPECT_EQ(parent_path("/a/b/c"), "/a/b");
  EXPECT_EQ(parent_path("/a"), "/");
  EXPECT_EQ(base_name("/a/b/c"), "c");
  EXPECT_TRUE(is_at_or_below("/a/b", "/a"));
  EXPECT_TRUE(is_at_or_below("/a", "/a"));
  EXPECT_FALSE(is_at_or_below("/ab", "/a"));
  EXPECT_TRUE(is_at_or_below("/anything", "/"));
  EXPECT_TRUE(is_special_path("@introduceDomain"));
  EXPECT_TRUE(is_special_path("@releaseDomain"));
  EXPECT_FALSE(is_special_path("@other"));
}

}  // namespace
}  // namespace ring1::xs
