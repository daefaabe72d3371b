// The --control timeline (domain_spec.h): domain 0's steps in xl's words, read in cycle order, with a create
// step taking the rest of its item as a --domain argument (spaces in its cmdline= included), and each bad
// step refused with one line saying what is wrong.
#include <gtest/gtest.h>

#include "hypervisor/domain_spec.h"

namespace ring1::hv {
namespace {

using Op = ControlEvent::Op;

TEST(ControlTimeline, EveryOperationIsReadWithItsCycleDomainAndSize) {
  std::string error;
  const auto t = parse_control_timeline(
      "at 10 pause 2; at 20 unpause 2;at 30 destroy 1; at 40 mem-set 3 16; at 50 mem-max 3 32", error);
  ASSERT_TRUE(t) << error;
  ASSERT_EQ(t->size(), 5u);
  EXPECT_EQ((*t)[0].op, Op::Pause);
  EXPECT_EQ((*t)[0].at, 10u);
  EXPECT_EQ((*t)[0].dom, 2);
  EXPECT_EQ((*t)[1].op, Op::Unpause);
  EXPECT_EQ((*t)[2].op, Op::Destroy);
  EXPECT_EQ((*t)[2].dom, 1);
  EXPECT_EQ((*t)[3].op, Op::MemSet);
  EXPECT_EQ((*t)[3].mib, 16u);
  EXPECT_EQ((*t)[4].op, Op::MemMax);
  EXPECT_EQ((*t)[4].mib, 32u);
  EXPECT_FALSE((*t)[0].result);
}

TEST(ControlTimeline, ACreateStepTakesTheRestOfItsItemSpacesIncluded) {
  std::string error;
  const auto t = parse_control_timeline("at 5000000 create k.elf,memory=8,cmdline=ping peer=2 port=3 ; at 6 destroy 2",
                                        error);
  ASSERT_FALSE(t) << "steps out of cycle order";
  const auto u = parse_control_timeline("at 5 create k.elf,memory=8,cmdline=ping peer=2 port=3 ; at 6 destroy 2", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ((*u)[0].op, Op::Create);
  EXPECT_EQ((*u)[0].spec, "k.elf,memory=8,cmdline=ping peer=2 port=3");
  EXPECT_EQ((*u)[0].dom, 0);  // its id is known once it is built
}

TEST(ControlTimeline, BadStepsAreRefusedWithWhatIsWrong) {
  std::string error;
  EXPECT_FALSE(parse_control_timeline("at 5 create", error));
  EXPECT_NE(error.find("create needs a KERNEL"), std::string::npos) << error;
  EXPECT_FALSE(parse_control_timeline("at 5 create k.elf,weight=0", error));
  EXPECT_NE(error.find("weight=0"), std::string::npos) << error;
  EXPECT_FALSE(parse_control_timeline("at 5 mem-set 1", error));
  EXPECT_NE(error.find("is not"), std::string::npos) << error;
  EXPECT_FALSE(parse_control_timeline("at 5 mem-max 1 4096", error));
  EXPECT_NE(error.find("4096 MiB is not a size"), std::string::npos) << error;
  EXPECT_FALSE(parse_control_timeline("at 5 shutdown 1", error));
  EXPECT_NE(error.find("unknown operation 'shutdown'"), std::string::npos) << error;
  EXPECT_FALSE(parse_control_timeline("in 5 pause 1", error));
  EXPECT_FALSE(parse_control_timeline("at x pause 1", error));
}

}  // namespace
}  // namespace ring1::hv
