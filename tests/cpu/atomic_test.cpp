// XADD CMPXCHG CMPXCHG8B BSWAP: results, flags, the accumulator rules of the compare-exchanges, LOCK, and
// that a faulting access commits nothing (SDM vol. 2; vol. 3, 6.5).
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;
constexpr u32 kData = TestMachine::kData;

struct Regs {
  u32 eax = 0, ecx = 0, edx = 0, ebx = 0, flags = 0;
};
StopReason run_with(TestMachine& m, std::string_view src, Regs r) {
  m.load_asm(src);
  m.cpu.gpr[EAX] = r.eax;
  m.cpu.gpr[ECX] = r.ecx;
  m.cpu.gpr[EDX] = r.edx;
  m.cpu.gpr[EBX] = r.ebx;
  m.cpu.gpr[ESI] = kData;
  m.cpu.eflags = Reserved1 | r.flags;
  return m.run();
}
void read_only_data(TestMachine& m) {
  m.cpu.seg[DS].write_lo = 1;
  m.cpu.seg[DS].write_hi = 0;
}

TEST(Atomic, XaddStoresTheSumAndReturnsTheOldDestinationInTheSource) {
  TestMachine m;
  run_with(m, "xadd eax, ecx", {.eax = 5, .ecx = 7});
  EXPECT_EQ(m.r(EAX), 12u);
  EXPECT_EQ(m.r(ECX), 5u);
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(ZF));
}

TEST(Atomic, XaddSetsFlagsAsAdd) {
  TestMachine m;
  run_with(m, "xadd al, cl", {.eax = 0x1234567F, .ecx = 0xFF01});
  EXPECT_EQ(m.r(EAX), 0x12345680u);
  EXPECT_EQ(m.r(ECX), 0xFF7Fu);
  EXPECT_TRUE(m.flag(OF));
  EXPECT_TRUE(m.flag(SF));
  EXPECT_TRUE(m.flag(AF));
  EXPECT_FALSE(m.flag(CF));
  run_with(m, "xadd cx, dx", {.ecx = 0xAAAAFFFF, .edx = 0x1});
  EXPECT_EQ(m.r(ECX), 0xAAAA0000u);
  EXPECT_EQ(m.r(EDX), 0xFFFFu);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(ZF));
  EXPECT_TRUE(m.flag(PF));
}

TEST(Atomic, XaddOfARegisterWithItselfLeavesTheSum) {
  TestMachine m;
  run_with(m, "xadd eax, eax", {.eax = 21});
  EXPECT_EQ(m.r(EAX), 42u);
}

TEST(Atomic, XaddOnMemoryWithLockUpdatesMemoryAndTheRegister) {
  TestMachine m;
  m.poke<u32>(kData, 10);
  m.poke<u16>(kData + 4, 0x8000);
  ASSERT_EQ(run_with(m, "lock xadd dword ptr [esi], ecx\n xadd word ptr [esi+4], dx", {.ecx = 3, .edx = 0x8000}),
            StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u32>(kData), 13u);
  EXPECT_EQ(m.r(ECX), 10u);
  EXPECT_EQ(m.mem<u16>(kData + 4), 0u);
  EXPECT_EQ(m.r(EDX), 0x8000u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(OF));
}

TEST(Atomic, AFaultingXaddChangesNeitherRegisterNorFlags) {
  TestMachine m;
  m.poke<u32>(kData, 10);
  read_only_data(m);
  ASSERT_EQ(run_with(m, "xadd dword ptr [esi], ecx", {.ecx = 3, .flags = ZF}), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::GP));
  EXPECT_EQ(m.r(ECX), 3u);
  EXPECT_EQ(m.mem<u32>(kData), 10u);
  EXPECT_EQ(m.cpu.eflags, Reserved1 | ZF);
}

TEST(Atomic, CmpxchgStoresTheSourceWhenTheAccumulatorMatches) {
  TestMachine m;
  m.poke<u32>(kData, 5);
  run_with(m, "cmpxchg dword ptr [esi], ecx", {.eax = 5, .ecx = 9, .flags = CF | SF});
  EXPECT_EQ(m.mem<u32>(kData), 9u);
  EXPECT_EQ(m.r(EAX), 5u);
  EXPECT_TRUE(m.flag(ZF));
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(SF));
  EXPECT_TRUE(m.flag(PF));
}

TEST(Atomic, CmpxchgLoadsTheAccumulatorWhenItDoesNotMatch) {
  TestMachine m;
  m.poke<u32>(kData, 5);
  run_with(m, "cmpxchg dword ptr [esi], ecx", {.eax = 4, .ecx = 9, .flags = ZF});
  EXPECT_EQ(m.mem<u32>(kData), 5u);
  EXPECT_EQ(m.r(EAX), 5u);
  EXPECT_FALSE(m.flag(ZF));
  EXPECT_TRUE(m.flag(CF));  // flags of CMP 4, 5
  EXPECT_TRUE(m.flag(SF));
  EXPECT_TRUE(m.flag(AF));
}

TEST(Atomic, CmpxchgWorksOnEveryRegisterSize) {
  TestMachine m;
  run_with(m, "cmpxchg bl, cl", {.eax = 0x11223344, .ecx = 0x77, .ebx = 0x44});
  EXPECT_EQ(m.r(EBX), 0x77u);
  EXPECT_TRUE(m.flag(ZF));
  run_with(m, "cmpxchg bl, cl", {.eax = 0x11223344, .ecx = 0x77, .ebx = 0xAABBCC45});
  EXPECT_EQ(m.r(EAX), 0x11223345u);  // only AL is loaded
  EXPECT_EQ(m.r(EBX), 0xAABBCC45u);
  EXPECT_FALSE(m.flag(ZF));
  run_with(m, "cmpxchg bx, cx", {.eax = 0xFFFF1234, .ecx = 0xBEEF, .ebx = 0x55551234});
  EXPECT_EQ(m.r(EBX), 0x5555BEEFu);
  EXPECT_TRUE(m.flag(ZF));
  run_with(m, "cmpxchg ebx, ecx", {.eax = 0x80000000, .ecx = 1, .ebx = 1});
  EXPECT_EQ(m.r(EAX), 1u);
  EXPECT_EQ(m.r(EBX), 1u);
  EXPECT_TRUE(m.flag(OF));  // CMP 0x80000000, 1 overflows
}

TEST(Atomic, CmpxchgOnByteAndWordMemory) {
  TestMachine m;
  m.poke<u16>(kData, 0x1234);
  m.poke<u8>(kData + 2, 0x99);
  run_with(m, "lock cmpxchg word ptr [esi], cx\n mov edx, eax\n mov eax, 0x99\n cmpxchg byte ptr [esi+2], cl",
           {.eax = 0x1234, .ecx = 0x4321});
  EXPECT_EQ(m.mem<u16>(kData), 0x4321u);
  EXPECT_EQ(m.mem<u8>(kData + 2), 0x21u);
  EXPECT_TRUE(m.flag(ZF));
}

// The processor writes the destination back even when the comparison fails, so a read-only destination
// faults either way; the fault leaves the accumulator and flags as they were.
TEST(Atomic, CmpxchgWritesMemoryEvenOnMismatchAndAFaultCommitsNothing) {
  TestMachine m;
  m.poke<u32>(kData, 5);
  read_only_data(m);
  ASSERT_EQ(run_with(m, "cmpxchg dword ptr [esi], ecx", {.eax = 4, .ecx = 9, .flags = ZF}),
            StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::GP));
  EXPECT_EQ(m.r(EAX), 4u);
  EXPECT_EQ(m.cpu.eflags, Reserved1 | ZF);
}

TEST(Atomic, Cmpxchg8bStoresEcxEbxWhenEdxEaxMatches) {
  TestMachine m;
  m.poke<u64>(kData, 0x1122334455667788ull);
  const u32 others = CF | SF | OF | PF | AF;
  ASSERT_EQ(run_with(m, "lock cmpxchg8b qword ptr [esi]",
                     {.eax = 0x55667788, .ecx = 0xCAFEBABE, .edx = 0x11223344, .ebx = 0xDEADBEEF, .flags = others}),
            StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u64>(kData), 0xCAFEBABEDEADBEEFull);
  EXPECT_EQ(m.r(EAX), 0x55667788u);
  EXPECT_EQ(m.r(EDX), 0x11223344u);
  EXPECT_EQ(m.cpu.eflags, Reserved1 | others | ZF);  // only ZF changes
}

TEST(Atomic, Cmpxchg8bLoadsEdxEaxWhenEitherHalfDiffers) {
  for (u32 edx : {0x11223344u, 0x11223345u}) {
    TestMachine m;
    m.poke<u64>(kData, 0x1122334455667788ull);
    run_with(m, "cmpxchg8b qword ptr [esi]",
             {.eax = edx == 0x11223344u ? 0x55667789u : 0x55667788u, .ecx = 1, .edx = edx, .ebx = 2, .flags = ZF | CF});
    EXPECT_EQ(m.mem<u64>(kData), 0x1122334455667788ull);
    EXPECT_EQ(m.r(EAX), 0x55667788u);
    EXPECT_EQ(m.r(EDX), 0x11223344u);
    EXPECT_EQ(m.cpu.eflags, Reserved1 | CF);
  }
}

TEST(Atomic, Cmpxchg8bCommitsNothingWhenTheSecondDwordCannotBeWritten) {
  TestMachine m;
  m.poke<u64>(kData, 0x1122334455667788ull);
  m.cpu.seg[DS].write_hi = kData + 3;  // the low dword is writable, the high one is not
  ASSERT_EQ(run_with(m, "cmpxchg8b qword ptr [esi]",
                     {.eax = 0x55667788, .ecx = 0xCAFEBABE, .edx = 0x11223344, .ebx = 0xDEADBEEF}),
            StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::GP));
  EXPECT_EQ(m.mem<u64>(kData), 0x1122334455667788ull);
  EXPECT_FALSE(m.flag(ZF));
}

TEST(Atomic, Cmpxchg8bCommitsNothingWhenTheSecondDwordCannotBeRead) {
  TestMachine m;
  m.poke<u64>(kData, 0x1122334455667788ull);
  m.cpu.seg[DS].read_hi = kData + 3;
  ASSERT_EQ(run_with(m, "cmpxchg8b qword ptr [esi]", {.eax = 1, .edx = 2}), StopReason::UnhandledFault);
  EXPECT_EQ(m.r(EAX), 1u);
  EXPECT_EQ(m.r(EDX), 2u);
  EXPECT_EQ(m.mem<u64>(kData), 0x1122334455667788ull);
}

TEST(Atomic, Cmpxchg8bWithARegisterOperandIsInvalid) {
  TestMachine m;
  m.load({0x0F, 0xC7, 0xC8});  // mod = 11
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::UD));
}

TEST(Atomic, LockOnARegisterDestinationIsInvalid) {
  TestMachine m;
  m.load({0xF0, 0x0F, 0xC1, 0xC8});  // lock xadd eax, ecx
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::UD));
}

TEST(Atomic, BswapReversesTheBytesOfADoubleword) {
  TestMachine m;
  run_with(m, "bswap eax\n bswap edx", {.eax = 0x12345678, .edx = 0x000000FF, .flags = ZF | CF});
  EXPECT_EQ(m.r(EAX), 0x78563412u);
  EXPECT_EQ(m.r(EDX), 0xFF000000u);
  EXPECT_EQ(m.cpu.eflags, Reserved1 | ZF | CF);
}

// Documented choice for the SDM-undefined 16-bit form: the low word is zeroed, as real parts do.
TEST(Atomic, BswapOfAWordRegisterZeroesItsLowHalf) {
  TestMachine m;
  m.load({0x66, 0x0F, 0xC9});  // bswap cx
  m.cpu.gpr[ECX] = 0x12345678;
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(ECX), 0x12340000u);
}

TEST(Atomic, CostClassesFollowTheOperandKinds) {
  const CostProfile& p = CostProfile::pentium3();
  TestMachine a;
  run_with(a, "xadd eax, ecx", {});
  EXPECT_EQ(a.cpu.cycles, p.cost(CostClass::Simple));
  TestMachine b;
  run_with(b, "cmpxchg dword ptr [esi], ecx", {});
  EXPECT_EQ(b.cpu.cycles, p.cost(CostClass::Store));
  TestMachine c;
  run_with(c, "cmpxchg8b qword ptr [esi]", {});
  EXPECT_EQ(c.cpu.cycles, p.cost(CostClass::Complex));
}

}  // namespace
}  // namespace ring1::test
