// Transactions: isolation until commit, conflict detection with EAGAIN, abort, ids and their errors.
#include <gtest/gtest.h>

#include "control/xenstore/domain_tree.h"
#include "store_ring.h"

namespace ring1::xs {
namespace {
using testing::arg;
using testing::StoreRing;

const std::string kOk("OK\0", 3);
std::string err(const char* name) { return std::string(name) + '\0'; }

struct Transactions : ::testing::Test {
  PhysicalMemory ram{64 * 1024};
  Xenstored d{ram};
  StoreRing g1{ram, d, 1, 0x5000};
  void SetUp() override {
    DomainEntries e;
    e.domid = 1;
    e.name = "g";
    ASSERT_EQ(write_domain_entries(d.dom0(), e), 0);
    ASSERT_EQ(d.dom0().write("/local/domain/1/counter", "1"), 0);
  }
  u32 start() {
    const Message r = g1.call(XS_TRANSACTION_START, arg(""));
    EXPECT_EQ(r.type, u32(XS_TRANSACTION_START));
    return u32(std::stoul(r.payload));
  }
};

TEST_F(Transactions, StartAnswersANonZeroIdAsADecimalString) {
  const Message r = g1.call(XS_TRANSACTION_START, arg(""));
  EXPECT_EQ(r.payload, std::string("1\0", 2));
  EXPECT_EQ(g1.call(XS_TRANSACTION_START, arg("")).payload, std::string("2\0", 2));
}

TEST_F(Transactions, WritesAreSeenInsideAndNotOutsideUntilCommit) {
  const u32 tx = start();
  EXPECT_EQ(g1.call(XS_WRITE, arg("counter") + "2", tx).payload, kOk);
  EXPECT_EQ(g1.call(XS_READ, arg("counter"), tx).payload, "2");
  EXPECT_EQ(g1.call(XS_READ, arg("counter")).payload, "1");
  const Message end = g1.call(XS_TRANSACTION_END, arg("T"), tx);
  EXPECT_EQ(end.payload, kOk);
  EXPECT_EQ(end.tx_id, tx);
  EXPECT_EQ(g1.call(XS_READ, arg("counter")).payload, "2");
}

TEST_F(Transactions, ACommitAfterSomeoneChangedWhatItReadIsEagainAndChangesNothing) {
  const u32 tx = start();
  EXPECT_EQ(g1.call(XS_READ, arg("counter"), tx).payload, "1");
  ASSERT_EQ(d.dom0().write("/local/domain/1/counter", "5"), 0);  // someone else, meanwhile
  g1.call(XS_WRITE, arg("counter") + "2", tx);
  g1.call(XS_WRITE, arg("other") + "x", tx);
  EXPECT_EQ(g1.call(XS_TRANSACTION_END, arg("T"), tx).payload, err("EAGAIN"));
  EXPECT_EQ(g1.call(XS_READ, arg("counter")).payload, "5");
  EXPECT_EQ(g1.call(XS_READ, arg("other")).payload, err("ENOENT"));
  EXPECT_EQ(g1.call(XS_TRANSACTION_END, arg("T"), tx).payload, err("ENOENT"));  // it is gone
  EXPECT_EQ(d.stats().transactions_conflicted, 1u);
}

TEST_F(Transactions, AChangeToANodeTheTransactionNeverTouchedIsNoConflict) {
  const u32 tx = start();
  g1.call(XS_WRITE, arg("mine") + "m", tx);
  ASSERT_EQ(d.dom0().write("/local/domain/1/counter", "9"), 0);
  EXPECT_EQ(g1.call(XS_TRANSACTION_END, arg("T"), tx).payload, kOk);
}

TEST_F(Transactions, TwoTransactionsCreatingTheSameNodeConflict) {
  const u32 a = start(), b = start();
  g1.call(XS_WRITE, arg("new") + "a", a);
  g1.call(XS_WRITE, arg("new") + "b", b);
  EXPECT_EQ(g1.call(XS_TRANSACTION_END, arg("T"), a).payload, kOk);
  EXPECT_EQ(g1.call(XS_TRANSACTION_END, arg("T"), b).payload, err("EAGAIN"));
  EXPECT_EQ(g1.call(XS_READ, arg("new")).payload, "a");
}

TEST_F(Transactions, AbortDiscardsTheChanges) {
  const u32 tx = start();
  g1.call(XS_WRITE, arg("counter") + "7", tx);
  EXPECT_EQ(g1.call(XS_TRANSACTION_END, arg("F"), tx).payload, kOk);
  EXPECT_EQ(g1.call(XS_READ, arg("counter")).payload, "1");
}

TEST_F(Transactions, WatchesFireAtCommitNotBefore) {
  g1.call(XS_WATCH, arg("counter") + arg("t"));
  g1.receive();
  const u32 tx = start();
  g1.call(XS_WRITE, arg("counter") + "3", tx);
  EXPECT_EQ(g1.available(), 0u);
  EXPECT_EQ(g1.call(XS_TRANSACTION_END, arg("T"), tx).payload, kOk);
  EXPECT_EQ(g1.receive().payload, arg("counter") + arg("t"));
}

TEST_F(Transactions, AnUnknownTransactionIdIsEnoentForAnyRequest) {
  EXPECT_EQ(g1.call(XS_READ, arg("counter"), 77).payload, err("ENOENT"));
  EXPECT_EQ(g1.call(XS_TRANSACTION_END, arg("T"), 77).payload, err("ENOENT"));
  EXPECT_EQ(g1.call(XS_TRANSACTION_END, arg("T")).payload, err("ENOENT"));
}

TEST_F(Transactions, StartInsideATransactionIsEbusyAndABadEndArgumentIsEinval) {
  const u32 tx = start();
  EXPECT_EQ(g1.call(XS_TRANSACTION_START, arg(""), tx).payload, err("EBUSY"));
  EXPECT_EQ(g1.call(XS_TRANSACTION_END, arg("yes"), tx).payload, err("EINVAL"));
}

TEST_F(Transactions, AGuestMayHaveAtMostTenOpen) {
  for (int i = 0; i < 10; ++i) start();
  EXPECT_EQ(g1.call(XS_TRANSACTION_START, arg("")).payload, err("ENOSPC"));
}

TEST_F(Transactions, RemovingInATransactionHidesTheSubtreeUntilCommit) {
  g1.call(XS_WRITE, arg("tree/leaf") + "1");
  const u32 tx = start();
  EXPECT_EQ(g1.call(XS_RM, arg("tree"), tx).payload, kOk);
  EXPECT_EQ(g1.call(XS_READ, arg("tree/leaf"), tx).payload, err("ENOENT"));
  EXPECT_EQ(g1.call(XS_READ, arg("tree/leaf")).payload, "1");
  EXPECT_EQ(g1.call(XS_TRANSACTION_END, arg("T"), tx).payload, kOk);
  EXPECT_EQ(d.tree().find("/local/domain/1/tree/leaf"), nullptr);
}

}  // namespace
}  // namespace ring1::xs
