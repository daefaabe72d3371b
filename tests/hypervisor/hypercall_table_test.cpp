// The one hypercall table (src/hypervisor/hypercalls/hypercalls.def) as the dispatcher, the report and the
// tracer read it: a row per number Xen allocates, handlers only where ring1 implements the call.
#include <gtest/gtest.h>

#include <string>

#include "hypervisor/hv_report.h"
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

TEST(HypercallTable, EveryRowCarriesXensNameAndAHandlerExactlyWhenRing1ImplementsIt) {
#define HYPERCALL(k, nr, nm, fn, ...)          \
  EXPECT_STREQ(hypercall_info(nr).name, #nm);    \
  EXPECT_EQ(hypercall_info(nr).handler, &fn) << #nm; \
  EXPECT_EQ(hypercall_handler(nr), &fn) << #nm;
#define NOT_MODELLED(k, nr, nm, ...)           \
  EXPECT_STREQ(hypercall_info(nr).name, #nm); \
  EXPECT_EQ(hypercall_handler(nr), nullptr) << #nm;
#include "hypervisor/hypercalls/hypercalls.def"
#undef HYPERCALL
#undef NOT_MODELLED
}

TEST(HypercallTable, NumbersXenNeverAllocatedHaveNoNameAndNoHandler) {
  EXPECT_EQ(kHypercallNumbers, xen::hypercall::kPhysdevOp + 1);
  for (u32 nr : {11u, kHypercallNumbers, 63u, 0xffffffffu}) {
    EXPECT_EQ(hypercall_info(nr).name, nullptr) << nr;
    EXPECT_EQ(hypercall_handler(nr), nullptr) << nr;
  }
}

TEST(HypercallTable, ReportsNameACallByTheTableAndAnUnknownOneByItsNumber) {
  EXPECT_EQ(hypercall_name(xen::hypercall::kMmuUpdate), "mmu_update");
  EXPECT_EQ(hypercall_name(xen::hypercall::kPlatformOp), "platform_op");
  EXPECT_EQ(hypercall_name(11), "hypercall_11");
  EXPECT_EQ(hypercall_name(40), "hypercall_40");
}

TEST(HypercallTable, OnlyTheBatchingCallsNameACountArgumentAndItIsTheSecond) {
  for (u32 nr = 0; nr < kHypercallNumbers; ++nr) {
    const bool batching =
        nr == xen::hypercall::kMmuUpdate || nr == xen::hypercall::kMmuextOp || nr == xen::hypercall::kMulticall;
    EXPECT_EQ(hypercall_info(nr).count_arg, batching ? 2 : 0) << nr;
    if (hypercall_info(nr).name) {
      EXPECT_NE(std::string(hypercall_info(nr).args), "") << nr;
    }
  }
}

}  // namespace
}  // namespace ring1::hv
