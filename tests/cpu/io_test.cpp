// IN, OUT, INS and OUTS (SDM vol. 2) against a test device on the port bus, and the protected-mode I/O
// permission check (SDM vol. 1, 19.5): IOPL against CPL, the TSS I/O permission bitmap, virtual-8086 mode,
// and the guarantee that a denied or faulting access never reaches the device.
#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;

// A device on ports 0x60..0x6F: reads answer from `input` (oldest first) or `answer` once it is empty;
// writes are logged.
struct Device {
  struct Access {
    u16 port;
    u8 size;
    u32 value;
  };
  u32 answer = 0;
  std::deque<u32> input;
  std::vector<Access> reads, writes;

  static u32 read(void* ctx, u16 port, u8 size) {
    auto* d = static_cast<Device*>(ctx);
    u32 v = d->answer;
    if (!d->input.empty()) {
      v = d->input.front();
      d->input.pop_front();
    }
    d->reads.push_back({port, size, v});
    return v;
  }
  static void write(void* ctx, u16 port, u8 size, u32 value) {
    static_cast<Device*>(ctx)->writes.push_back({port, size, value});
  }
};

constexpr u32 kTss = 0x200000;
constexpr u32 kMapBase = 0x68;                  // the bitmap right after the 104-byte TSS
constexpr u32 kMapBytes = 0x80;                 // covers ports 0..0x3FF
constexpr u32 kTssLimit = kMapBase + kMapBytes;  // includes the all-ones byte after the bitmap

struct IoMachine : TestMachine {
  Device dev;
  IoMachine() { EXPECT_TRUE(ports.attach(0x60, 16, {&Device::read, &Device::write, &dev})); }

  void ring(u8 cpl, u32 iopl) {
    cpu.cpl = cpl;
    cpu.eflags = (cpu.eflags & ~IOPL) | (iopl << 12);
  }
  // A 32-bit TSS whose bitmap allows every port 0..0x3FF.
  void tss(u16 access = 0x89, u32 limit = kTssLimit) {
    poke<u16>(kTss + 0x66, kMapBase);
    for (u32 k = 0; k < kMapBytes; ++k) poke<u8>(kTss + kMapBase + k, 0);
    poke<u8>(kTss + kMapBase + kMapBytes, 0xFF);
    cpu.tr = SystemSegment{0x28, kTss, limit, access};
  }
  void deny(u16 port) {
    u32 at = kTss + kMapBase + port / 8;
    poke<u8>(at, u8(mem<u8>(at) | (1u << (port & 7))));
  }
  void expect_gp() {
    EXPECT_EQ(cpu.last_fault().vector, u8(Vector::GP));
    EXPECT_TRUE(cpu.last_fault().has_error_code);
    EXPECT_EQ(cpu.last_fault().error_code, 0u);
  }
};

TEST(Io, InReadsAlAxOrEaxFromTheDeviceAtTheImmediateOrDxPort) {
  IoMachine m;
  m.dev.answer = 0x11223344;
  ASSERT_EQ(m.exec("mov eax, 0xaaaaaaaa\n in al, 0x61"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 0xaaaaaa44u);
  ASSERT_EQ(m.exec("mov eax, 0xaaaaaaaa\n mov edx, 0xabcd0062\n in ax, dx"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 0xaaaa3344u);
  ASSERT_EQ(m.exec("mov edx, 0x64\n in eax, dx"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 0x11223344u);
  ASSERT_EQ(m.dev.reads.size(), 3u);
  EXPECT_EQ(m.dev.reads[0].port, 0x61u);
  EXPECT_EQ(m.dev.reads[0].size, 1u);
  EXPECT_EQ(m.dev.reads[1].port, 0x62u);  // DX, not EDX
  EXPECT_EQ(m.dev.reads[1].size, 2u);
  EXPECT_EQ(m.dev.reads[2].port, 0x64u);
  EXPECT_EQ(m.dev.reads[2].size, 4u);
}

TEST(Io, OutWritesAlAxOrEaxToTheDeviceAtTheImmediateOrDxPort) {
  IoMachine m;
  ASSERT_EQ(m.exec("mov eax, 0x11223344\n out 0x63, al\n mov edx, 0x66\n out dx, ax\n out dx, eax"),
            StopReason::Breakpoint);
  ASSERT_EQ(m.dev.writes.size(), 3u);
  EXPECT_EQ(m.dev.writes[0].port, 0x63u);
  EXPECT_EQ(m.dev.writes[0].size, 1u);
  EXPECT_EQ(m.dev.writes[0].value, 0x44u);
  EXPECT_EQ(m.dev.writes[1].port, 0x66u);
  EXPECT_EQ(m.dev.writes[1].size, 2u);
  EXPECT_EQ(m.dev.writes[1].value, 0x3344u);
  EXPECT_EQ(m.dev.writes[2].size, 4u);
  EXPECT_EQ(m.dev.writes[2].value, 0x11223344u);
  EXPECT_EQ(m.ports.writes(0x66), 2u);
}

TEST(Io, UnclaimedPortsReadAllOnesAtEveryWidth) {
  IoMachine m;
  m.exec("mov eax, 0x12345678\n mov edx, 0x300\n in al, dx");
  EXPECT_EQ(m.r(EAX), 0x123456ffu);
  m.exec("mov eax, 0x12345678\n mov edx, 0x300\n in ax, dx");
  EXPECT_EQ(m.r(EAX), 0x1234ffffu);
  m.exec("mov eax, 0x12345678\n mov edx, 0x300\n in eax, dx");
  EXPECT_EQ(m.r(EAX), 0xffffffffu);
  EXPECT_EQ(m.ports.reads(0x300), 3u);
}

TEST(Io, ACpuWithNoBusSeesEveryPortUnclaimed) {
  IoMachine m;
  m.cpu.ports = nullptr;
  ASSERT_EQ(m.exec("out 0x61, al\n in eax, 0x61"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 0xffffffffu);
  EXPECT_TRUE(m.dev.reads.empty());
  EXPECT_TRUE(m.dev.writes.empty());
}

TEST(Io, AtCpl3WithIopl0AndNoTssInAndOutAreGeneralProtectionAndReachNothing) {
  IoMachine m;
  m.ring(3, 0);
  ASSERT_EQ(m.exec("mov eax, 0x1111\n in al, 0x61"), StopReason::UnhandledFault);
  m.expect_gp();
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 5);  // at the IN: it can be restarted
  EXPECT_EQ(m.r(EAX), 0x1111u);
  ASSERT_EQ(m.exec("out 0x61, al"), StopReason::UnhandledFault);
  m.expect_gp();
  EXPECT_TRUE(m.dev.reads.empty());
  EXPECT_TRUE(m.dev.writes.empty());
  EXPECT_TRUE(m.ports.touched().empty());
}

TEST(Io, CplAboveIoplIsCheckedAtRingOneToo) {
  IoMachine m;
  m.ring(1, 0);
  ASSERT_EQ(m.exec("in al, 0x61"), StopReason::UnhandledFault);
  m.expect_gp();
}

TEST(Io, CplAtOrBelowIoplNeedsNoTss) {
  IoMachine m;
  m.dev.answer = 0x5a;
  m.ring(3, 3);
  ASSERT_EQ(m.exec("in al, 0x61\n out 0x62, al"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX) & 0xff, 0x5au);
  m.ring(1, 2);
  ASSERT_EQ(m.exec("in al, 0x61"), StopReason::Breakpoint);
  EXPECT_EQ(m.dev.reads.size(), 2u);
  EXPECT_EQ(m.dev.writes.size(), 1u);
}

TEST(Io, ATssBitmapWithClearBitsLetsCpl3UseThePorts) {
  IoMachine m;
  m.tss();
  m.ring(3, 0);
  m.dev.answer = 0xcafebabe;
  ASSERT_EQ(m.exec("mov edx, 0x64\n in eax, dx\n out dx, eax"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 0xcafebabeu);
  ASSERT_EQ(m.dev.writes.size(), 1u);
  EXPECT_EQ(m.dev.writes[0].value, 0xcafebabeu);
}

TEST(Io, ABusyTssGivesPermissionLikeAnAvailableOne) {
  IoMachine m;
  m.tss(0x8B);
  m.ring(3, 0);
  EXPECT_EQ(m.exec("in al, 0x61"), StopReason::Breakpoint);
}

TEST(Io, ASetBitmapBitIsGeneralProtectionForThatPortOnly) {
  IoMachine m;
  m.tss();
  m.deny(0x61);
  m.ring(3, 0);
  ASSERT_EQ(m.exec("in al, 0x61"), StopReason::UnhandledFault);
  m.expect_gp();
  ASSERT_EQ(m.exec("out 0x61, al"), StopReason::UnhandledFault);
  m.expect_gp();
  EXPECT_EQ(m.exec("in al, 0x60\n in al, 0x62"), StopReason::Breakpoint);
  EXPECT_EQ(m.dev.reads.size(), 2u);
}

TEST(Io, AMultiByteAccessNeedsTheBitOfEveryPortItCovers) {
  IoMachine m;
  m.tss();
  m.deny(0x69);  // in the bitmap byte after the one holding 0x67's bit
  m.ring(3, 0);
  // 0x67..0x6A crosses into the denied port; 0x67..0x68 and 0x64..0x67 do not.
  ASSERT_EQ(m.exec("mov edx, 0x67\n in eax, dx"), StopReason::UnhandledFault);
  m.expect_gp();
  EXPECT_EQ(m.exec("mov edx, 0x67\n in ax, dx\n mov edx, 0x64\n in eax, dx"), StopReason::Breakpoint);
  ASSERT_EQ(m.exec("mov edx, 0x68\n out dx, ax"), StopReason::UnhandledFault);
  m.expect_gp();
  EXPECT_TRUE(m.dev.writes.empty());
}

TEST(Io, PortsWhoseBitmapBytesLieBeyondTheTssLimitAreDenied) {
  IoMachine m;
  m.tss();  // the bitmap covers ports 0..0x3FF
  m.ring(3, 0);
  EXPECT_EQ(m.exec("mov edx, 0x3ff\n in al, dx"), StopReason::Breakpoint);  // its 2 bytes end at the limit
  ASSERT_EQ(m.exec("mov edx, 0x400\n in al, dx"), StopReason::UnhandledFault);
  m.expect_gp();
}

TEST(Io, TrMustHoldA32BitTssOfAtLeast104Bytes) {
  IoMachine m;
  m.ring(3, 0);
  m.tss(0x81);  // a 16-bit TSS has no I/O bitmap
  ASSERT_EQ(m.exec("in al, 0x61"), StopReason::UnhandledFault);
  m.expect_gp();
  m.tss(0x89, 102);
  ASSERT_EQ(m.exec("in al, 0x61"), StopReason::UnhandledFault);
  m.expect_gp();
  m.tss(0x89);
  EXPECT_EQ(m.exec("in al, 0x61"), StopReason::Breakpoint);
}

TEST(Io, TheBitmapIsFoundThroughTheMapBaseField) {
  IoMachine m;
  m.tss(0x89, 0x300);
  m.poke<u16>(kTss + 0x66, 0x200);  // a second bitmap further up, all ports denied but 0x61
  for (u32 k = 0; k < 0x20; ++k) m.poke<u8>(kTss + 0x200 + k, 0xFF);
  m.poke<u8>(kTss + 0x200 + 0x61 / 8, u8(~(1u << (0x61 & 7))));
  m.ring(3, 0);
  EXPECT_EQ(m.exec("in al, 0x61"), StopReason::Breakpoint);
  ASSERT_EQ(m.exec("in al, 0x60"), StopReason::UnhandledFault);
  m.expect_gp();
}

TEST(Io, Virtual8086ModeConsultsTheBitmapWhateverIopl) {
  IoMachine m;
  m.ring(3, 3);
  m.cpu.eflags |= VM;
  ASSERT_EQ(m.exec("in al, 0x61"), StopReason::UnhandledFault);
  m.expect_gp();
  m.tss();
  EXPECT_EQ(m.exec("in al, 0x61"), StopReason::Breakpoint);
}

TEST(Io, WithoutProtectionEnabledThereIsNoPermissionCheck) {
  IoMachine m;
  m.cpu.set_cr0(m.cpu.cr0 & ~1u);
  m.ring(3, 0);  // not a real-mode state; it shows that nothing is consulted
  EXPECT_EQ(m.exec("in al, 0x61"), StopReason::Breakpoint);
}

TEST(IoStrings, RepOutsbMovesABufferToTheDeviceInOrder) {
  IoMachine m;
  const char text[] = "hello";
  for (u32 k = 0; k < 5; ++k) m.poke<u8>(TestMachine::kData + k, u8(text[k]));
  ASSERT_EQ(m.exec("mov esi, 0x100000\n mov ecx, 5\n mov edx, 0x60\n rep outsb"), StopReason::Breakpoint);
  ASSERT_EQ(m.dev.writes.size(), 5u);
  for (u32 k = 0; k < 5; ++k) {
    EXPECT_EQ(m.dev.writes[k].value, u32(text[k]));
    EXPECT_EQ(m.dev.writes[k].port, 0x60u);
    EXPECT_EQ(m.dev.writes[k].size, 1u);
  }
  EXPECT_EQ(m.r(ESI), TestMachine::kData + 5);
  EXPECT_EQ(m.r(ECX), 0u);
}

TEST(IoStrings, RepInsbFillsABufferFromTheDevice) {
  IoMachine m;
  for (u32 k = 1; k <= 8; ++k) m.dev.input.push_back(0xF0 + k);
  ASSERT_EQ(m.exec("mov edi, 0x100000\n mov ecx, 8\n mov edx, 0x6f\n rep insb"), StopReason::Breakpoint);
  for (u32 k = 0; k < 8; ++k) EXPECT_EQ(m.mem<u8>(TestMachine::kData + k), 0xF1 + k);
  EXPECT_EQ(m.r(EDI), TestMachine::kData + 8);
  EXPECT_EQ(m.r(ECX), 0u);
  EXPECT_EQ(m.dev.reads.size(), 8u);
  EXPECT_EQ(m.dev.reads[0].port, 0x6fu);
}

TEST(IoStrings, InsdAndOutswStepByTheirSizeAndDownwardWithDf) {
  IoMachine m;
  m.dev.input = {0x11111111, 0x22222222};
  ASSERT_EQ(m.exec("std\n mov edi, 0x100008\n mov edx, 0x60\n insd\n insd"), StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u32>(0x100008), 0x11111111u);
  EXPECT_EQ(m.mem<u32>(0x100004), 0x22222222u);
  EXPECT_EQ(m.r(EDI), 0x100000u);
  m.poke<u32>(0x100010, 0xBBBBAAAA);
  ASSERT_EQ(m.exec("cld\n mov esi, 0x100010\n mov edx, 0x60\n outsw\n outsw"), StopReason::Breakpoint);
  ASSERT_EQ(m.dev.writes.size(), 2u);
  EXPECT_EQ(m.dev.writes[0].value, 0xAAAAu);
  EXPECT_EQ(m.dev.writes[0].size, 2u);
  EXPECT_EQ(m.dev.writes[1].value, 0xBBBBu);
  EXPECT_EQ(m.r(ESI), 0x100014u);
}

TEST(IoStrings, SixteenBitAddressingWrapsSiAndCountsInCx) {
  IoMachine m;
  m.poke<u8>(0xFFFF, 0xAB);
  m.poke<u8>(0x0000, 0xCD);
  // 67 F3 6E: addr16 rep outsb
  ASSERT_EQ(m.exec("mov esi, 0x1234ffff\n mov ecx, 0xaaaa0002\n mov edx, 0x60\n .byte 0x67, 0xf3, 0x6e"),
            StopReason::Breakpoint);
  ASSERT_EQ(m.dev.writes.size(), 2u);
  EXPECT_EQ(m.dev.writes[0].value, 0xABu);
  EXPECT_EQ(m.dev.writes[1].value, 0xCDu);
  EXPECT_EQ(m.r(ESI), 0x12340001u);
  EXPECT_EQ(m.r(ECX), 0xaaaa0000u);
}

TEST(IoStrings, OutsReadsThroughASegmentOverrideAndInsAlwaysWritesEs) {
  IoMachine m;
  m.cpu.seg[FS].base = 0x200000;
  m.poke<u8>(0x200010, 0x77);
  // 64 6E: fs outsb
  ASSERT_EQ(m.exec("mov esi, 0x10\n mov edx, 0x60\n .byte 0x64, 0x6e"), StopReason::Breakpoint);
  ASSERT_EQ(m.dev.writes.size(), 1u);
  EXPECT_EQ(m.dev.writes[0].value, 0x77u);
  // 64 6C: fs insb. The prefix does not move INS's destination off ES (SDM vol. 2, INS).
  m.dev.answer = 0x99;
  ASSERT_EQ(m.exec("mov edi, 0x100020\n .byte 0x64, 0x6c"), StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u8>(0x100020), 0x99u);
  EXPECT_EQ(m.mem<u8>(0x300020), 0u);
}

TEST(IoStrings, InsWhoseDestinationFaultsDoesNotReadThePort) {
  IoMachine m;
  m.cpu.seg[ES].write_hi = 0xFFFF;  // ES limit 64 KiB
  ASSERT_EQ(m.exec("mov edi, 0x20000\n mov edx, 0x60\n insb"), StopReason::UnhandledFault);
  m.expect_gp();
  EXPECT_TRUE(m.dev.reads.empty());
  EXPECT_EQ(m.ports.reads(0x60), 0u);
  EXPECT_EQ(m.r(EDI), 0x20000u);
}

TEST(IoStrings, ADeniedRepOutsMovesNothingAndLeavesTheCount) {
  IoMachine m;
  m.ring(3, 0);
  ASSERT_EQ(m.exec("mov esi, 0x100000\n mov ecx, 4\n mov edx, 0x60\n rep outsb"), StopReason::UnhandledFault);
  m.expect_gp();
  EXPECT_TRUE(m.dev.writes.empty());
  EXPECT_EQ(m.r(ECX), 4u);
  EXPECT_EQ(m.r(ESI), 0x100000u);
}

TEST(IoStrings, PermissionIsCheckedEvenWhenTheRepCountIsZero) {
  IoMachine m;
  m.ring(3, 0);
  ASSERT_EQ(m.exec("mov ecx, 0\n mov edx, 0x60\n rep insb"), StopReason::UnhandledFault);
  m.expect_gp();
}

TEST(IoStrings, ARepInsInterruptedByACycleLimitResumesAndCostsTheSame) {
  const char* src = "mov edi, 0x100000\n mov ecx, 1000\n mov edx, 0x60\n rep insb\n mov ebx, 1";
  IoMachine whole;
  IoMachine sliced;
  for (u32 k = 0; k < 1000; ++k) {
    whole.dev.input.push_back(k & 0xFF);
    sliced.dev.input.push_back(k & 0xFF);
  }
  whole.exec(src);
  sliced.load_asm(src);
  RunLimits lim;
  lim.stop_at_eip = sliced.code_end;
  int stops = 0;
  for (Cycles limit = 500;; limit += 500) {
    lim.max_cycles = limit;
    if (sliced.cpu.run(lim) != StopReason::CycleLimit) break;
    ++stops;
  }
  EXPECT_GE(stops, 2);
  EXPECT_EQ(sliced.r(EBX), 1u);
  EXPECT_EQ(sliced.dev.reads.size(), 1000u);  // no element read twice or skipped
  for (u32 k = 0; k < 1000; ++k) ASSERT_EQ(sliced.mem<u8>(0x100000 + k), k & 0xFF) << k;
  EXPECT_EQ(sliced.cpu.instret, whole.cpu.instret);
  EXPECT_EQ(sliced.cpu.cycles, whole.cpu.cycles);
}

}  // namespace
}  // namespace ring1::test
