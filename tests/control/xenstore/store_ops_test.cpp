// Each node operation over a guest's ring, and each permission rule xenstored enforces, with the replies
// a real client would see (xs_wire.h's types and error strings).
#include <gtest/gtest.h>

#include "control/xenstore/domain_tree.h"
#include "store_ring.h"

namespace ring1::xs {
namespace {
using testing::arg;
using testing::StoreRing;

const std::string kOk("OK\0", 3);
std::string err(const char* name) { return std::string(name) + '\0'; }

// Two guests, 1 and 2, each with its standard entries, and domain 0's client.
struct TwoDomains : ::testing::Test {
  PhysicalMemory ram{64 * 1024};
  Xenstored d{ram};
  StoreRing g1{ram, d, 1, 0x5000};
  StoreRing g2{ram, d, 2, 0x6000};
  void SetUp() override {
    ASSERT_EQ(write_dom0_entries(d.dom0()), 0);
    for (u32 id : {1u, 2u}) {
      DomainEntries e;
      e.domid = id;
      e.name = "guest" + std::to_string(id);
      ASSERT_EQ(write_domain_entries(d.dom0(), e), 0);
    }
  }
};

TEST_F(TwoDomains, ReadAnswersTheValueWithoutATerminator) {
  const Message r = g1.call(XS_READ, arg("name"));
  EXPECT_EQ(r.type, u32(XS_READ));
  EXPECT_EQ(r.payload, "guest1");
  EXPECT_EQ(r.req_id, 1u);
}

TEST_F(TwoDomains, AMissingNodeTheCallerCouldSeeIsEnoent) {
  const Message r = g1.call(XS_READ, arg("device/vif/0/backend"));
  EXPECT_EQ(r.type, u32(XS_ERROR));
  EXPECT_EQ(r.payload, err("ENOENT"));
}

TEST_F(TwoDomains, WriteCreatesTheNodeAndItsMissingParentsOwnedByTheWriter) {
  EXPECT_EQ(g1.call(XS_WRITE, arg("data/a/b") + std::string("v\0w", 3)).payload, kOk);  // values may hold NULs
  EXPECT_EQ(g1.call(XS_READ, arg("data/a/b")).payload, std::string("v\0w", 3));
  EXPECT_EQ(g1.call(XS_GET_PERMS, arg("data/a")).payload, std::string("n1\0", 3));
  EXPECT_EQ(g1.call(XS_DIRECTORY, arg("data")).payload, std::string("a\0", 2));
}

TEST_F(TwoDomains, WriteWithoutANulAfterThePathIsEinval) {
  EXPECT_EQ(g1.call(XS_WRITE, "data").payload, err("EINVAL"));
}

TEST_F(TwoDomains, DirectoryListsChildrenInCreationOrder) {
  g1.call(XS_WRITE, arg("d/zeta") + "1");
  g1.call(XS_WRITE, arg("d/alpha") + "2");
  g1.call(XS_MKDIR, arg("d/mid"));
  EXPECT_EQ(g1.call(XS_DIRECTORY, arg("d")).payload, std::string("zeta\0alpha\0mid\0", 15));
  EXPECT_EQ(g1.call(XS_DIRECTORY, arg("d/mid")).payload, "");
}

TEST_F(TwoDomains, MkdirOfAnExistingNodeChangesNothing) {
  g1.call(XS_WRITE, arg("k") + "keep");
  EXPECT_EQ(g1.call(XS_MKDIR, arg("k")).payload, kOk);
  EXPECT_EQ(g1.call(XS_READ, arg("k")).payload, "keep");
}

TEST_F(TwoDomains, RmRemovesTheWholeSubtree) {
  g1.call(XS_WRITE, arg("t/a/b") + "1");
  EXPECT_EQ(g1.call(XS_RM, arg("t")).payload, kOk);
  EXPECT_EQ(g1.call(XS_READ, arg("t/a/b")).payload, err("ENOENT"));
  EXPECT_EQ(d.tree().find("/local/domain/1/t/a"), nullptr);
  std::string dir = g1.call(XS_DIRECTORY, arg("/local/domain/1")).payload;
  EXPECT_EQ(dir.find(std::string("t\0", 2)), std::string::npos);
}

TEST_F(TwoDomains, RmOfAMissingNodeWhoseParentExistsSucceeds) {
  EXPECT_EQ(g1.call(XS_RM, arg("never")).payload, kOk);
  EXPECT_EQ(g1.call(XS_RM, arg("never/deeper")).payload, err("ENOENT"));
}

TEST_F(TwoDomains, RmOfTheRootIsEinval) {
  EXPECT_EQ(d.dom0().rm("/"), EINVAL);
}

TEST_F(TwoDomains, ADomainCannotReadAnotherDomainsDirectory) {
  EXPECT_EQ(g2.call(XS_READ, arg("/local/domain/1/name")).payload, err("EACCES"));
  EXPECT_EQ(g2.call(XS_DIRECTORY, arg("/local/domain/1")).payload, err("EACCES"));
}

TEST_F(TwoDomains, AMissingNodeBelowAnUnreadableOneIsEaccesNotEnoent) {
  // Telling ENOENT from EACCES would let domain 2 probe domain 1's tree.
  EXPECT_EQ(g2.call(XS_READ, arg("/local/domain/1/nothing/here")).payload, err("EACCES"));
  EXPECT_EQ(g2.call(XS_WRITE, arg("/local/domain/1/planted") + "x").payload, err("EACCES"));
}

TEST_F(TwoDomains, NobodyButDomainZeroMayListTheDomainsOrWriteAtTheRoot) {
  EXPECT_EQ(g1.call(XS_DIRECTORY, arg("/local/domain")).payload, err("EACCES"));
  EXPECT_EQ(g1.call(XS_WRITE, arg("/evil") + "x").payload, err("EACCES"));
  std::vector<std::string> doms;
  EXPECT_EQ(d.dom0().directory("/local/domain", doms), 0);
  EXPECT_EQ(doms, (std::vector<std::string>{"0", "1", "2"}));
}

TEST_F(TwoDomains, AReadEntryLetsAnotherDomainReadButNotWrite) {
  g1.call(XS_WRITE, arg("shared") + "s");
  EXPECT_EQ(g1.call(XS_SET_PERMS, arg("shared") + arg("n1") + arg("r2")).payload, kOk);
  EXPECT_EQ(g2.call(XS_READ, arg("/local/domain/1/shared")).payload, "s");
  EXPECT_EQ(g2.call(XS_WRITE, arg("/local/domain/1/shared") + "t").payload, err("EACCES"));
}

TEST_F(TwoDomains, AWriteEntryLetsAnotherDomainWriteButNotRead) {
  g1.call(XS_WRITE, arg("box") + "s");
  g1.call(XS_SET_PERMS, arg("box") + arg("n1") + arg("w2"));
  EXPECT_EQ(g2.call(XS_WRITE, arg("/local/domain/1/box") + "t").payload, kOk);
  EXPECT_EQ(g2.call(XS_READ, arg("/local/domain/1/box")).payload, err("EACCES"));
  EXPECT_EQ(g1.call(XS_READ, arg("box")).payload, "t");
}

TEST_F(TwoDomains, TheDefaultEntryAppliesToDomainsNotListed) {
  g1.call(XS_WRITE, arg("pub") + "p");
  g1.call(XS_SET_PERMS, arg("pub") + arg("r1"));  // owner 1, everyone else may read
  EXPECT_EQ(g2.call(XS_READ, arg("/local/domain/1/pub")).payload, "p");
}

TEST_F(TwoDomains, ANodeCreatedUnderAWritableParentIsOwnedByItsCreatorAndInheritsTheRest) {
  g1.call(XS_MKDIR, arg("drop"));
  g1.call(XS_SET_PERMS, arg("drop") + arg("n1") + arg("b2"));
  EXPECT_EQ(g2.call(XS_WRITE, arg("/local/domain/1/drop/note") + "hi").payload, kOk);
  EXPECT_EQ(g2.call(XS_GET_PERMS, arg("/local/domain/1/drop/note")).payload, std::string("n2\0b2\0", 6));
}

TEST_F(TwoDomains, OnlyTheOwnerMaySetPermissions) {
  g1.call(XS_WRITE, arg("own") + "o");
  g1.call(XS_SET_PERMS, arg("own") + arg("n1") + arg("b2"));
  EXPECT_EQ(g2.call(XS_SET_PERMS, arg("/local/domain/1/own") + arg("n2")).payload, err("EACCES"));
  EXPECT_EQ(g1.call(XS_SET_PERMS, arg("own") + arg("q1")).payload, err("EINVAL"));
  EXPECT_EQ(g1.call(XS_SET_PERMS, arg("own")).payload, err("EINVAL"));
}

TEST_F(TwoDomains, DomainZeroPassesEveryCheck) {
  std::string v;
  EXPECT_EQ(d.dom0().read("/local/domain/1/name", v), 0);
  EXPECT_EQ(v, "guest1");
  EXPECT_EQ(d.dom0().write("/local/domain/1/name", "renamed"), 0);
  Perms p;
  EXPECT_EQ(d.dom0().get_perms("/local/domain/1", p), 0);
  EXPECT_EQ(p, (Perms{{1, perm::kNone}}));
}

TEST_F(TwoDomains, GetDomainPathAnswersForAnyDomain) {
  EXPECT_EQ(g1.call(XS_GET_DOMAIN_PATH, arg("2")).payload, std::string("/local/domain/2\0", 16));
  EXPECT_EQ(g1.call(XS_GET_DOMAIN_PATH, arg("two")).payload, err("EINVAL"));
}

TEST_F(TwoDomains, InvalidPathsAreEinval) {
  EXPECT_EQ(g1.call(XS_READ, arg("a//b")).payload, err("EINVAL"));
  EXPECT_EQ(g1.call(XS_READ, "no-terminator").payload, err("EINVAL"));
  EXPECT_EQ(g1.call(XS_MKDIR, arg("bad path")).payload, err("EINVAL"));
}

TEST_F(TwoDomains, UnknownAndServerOnlyTypesAreEnosys) {
  EXPECT_EQ(g1.call(999, arg("x")).payload, err("ENOSYS"));
  EXPECT_EQ(g1.call(XS_WATCH_EVENT, arg("x") + arg("t")).payload, err("ENOSYS"));
  EXPECT_EQ(g1.call(XS_ERROR, arg("x")).payload, err("ENOSYS"));
}

TEST_F(TwoDomains, TheToolsOperationsAreDomainZerosAlone) {
  EXPECT_EQ(g1.call(XS_INTRODUCE, arg("3") + arg("9") + arg("4")).payload, err("EACCES"));
  EXPECT_EQ(g1.call(XS_RELEASE, arg("2")).payload, err("EACCES"));
  EXPECT_EQ(g1.call(XS_IS_DOMAIN_INTRODUCED, arg("2")).payload, err("EACCES"));
  EXPECT_EQ(g1.call(XS_CONTROL, arg("print") + arg("x")).payload, err("EACCES"));
}

TEST_F(TwoDomains, AValueOverTheEntryQuotaIsEnospcForAGuestButNotForDomainZero) {
  EXPECT_EQ(g1.call(XS_WRITE, arg("big") + std::string(2049, 'x')).payload, err("ENOSPC"));
  EXPECT_EQ(g1.call(XS_WRITE, arg("big") + std::string(2048, 'x')).payload, kOk);
  EXPECT_EQ(d.dom0().write("/local/domain/1/big", std::string(4000, 'y')), 0);
}

TEST_F(TwoDomains, AGuestCanOwnAtMostAThousandNodes) {
  u32 i = 0;
  while (d.tree().owned_by(1) < 1000) ASSERT_EQ(g1.call(XS_WRITE, arg("n" + std::to_string(i++)) + "v").payload, kOk);
  EXPECT_EQ(g1.call(XS_WRITE, arg("one-more") + "v").payload, err("ENOSPC"));
  EXPECT_EQ(g1.call(XS_WRITE, arg("n0") + "rewritten").payload, kOk);  // rewriting needs no new node
}

}  // namespace
}  // namespace ring1::xs
