// Virtual time against xen.h's formula: the scale Xen would choose for each modelled clock rate, a guest's
// extrapolation from vcpu_info.time (read back through Debian's <xen/foreign/x86_32.h> layout and computed
// here independently, the 64x32 multiply in two halves as a 32-bit guest does it) equal to the hypervisor's
// own system time at every cycle, deadlines converted to the first cycle that reaches them, the seqlock
// version, and the wall clock's epoch.
#include <gtest/gtest.h>

#define XEN_HAVE_PV_UPCALL_MASK 1
#include <xen/foreign/x86_32.h>

#include "hypervisor/virtual_time.h"

namespace ring1::hv {
namespace {

constexpr u32 kShared = 0x2000;

// What a 32-bit guest computes (xen.h, struct vcpu_time_info).
u64 guest_system_time(const vcpu_time_info_x86_32& t, u64 tsc) {
  u64 delta = tsc - t.tsc_timestamp;
  delta = t.tsc_shift >= 0 ? delta << t.tsc_shift : delta >> -t.tsc_shift;
  const u64 lo = (u64(u32(delta)) * t.tsc_to_system_mul) >> 32;
  const u64 hi = (delta >> 32) * t.tsc_to_system_mul;
  return t.system_time + lo + hi;
}

vcpu_time_info_x86_32 read_time(const PhysicalMemory& ram) {
  shared_info_x86_32 s;
  ram.read_bytes(kShared, &s, sizeof(s));
  return s.vcpu_info[0].time;
}

TEST(VirtualTime, TheScaleIsXensChoiceForTheClockRate) {
  // 1 GHz: doubled once into (1e9, 2e9], mul = 1e9 * 2^32 / 2e9 = 2^31: one cycle is one nanosecond.
  EXPECT_EQ(VirtualTime::scale_for(1'000'000'000).mul, 0x80000000u);
  EXPECT_EQ(VirtualTime::scale_for(1'000'000'000).shift, 1);
  // 2.4 GHz: halved once to 1.2e9.
  EXPECT_EQ(VirtualTime::scale_for(2'400'000'000).shift, -1);
  EXPECT_EQ(VirtualTime::scale_for(2'400'000'000).mul, u32((u64(1'000'000'000) << 32) / 1'200'000'000));
  // 3 MHz: doubled nine times to 1.536e9.
  EXPECT_EQ(VirtualTime::scale_for(3'000'000).shift, 9);
  for (u64 hz : {1'000'000ull, 3'000'000ull, 733'000'000ull, 1'000'000'000ull, 2'400'000'000ull, 100'000'000'000ull}) {
    const TimeScale s = VirtualTime::scale_for(hz);
    // One second of cycles scales to one second, within the scale's rounding.
    EXPECT_NEAR(double(VirtualTime::scale(hz, s)), 1e9, 2.0) << hz;
  }
}

TEST(VirtualTime, AGuestsExtrapolationEqualsTheHypervisorsSystemTimeAtEveryCycle) {
  for (u64 hz : {3'000'000ull, 733'000'000ull, 1'000'000'000ull, 2'400'000'000ull}) {
    PhysicalMemory ram(1u << 16);
    VirtualTime t(hz);
    t.restamp(123'456'789);
    const u64 tsc_offset = 1000;  // RDTSC reads cycles + offset; the stamp is in RDTSC's terms
    t.publish(ram, kShared, tsc_offset);
    const vcpu_time_info_x86_32 ti = read_time(ram);
    EXPECT_EQ(ti.tsc_timestamp, 123'456'789u + tsc_offset);
    for (Cycles c : {123'456'789ull, 123'456'790ull, 200'000'000ull, 5'000'000'000ull, 987'654'321'987ull})
      EXPECT_EQ(guest_system_time(ti, c + tsc_offset), t.system_time(c)) << hz << " at " << c;
  }
}

TEST(VirtualTime, ARestampKeepsTimeContinuous) {
  VirtualTime t(2'400'000'000);
  const u64 before = t.system_time(7'777'777);
  t.restamp(7'777'777);
  EXPECT_EQ(t.system_time(7'777'777), before);
  EXPECT_GE(t.system_time(7'777'778), before);
}

TEST(VirtualTime, ADeadlineConvertsToTheFirstCycleThatReachesIt) {
  for (u64 hz : {3'000'000ull, 733'000'000ull, 1'000'000'000ull, 2'400'000'000ull}) {
    VirtualTime t(hz);
    t.restamp(1'000);
    for (u64 ns : {1ull, 999ull, 1'000'000ull, 10'000'001ull, 3'000'000'000ull}) {
      const u64 deadline = t.system_time(1'000) + ns;
      const Cycles c = t.cycles_at(deadline);
      EXPECT_GE(t.system_time(c), deadline) << hz << " " << ns;
      EXPECT_LT(t.system_time(c - 1), deadline) << hz << " " << ns;
    }
  }
  VirtualTime t(1'000'000'000);
  EXPECT_EQ(t.cycles_at(10'000'000), 10'000'000u);  // 1 GHz: nanoseconds are cycles
  EXPECT_EQ(t.cycles_at(0), 0u);                    // a past deadline: now, at the stamp
}

TEST(VirtualTime, TheVersionIsEvenAfterEachUpdateAndMovesByTwo) {
  PhysicalMemory ram(1u << 16);
  VirtualTime t;
  t.publish(ram, kShared, 0);
  EXPECT_EQ(read_time(ram).version, 2u);
  t.publish(ram, kShared, 0);
  EXPECT_EQ(read_time(ram).version, 4u);
}

TEST(VirtualTime, TheWallClockIsTheEpochAtSystemTimeZero) {
  PhysicalMemory ram(1u << 16);
  VirtualTime t(1'000'000'000, VirtualTime::kDefaultEpoch);
  t.publish_wallclock(ram, kShared);
  shared_info_x86_32 s;
  ram.read_bytes(kShared, &s, sizeof(s));
  EXPECT_EQ(s.wc_sec, 1066521600u);  // 2003-10-19 00:00:00 UTC, the CMOS clock's fixed epoch
  EXPECT_EQ(s.wc_nsec, 0u);
  EXPECT_EQ(s.wc_version % 2, 0u);
  EXPECT_EQ(s.arch.wc_sec_hi, 0u);
}

}  // namespace
}  // namespace ring1::hv
