// The console ring's mirror (src/hypervisor/xen_abi_console.h) against Debian's <xen/io/console.h>: the
// same size and every field at the same offset with the same size.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include <xen/xen.h>
#include <xen/io/console.h>

#include "hypervisor/xen_abi_console.h"

namespace ring1::xen {
namespace {

#define SAME_CONSOLE_FIELD(field)                                                        \
  static_assert(offsetof(XenconsInterface, field) == offsetof(xencons_interface, field)); \
  static_assert(sizeof(XenconsInterface::field) == sizeof(xencons_interface::field))
SAME_CONSOLE_FIELD(in);
SAME_CONSOLE_FIELD(out);
SAME_CONSOLE_FIELD(in_cons);
SAME_CONSOLE_FIELD(in_prod);
SAME_CONSOLE_FIELD(out_cons);
SAME_CONSOLE_FIELD(out_prod);
static_assert(sizeof(XenconsInterface) == sizeof(xencons_interface));

TEST(XenAbiConsole, TheRingsAre1024BytesInAnd2048OutWithTheirIndexesAfterThem) {
  EXPECT_EQ(kConsoleInSize, 1024u);
  EXPECT_EQ(kConsoleOutSize, 2048u);
  EXPECT_EQ(offsetof(XenconsInterface, in_cons), 3072u);
  EXPECT_EQ(offsetof(XenconsInterface, out_prod), 3084u);
  // MASK_XENCONS_IDX masks by the ring's size, as the back end does.
  xencons_interface theirs{};
  EXPECT_EQ(MASK_XENCONS_IDX(5000u, theirs.out), 5000u & (kConsoleOutSize - 1));
  EXPECT_EQ(MASK_XENCONS_IDX(5000u, theirs.in), 5000u & (kConsoleInSize - 1));
}

}  // namespace
}  // namespace ring1::xen
