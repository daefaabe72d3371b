// Port I/O, CLI/STI and MSR accesses from a PV guest (Xen 3.2 traps.c, emulate_privileged_op, and
// physdev.c's set_iopl / set_iobitmap): always a #GP on the processor, completed by the hypervisor when
// the guest's virtual IOPL or I/O bitmap allows it, bounced to the guest otherwise.
#include <gtest/gtest.h>

#include "hypervisor/pv_guest.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

using test::PvGuest;

// A #GP handler that counts and skips the faulting instruction, whose length the test puts in EBP, so the
// guest runs on; results go to 0x300000 and up.
const std::string kTraps = R"(
  jmp start
  .align 8
traps:
  .byte 13, 0
  .word 0xe019
  .long gp_handler
  .long 0, 0
reason: .long 0
iopl: .long 0
op: .long 0, 0, 0, 0
shutdown:
  mov eax, 29
  mov ebx, 2
  mov ecx, offset reason
  int 0x82
gp_handler:
  inc dword ptr [0x300100]
  add [esp + 4], ebp     # past the instruction (error code at [esp])
  add esp, 4
  iretd
set_iopl:                # physdev_op(PHYSDEVOP_set_iopl, &iopl), IOPL in EDX; result in EAX
  mov [iopl], edx
  mov eax, 33
  mov ebx, 6
  mov ecx, offset iopl
  int 0x82
  ret
start:
  mov eax, 0
  mov ebx, offset traps
  int 0x82
)";

TEST(PortIo, WithoutVirtualIoplAnInIsAGeneralProtectionFaultForTheGuest) {
  PvGuest g(kTraps + R"(
  mov ebp, 2
  mov eax, 0x12345678
  in al, 0x60
  mov [0x300000], eax
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300100), 1u);
  EXPECT_EQ(g.word(0x300000), 0x12345678u);  // nothing read
}

TEST(PortIo, WithIopl1TheKernelsInReadsAllOnesFromAPortItHasNoDeviceBehind) {
  PvGuest g(kTraps + R"(
  mov edx, 1
  call set_iopl
  mov [0x300010], eax
  mov eax, 0x12345678
  in al, 0x60
  mov [0x300000], eax
  mov eax, 0x12345678
  mov dx, 0x3f8
  in ax, dx
  mov [0x300004], eax
  mov eax, 0x12345678
  in eax, dx
  mov [0x300008], eax
  out 0x80, al
  out dx, eax
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300010), 0u);
  EXPECT_EQ(g.word(0x300000), 0x123456FFu);  // only AL changes
  EXPECT_EQ(g.word(0x300004), 0x1234FFFFu);
  EXPECT_EQ(g.word(0x300008), 0xFFFFFFFFu);
  EXPECT_EQ(g.word(0x300100), 0u);  // no #GP reached the guest
  EXPECT_EQ(g.hv.vcpu().iopl, 1u);
}

TEST(PortIo, AnIoplAbove3IsEinvalAndALegacyPhysdevOpCallSetsIoplToo) {
  PvGuest g(kTraps + R"(
  mov edx, 4
  call set_iopl
  mov [0x300000], eax
  mov dword ptr [op], 6      # struct physdev_op { cmd = PHYSDEVOP_set_iopl, u.set_iopl.iopl = 3 }
  mov dword ptr [op + 4], 3
  mov eax, 19                # physdev_op_compat(&op)
  mov ebx, offset op
  int 0x82
  mov [0x300004], eax
  mov eax, 33                # physdev_op(99, ...): no such command
  mov ebx, 99
  int 0x82
  mov [0x300008], eax
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(i32(g.word(0x300000)), -xen::err::kEINVAL);
  EXPECT_EQ(g.word(0x300004), 0u);
  EXPECT_EQ(i32(g.word(0x300008)), -xen::err::kENOSYS);
  EXPECT_EQ(g.hv.vcpu().iopl, 3u);
}

TEST(PortIo, TheGuestsIoBitmapAllowsExactlyThePortsWhoseBitsAreClear) {
  PvGuest g(kTraps + R"(
  mov edi, 0x301000          # the bitmap: all ports denied but 0x80
  mov ecx, 8192
  mov al, 0xff
  rep stosb
  mov byte ptr [0x301000 + 0x10], 0xfe
  mov dword ptr [op], 0x301000     # struct physdev_set_iobitmap { bitmap, nr_ports = 0x400 }
  mov dword ptr [op + 4], 0x400
  mov eax, 33
  mov ebx, 7
  mov ecx, offset op
  int 0x82
  mov [0x300000], eax
  mov ebp, 2
  out 0x80, al               # allowed
  out 0x81, al               # denied: #GP
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300000), 0u);
  EXPECT_EQ(g.word(0x300100), 1u);
}

TEST(PortIo, CliAndStiAreIgnoredWithIoplAndFaultWithout) {
  PvGuest g(kTraps + R"(
  mov ebp, 1
  cli                        # IOPL 0: #GP
  mov edx, 1
  call set_iopl
  cli                        # IOPL 1: skipped, nothing changes
  sti
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300100), 1u);
}

TEST(PortIo, RepInsStoresAllOnesAndRepOutsReadsItsSourceSteppingByDf) {
  PvGuest g(kTraps + R"(
  mov edx, 1
  call set_iopl
  mov dx, 0x60
  mov edi, 0x302000
  mov ecx, 3
  rep insw                   # three words of 0xffff at ES:EDI
  mov [0x300000], edi
  mov [0x300004], ecx
  std
  mov esi, 0x302008
  mov ecx, 2
  rep outsd                  # two dwords, going down
  cld
  mov [0x300008], esi
  xor ecx, ecx
  mov edi, 0x303000
  rep insb                   # a count of 0 does nothing
  mov [0x30000c], edi
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300100), 0u);
  EXPECT_EQ(g.word(0x302000), 0xFFFFFFFFu);
  EXPECT_EQ(g.word(0x302004), 0x0000FFFFu);
  EXPECT_EQ(g.word(0x300000), 0x302006u);
  EXPECT_EQ(g.word(0x300004), 0u);
  EXPECT_EQ(g.word(0x300008), 0x302000u);
  EXPECT_EQ(g.word(0x30000c), 0x303000u);
  EXPECT_EQ(g.word(0x303000), 0u);
}

TEST(PortIo, AStringInReachingAnUnmappedPageIsAPageFaultWithTheDoneIterationsKept) {
  PvGuest g(kTraps + R"(
  jmp start2
  .align 8
pf_trap:
  .byte 14, 0
  .word 0xe019
  .long pf_handler
  .long 0, 0
pf_handler:
  mov eax, [0x20008]         # vcpu_info.arch.cr2
  mov [0x300000], eax
  mov eax, [esp]
  mov [0x300004], eax        # error code
  mov [0x300008], edi
  mov [0x30000c], ecx
  jmp shutdown
start2:
  mov eax, 0
  mov ebx, offset pf_trap
  int 0x82
  mov edx, 1
  call set_iopl
  mov dx, 0x60
  mov edi, 0x3ffffc          # the last word of the mapped 4 MB, then the unmapped page
  mov ecx, 4
  rep insd
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300000), 0x400000u);
  EXPECT_EQ(g.word(0x300004), 2u);  // a write
  EXPECT_EQ(g.word(0x300008), 0x400000u);
  EXPECT_EQ(g.word(0x30000c), 3u);  // one iteration done
  EXPECT_EQ(g.word(0x3ffffc), 0xFFFFFFFFu);
  EXPECT_EQ(g.hv.stats().bounces[14], 1u);
}

TEST(PortIo, ALongRepStringInIsCompletedInPiecesByReenteringTheInstruction) {
  PvGuest g(kTraps + R"(
  mov edx, 1
  call set_iopl
  mov dx, 0x60
  mov edi, 0x200000
  mov ecx, 10000
  rep insb                   # 10000 bytes: three hypervisor entries of at most 4096
  mov [0x300000], edi
  mov [0x300004], ecx
  jmp shutdown
)");
  const u64 before = g.hv.stats().entries;
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300000), 0x200000u + 10000);
  EXPECT_EQ(g.word(0x300004), 0u);
  EXPECT_EQ(g.word(0x200000 + 9996), 0xFFFFFFFFu);
  EXPECT_EQ(g.word(0x200000 + 10000), 0u);
  // set_trap_table, set_iopl, three pieces of the REP INSB, the shutdown.
  EXPECT_EQ(g.hv.stats().entries - before, 6u);
}

TEST(HypervisorMsrs, WritingTheHypercallPageMsrFillsTheGuestsFrameWithHypercallStubs) {
  PvGuest g(kTraps + R"(
  mov ecx, 0x40000000
  rdmsr
  mov [0x300000], eax
  mov [0x300004], edx
  mov ecx, 0x40000000
  mov eax, 0x302000          # frame 0x302, page index 0
  xor edx, edx
  wrmsr
  mov ecx, 0x40000000
  mov eax, 0x303000          # a frame the domain does not own: nothing happens (Xen only logs it)
  wrmsr
  mov ecx, 0x10              # the time-stamp counter can be read
  rdmsr
  mov [0x300008], eax
  mov ebp, 2
  mov ecx, 0x1b              # an MSR the processor does not have: #GP
  rdmsr
  jmp shutdown
)");
  g.own_frames(0x302, 1);
  const u8 marker = 0x5a;
  g.m.ram().write_bytes(0x303000, &marker, 1);
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300000), 0u);
  EXPECT_EQ(g.word(0x300004), 0u);
  EXPECT_NE(g.word(0x300008), 0u);
  // Hypercall 17 (xen_version) at 17 * 32: mov $17, %eax; int $0x82; ret.
  u8 stub[8];
  g.m.ram().read_bytes(0x302000 + 17 * 32, stub, 8);
  EXPECT_EQ(std::vector<u8>(stub, stub + 8), (std::vector<u8>{0xB8, 17, 0, 0, 0, 0xCD, 0x82, 0xC3}));
  u8 other;
  g.m.ram().read_bytes(0x303000, &other, 1);
  EXPECT_EQ(other, marker);
  EXPECT_EQ(g.word(0x300100), 1u);  // only the RDMSR of MSR 0x1b faulted
}

// Xen 3.2's emulate_privileged_op for the guest kernel: CLTS clears its CR0.TS; WBINVD is ignored; MOV from
// CR0/2/3/4 shows CR0 (its TS the guest's), the virtual CR2, the base pointer's frame and CR4 without PGE
// and PSE; MOV to CR0 may change TS only; MOV to CR2 sets the virtual CR2; CR8 faults.
TEST(ControlRegisters, TheKernelsMovesToAndFromControlRegistersAreEmulatedAsXen32Does) {
  PvGuest g(kTraps + R"(
  mov ebp, 3
  mov eax, 5
  mov ebx, 1
  int 0x82                   # fpu_taskswitch(1): TS set
  mov eax, cr0
  mov [0x300000], eax
  clts
  mov eax, cr0
  mov [0x300004], eax
  wbinvd
  mov eax, 0x12345000
  mov cr2, eax
  mov ebx, cr2
  mov [0x300008], ebx
  mov ecx, cr3
  mov [0x30000c], ecx
  mov edx, cr4
  mov [0x300010], edx
  mov eax, cr0
  or eax, 8
  mov cr0, eax               # TS only: allowed
  mov esi, cr0
  mov [0x300014], esi
  and eax, 0x7fffffff
  mov cr0, eax               # clearing PG: refused, #GP
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300000) & 8, 8u);
  EXPECT_EQ(g.word(0x300004) & 8, 0u);
  EXPECT_EQ(g.word(0x300008), 0x12345000u);
  EXPECT_EQ(g.word(0x30000c), g.hv.domain().guest_table->value << 12);
  EXPECT_EQ(g.word(0x300010) & ((1u << 7) | (1u << 4)), 0u);
  EXPECT_EQ(g.word(0x300014) & 8, 8u);
  EXPECT_EQ(g.word(0x300100), 1u);  // only the MOV to CR0 that clears PG faulted
}

// The debug registers: reset values DR6 0xFFFF0FF0 and DR7 0x400, DR6's reserved bits forced, a DR0 in the
// hypervisor's range refused (#GP for MOV, -EPERM for set_debugreg), the hypercalls and MOV agreeing.
TEST(DebugRegisters, TheKernelsDebugRegistersFollowXen32sSetDebugreg) {
  PvGuest g(kTraps + R"(
  mov ebp, 3
  mov eax, dr6
  mov [0x300000], eax
  mov eax, dr7
  mov [0x300004], eax
  xor eax, eax
  mov dr6, eax
  mov ebx, dr6
  mov [0x300008], ebx
  mov eax, 0x1000
  mov dr0, eax
  mov eax, 0xfc000000
  mov dr0, eax               # inside the hypervisor: #GP
  mov eax, 9                 # get_debugreg(0)
  mov ebx, 0
  int 0x82
  mov [0x30000c], eax
  mov eax, 8                 # set_debugreg(1, 0xfffffff0): -EPERM
  mov ebx, 1
  mov ecx, 0xfffffff0
  int 0x82
  mov [0x300010], eax
  mov eax, 9                 # get_debugreg(8): -EINVAL
  mov ebx, 8
  int 0x82
  mov [0x300014], eax
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300000), 0xFFFF0FF0u);
  EXPECT_EQ(g.word(0x300004), 0x400u);
  EXPECT_EQ(g.word(0x300008), 0xFFFF0FF0u);
  EXPECT_EQ(g.word(0x30000c), 0x1000u);
  EXPECT_EQ(g.word(0x300010), u32(-1));   // -EPERM
  EXPECT_EQ(g.word(0x300014), u32(-22));  // -EINVAL
  EXPECT_EQ(g.word(0x300100), 1u);
}

TEST(DebugRegisters, ADr7ThatEnablesABreakpointStopsAsNotModelled) {
  PvGuest g(kTraps + R"(
  mov eax, 0x401
  mov dr7, eax
  jmp shutdown
)");
  EXPECT_EQ(g.run(), StopReason::NotModelled);
  EXPECT_NE(g.m.cpu().host_error().find("debug-register breakpoints"), std::string::npos);
}

}  // namespace
}  // namespace ring1::hv
