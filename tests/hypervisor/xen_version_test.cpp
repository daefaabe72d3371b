// xen_version and vm_assist as Xen 3.2 answers them (xen/common/kernel.c, xen/common/domain.c).
#include <gtest/gtest.h>

#include "hypervisor/pv_guest.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

using test::PvGuest;

// xv CMD, ARG: xen_version(CMD, ARG), result stored at RESULT.
const std::string kPrologue = R"(
  jmp start
reason: .long 0
.macro xv cmd, arg, result
  mov eax, 17
  mov ebx, \cmd
  mov ecx, \arg
  int 0x82
  mov [\result], eax
.endm
.macro assist cmd, type, result
  mov eax, 21
  mov ebx, \cmd
  mov ecx, \type
  int 0x82
  mov [\result], eax
.endm
shutdown:
  mov eax, 29
  mov ebx, 2
  mov ecx, offset reason
  int 0x82
start:
)";

TEST(XenVersion, AnswersEverySubOpOfXen32) {
  PvGuest g(kPrologue + R"(
  xv 0, 0, 0x300000              # XENVER_version
  xv 1, 0x301000, 0x300004       # extraversion
  xv 2, 0x302000, 0x300008       # compile_info
  xv 3, 0x303000, 0x30000c       # capabilities
  xv 4, 0x304000, 0x300010       # changeset
  xv 5, 0x305000, 0x300014       # platform_parameters
  mov dword ptr [0x306000], 0    # get_features, submap 0
  mov dword ptr [0x306004], 0xdeadbeef
  xv 6, 0x306000, 0x300018
  xv 7, 0, 0x30001c              # pagesize with a NULL argument
  xv 7, 0x307000, 0x300020       # pagesize with anything else
  mov dword ptr [0x308000], 0xffffffff
  xv 8, 0x308000, 0x300024       # guest_handle
  xv 9, 0x309000, 0x300028       # commandline: not in Xen 3.x
  xv 3, 0xfc000000, 0x30002c     # a buffer in the hypervisor
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300000), 0x00030000u);
  EXPECT_EQ(g.word(0x300004), 0u);
  EXPECT_EQ(g.text(0x301000, 16), "-ring1");
  EXPECT_EQ(g.word(0x300008), 0u);
  EXPECT_EQ(g.text(0x302000, 64), "ring1 (C++20)");
  EXPECT_EQ(g.text(0x302000 + 64, 16), "ring1");
  EXPECT_EQ(g.word(0x30000c), 0u);
  EXPECT_EQ(g.text(0x303000, 1024), "xen-3.0-x86_32");
  EXPECT_EQ(g.word(0x300010), 0u);
  EXPECT_EQ(g.text(0x304000, 64), "ring1");
  EXPECT_EQ(g.word(0x300014), 0u);
  EXPECT_EQ(g.word(0x305000), 0xFC000000u);
  EXPECT_EQ(g.word(0x300018), 0u);
  EXPECT_EQ(g.word(0x306004), 0u);  // no optional feature for a non-PAE PV guest
  EXPECT_EQ(g.word(0x30001c), 4096u);
  EXPECT_EQ(i32(g.word(0x300020)), -xen::err::kEINVAL);
  EXPECT_EQ(g.word(0x300024), 0u);
  EXPECT_EQ(g.word(0x308000), 0u);  // a domain built without a handle: all zero
  EXPECT_EQ(i32(g.word(0x300028)), -xen::err::kENOSYS);
  EXPECT_EQ(i32(g.word(0x30002c)), -xen::err::kEFAULT);
}

TEST(XenVersion, GetFeaturesKnowsOnlySubmap0) {
  PvGuest g(kPrologue + R"(
  mov dword ptr [0x306000], 1
  xv 6, 0x306000, 0x300000
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(i32(g.word(0x300000)), -xen::err::kEINVAL);
}

TEST(VmAssist, PaeExtendedCr3IsAcceptedAndReportedAsTheFeatureXen32Reports) {
  PvGuest g(kPrologue + R"(
  assist 0, 3, 0x300000          # enable pae_extended_cr3
  mov dword ptr [0x306000], 0
  xv 6, 0x306000, 0x300004
  mov eax, [0x306004]
  mov [0x300008], eax
  assist 1, 3, 0x30000c          # disable it again
  xv 6, 0x306000, 0x300004
  mov eax, [0x306004]
  mov [0x300010], eax
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300000), 0u);
  EXPECT_EQ(g.word(0x300008), 1u << xen::kXenfeatPaePgdirAbove4gb);
  EXPECT_EQ(g.word(0x30000c), 0u);
  EXPECT_EQ(g.word(0x300010), 0u);
}

TEST(VmAssist, WhatRing1WouldHaveToEmulateIsRefusedAndTheRestAnsweredAsXen32Answers) {
  PvGuest g(kPrologue + R"(
  assist 0, 0, 0x300000          # 4gb_segments: Xen emulated them; ring1 does not
  assist 0, 1, 0x300004          # 4gb_segments_notify
  assist 0, 2, 0x300008          # writable_pagetables: Xen emulated them; ring1 does not
  assist 0, 4, 0x30000c          # beyond MAX_VMASST_TYPE (3 in Xen 3.x)
  assist 7, 3, 0x300010          # no such command
  assist 1, 2, 0x300014          # disabling is always fine
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(i32(g.word(0x300000)), -xen::err::kEINVAL);
  EXPECT_EQ(g.word(0x300004), 0u);
  EXPECT_EQ(i32(g.word(0x300008)), -xen::err::kEINVAL);
  EXPECT_EQ(i32(g.word(0x30000c)), -xen::err::kEINVAL);
  EXPECT_EQ(i32(g.word(0x300010)), -xen::err::kENOSYS);
  EXPECT_EQ(g.word(0x300014), 0u);
  EXPECT_EQ(g.hv.domain().vm_assist, 1u << xen::kVmasstType4gbSegmentsNotify);
}

}  // namespace
}  // namespace ring1::hv
