// Port 0x92 (system control port A) on ring1's PC: it reads A20 enabled, keeps what a guest writes that
// neither resets nor masks A20, and stops the run with "not modelled" naming the port when a guest asks for
// the fast reset (bit 0 from 0 to 1) or for A20 masking, which ring1 cannot carry out.
#include <gtest/gtest.h>

#include "devices/pc_guest.h"

namespace ring1::test {
namespace {

TEST(SystemControlPort, ReadsA20EnabledAndKeepsAWriteThatChangesNothing) {
  PcGuest m;
  m.load_asm("in al, 0x92\n mov bl, al\n mov al, 0x02\n out 0x92, al\n in al, 0x92\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.r(EBX) & 0xFF, 0x02u);
  EXPECT_EQ(m.r(EAX) & 0xFF, 0x02u);
}

TEST(SystemControlPort, AFastResetStopsTheRunNamingThePort) {
  PcGuest m;
  m.load_asm("in al, 0x92\n and al, 0xFE\n out 0x92, al\n or al, 1\n out 0x92, al\n mov ebx, 1\n");
  EXPECT_EQ(m.run(), StopReason::NotModelled);
  EXPECT_NE(m.cpu.host_error().find("reset through port 0x92"), std::string::npos) << m.cpu.host_error();
  EXPECT_EQ(m.r(EBX), 0u) << "the run ended at the write";
}

TEST(SystemControlPort, MaskingA20StopsTheRunNamingThePort) {
  PcGuest m;
  m.load_asm("mov al, 0\n out 0x92, al\n");
  EXPECT_EQ(m.run(), StopReason::NotModelled);
  EXPECT_NE(m.cpu.host_error().find("address line 20 through port 0x92"), std::string::npos) << m.cpu.host_error();
}

}  // namespace
}  // namespace ring1::test
