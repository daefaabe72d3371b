// The stub's packet logic against a real machine (no socket): registers, memory through the page tables,
// breakpoints, watchpoints, the target description, monitor commands, and error replies for bad input.
#include "debugger/gdb_stub.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "debugger/rsp_packet.h"
#include "debugger/target_description.h"
#include "machine/machine.h"
#include "support/test_engine.h"

namespace ring1 {
namespace {

struct StubTest : ::testing::Test {
  Machine m{[] {
    MachineConfig c;
    c.memory_bytes = 4u << 20;
    return ring1::test::with_test_engine(c);
  }()};
  GdbStub stub{m};

  std::string ask(std::string_view packet) {
    auto r = stub.handle(packet);
    EXPECT_EQ(r.packets.size(), 1u) << packet;
    return r.packets.empty() ? "" : r.packets.back();
  }
  // Identity-maps the first 4 MiB except page 0x200000, with paging on.
  void page() {
    constexpr u32 pd = 0x10000, pt = 0x11000;
    for (u32 i = 0; i < 1024; ++i) {
      u32 pte = i == 0x200 ? 0 : (i << 12) | 3;
      m.ram().write_bytes(pt + 4 * i, &pte, 4);
    }
    u32 pde = pt | 3;
    m.ram().write_bytes(pd, &pde, 4);
    m.cpu().set_cr3(pd);
    m.cpu().set_cr0(m.cpu().cr0 | 0x80000000u);
  }
};

TEST_F(StubTest, QSupportedOffersPacketSizeAndTheTargetDescription) {
  const std::string r = ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
  EXPECT_NE(r.find("PacketSize=4000"), std::string::npos);
  EXPECT_NE(r.find("qXfer:features:read+"), std::string::npos);
  EXPECT_NE(r.find("QStartNoAckMode+"), std::string::npos);
}

// Real and V86 mode run 16-bit code: the description names i8086 there, so gdb disassembles it as such.
TEST_F(StubTest, TheTargetDescriptionsArchitectureFollowsTheCpuMode) {
  Cpu& c = m.cpu();
  c.cr0 &= ~1u;
  EXPECT_NE(target_xml("target.xml", c)->find("<architecture>i8086</architecture>"), std::string::npos);
  c.cr0 |= 1u;
  EXPECT_NE(target_xml("target.xml", c)->find("<architecture>i386</architecture>"), std::string::npos);
  c.eflags |= eflags::VM;
  EXPECT_EQ(target_architecture(c), "i8086");
  c.eflags &= ~eflags::VM;
}

TEST_F(StubTest, TargetDescriptionIsServedInChunks) {
  const std::string whole = *target_xml("target.xml", m.cpu());
  std::string got;
  for (u64 off = 0;;) {
    const std::string r = ask(fmt::format("qXfer:features:read:target.xml:{:x},20", off));
    ASSERT_FALSE(r.empty());
    got += r.substr(1);
    off += r.size() - 1;
    if (r[0] == 'l') break;
    ASSERT_EQ(r[0], 'm');
  }
  EXPECT_EQ(got, whole);
  EXPECT_NE(ask("qXfer:features:read:ring1-system.xml:0,1000").find("name=\"cpl\""), std::string::npos);
  EXPECT_EQ(ask("qXfer:features:read:nonexistent.xml:0,100"), "E00");
  EXPECT_EQ(ask("qXfer:features:read:target.xml:zz"), "E01");
}

TEST_F(StubTest, GReturnsEveryRegisterWithX87Unavailable) {
  m.cpu().gpr[EAX] = 0x11223344;
  m.cpu().eip = 0x100000;
  const std::string g = ask("g");
  size_t bytes = 0;
  for (const RegisterInfo& r : target_registers()) bytes += r.bytes;
  ASSERT_EQ(g.size(), bytes * 2);
  EXPECT_EQ(g.substr(0, 8), "44332211");
  EXPECT_EQ(g.substr(64, 8), "00001000");  // eip, register 8
  EXPECT_EQ(g.substr(16 * 8, 20), std::string(20, 'x'));  // st0
}

TEST_F(StubTest, PReadsSystemRegistersByNumber) {
  m.cpu().cr2 = 0xdeadb000;
  m.cpu().cpl = 3;
  EXPECT_EQ(ask("p21"), "00b0adde");  // cr2 = 33
  EXPECT_EQ(ask("p2a"), "03000000");  // cpl = 42
  EXPECT_EQ(ask("p2b"), "E45");       // past the last register
  EXPECT_EQ(ask("pzz"), "E01");
}

TEST_F(StubTest, PWritesGeneralRegistersButRefusesSelectorsAndCpl) {
  EXPECT_EQ(ask("P0=efbeadde"), "OK");
  EXPECT_EQ(m.cpu().gpr[EAX], 0xdeadbeefu);
  EXPECT_EQ(ask("P8=00101000"), "OK");
  EXPECT_EQ(m.cpu().eip, 0x101000u);
  EXPECT_EQ(ask("Pa=1b000000"), "E45");  // cs: needs a descriptor load
  EXPECT_EQ(ask("P2a=00000000"), "OK");  // cpl unchanged: accepted
  EXPECT_EQ(ask("P2a=03000000"), "E45");
  EXPECT_EQ(ask("P0=1234"), "E45");      // wrong size
  EXPECT_EQ(ask("P0"), "E01");
}

TEST_F(StubTest, GWritesBackWhatgReturned) {
  m.cpu().gpr[EBX] = 7;
  std::string g = ask("g");
  g.replace(0, 8, "78563412");  // eax
  EXPECT_EQ(ask("G" + g), "OK");
  EXPECT_EQ(m.cpu().gpr[EAX], 0x12345678u);
  EXPECT_EQ(m.cpu().gpr[EBX], 7u);
  EXPECT_EQ(ask("G" + g.substr(2)), "E01");  // short
}

TEST_F(StubTest, MemoryGoesThroughThePageTablesWithoutSideEffects) {
  page();
  const u64 lookups = m.mmu().stats().dtlb.lookups, walks = m.mmu().stats().walks;
  const u32 live = m.mmu().live_entries();
  EXPECT_EQ(ask("M1000,4:01020304"), "OK");
  EXPECT_EQ(ask("m1000,4"), "01020304");
  EXPECT_EQ(ask("m200000,4"), "E0e");     // not present
  EXPECT_EQ(ask("m1fffff,4"), "00");      // readable up to the unmapped page
  EXPECT_EQ(ask("M200000,1:00"), "E0e");
  EXPECT_EQ(ask("m500000,4"), "E0e");     // beyond the page tables' 4 MiB
  EXPECT_EQ(m.mmu().stats().dtlb.lookups, lookups);
  EXPECT_EQ(m.mmu().stats().walks, walks);
  EXPECT_EQ(m.mmu().live_entries(), live);
  // The accessed bit of the PTE was not set by the debugger's walk.
  u32 pte;
  m.ram().read_bytes(0x11000 + 4, &pte, 4);
  EXPECT_EQ(pte & 0x20, 0u);
}

TEST_F(StubTest, MonitorPhysSwitchesToPhysicalAddresses) {
  page();
  m.ram().write_bytes(0x200000, "\x5a", 1);
  EXPECT_EQ(ask("m200000,1"), "E0e");
  auto r = stub.handle("qRcmd," + to_hex("phys on"));
  EXPECT_EQ(r.packets.back(), "OK");
  EXPECT_EQ(ask("m200000,1"), "5a");
  EXPECT_EQ(ask("m400000,1"), "E0e");  // beyond RAM
}

TEST_F(StubTest, BinaryWriteUnescapesAndZeroLengthProbeSucceeds) {
  EXPECT_EQ(ask("X1000,0:"), "OK");
  EXPECT_EQ(ask(std::string("X1000,2:#}", 10)), "OK");
  EXPECT_EQ(ask("m1000,2"), "237d");
  EXPECT_EQ(ask("X1000,3:ab"), "E01");  // length mismatch
}

TEST_F(StubTest, MalformedPacketsGetErrorsAndUnknownOnesTheEmptyReply) {
  for (std::string_view bad : {"m", "m1000", "mzz,4", "M1000,2:0", "M1000,2:zzzz", "Z0", "Z0,zz,1", "c1g",
                               "C", "Czz", "vCont;t", "vCont;", "qRcmd,z"})
    EXPECT_EQ(ask(bad)[0], 'E') << bad;
  for (std::string_view unknown : {"vMustReplyEmpty", "qTStatus", "Z9,1000,1", "!", "bc", "vCont"})
    EXPECT_EQ(ask(unknown), "") << unknown;
}

TEST_F(StubTest, BreakpointsOfBothKindsGoToTheRunLoopSetAndNeverIntoMemory) {
  m.ram().write_bytes(0x1000, "\x90", 1);
  EXPECT_EQ(ask("Z0,1000,1"), "OK");
  EXPECT_EQ(ask("Z1,1000,1"), "OK");
  EXPECT_EQ(ask("Z1,2000,1"), "OK");
  EXPECT_TRUE(stub.breakpoints().contains(0x1000));
  EXPECT_EQ(ask("m1000,1"), "90");  // no INT3 planted
  EXPECT_EQ(ask("z0,1000,1"), "OK");
  EXPECT_TRUE(stub.breakpoints().contains(0x1000));  // the hardware one is still there
  EXPECT_EQ(ask("z1,1000,1"), "OK");
  EXPECT_FALSE(stub.breakpoints().contains(0x1000));
  EXPECT_TRUE(stub.breakpoints().contains(0x2000));
}

TEST_F(StubTest, AWriteWatchpointStopsOnAWriteOnly) {
  EXPECT_EQ(ask("Z2,5000,4"), "OK");
  EXPECT_FALSE(stub.on_data_access(0x5000, 4, false));
  EXPECT_FALSE(stub.on_data_access(0x5004, 4, true));
  EXPECT_TRUE(stub.on_data_access(0x5002, 4, true));
  GdbStub::StopKind k;
  ASSERT_TRUE(stub.pending_stop(k));
  EXPECT_EQ(k, GdbStub::StopKind::Watch);
  EXPECT_EQ(stub.stopped(k).back(), "T05watch:5000;thread:1;");
  EXPECT_EQ(ask("Z4,6000,0"), "E01");  // zero length
}

TEST_F(StubTest, ResumePacketsAndVContChooseContinueOrStep) {
  EXPECT_EQ(ask("vCont?"), "vCont;c;C;s;S");
  EXPECT_EQ(stub.handle("vCont;s:1;c").action, GdbStub::Action::Step);
  EXPECT_EQ(stub.handle("vCont;c").action, GdbStub::Action::Continue);
  EXPECT_EQ(stub.handle("vCont;C05").action, GdbStub::Action::Continue);
  EXPECT_EQ(stub.handle("s").action, GdbStub::Action::Step);
  EXPECT_EQ(stub.handle("c100000").action, GdbStub::Action::Continue);
  EXPECT_EQ(m.cpu().eip, 0x100000u);
  EXPECT_EQ(stub.handle("k").action, GdbStub::Action::Kill);
  auto d = stub.handle("D");
  EXPECT_EQ(d.action, GdbStub::Action::Detach);
  EXPECT_EQ(d.packets.back(), "OK");
}

TEST_F(StubTest, MonitorCommandsAnswerOnTheConsoleAndRejectUnknownOnes) {
  auto r = stub.handle("qRcmd," + to_hex("ring-break on"));
  ASSERT_EQ(r.packets.size(), 2u);
  EXPECT_EQ(*from_hex(r.packets[0].substr(1)), "ring-break on\n");
  EXPECT_TRUE(stub.ring_break());
  r = stub.handle("qRcmd," + to_hex("frobnicate"));
  EXPECT_NE(from_hex(r.packets[0].substr(1))->find("unknown monitor command"), std::string::npos);
  EXPECT_EQ(r.packets.back(), "E01");
  r = stub.handle("qRcmd," + to_hex("walk 12345"));
  EXPECT_NE(from_hex(r.packets[0].substr(1))->find("paging is off"), std::string::npos);
}

// Signal 7 (SIGEMT, "Emulation trap"), not SIGTRAP: gdb shows it as a stop of its own, not as a step's end;
// `?` repeats it until the guest resumes.
TEST_F(StubTest, ARingBreakStopNamesItsCauseAndIsSignal7) {
  stub.handle("qRcmd," + to_hex("ring-break on"));
  RingTransition t{100, TransitionCause::SoftwareInterrupt, 0x80, 3, 0, 0x1b, 0x08, 0x401000, 0x100100};
  EXPECT_TRUE(stub.on_ring_transition(t));
  GdbStub::StopKind k;
  ASSERT_TRUE(stub.pending_stop(k));
  auto p = stub.stopped(k);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(*from_hex(p[0].substr(1)), "ring-break: ring 3 -> ring 0 by int 0x80 at 001b:00401000 -> 0008:00100100\n");
  EXPECT_EQ(p[1].substr(0, 3), "T07");
  EXPECT_EQ(ask("?"), "T07thread:1;");
}

TEST_F(StubTest, ForgettingTheClientClearsEverythingItSet) {
  ask("Z0,1000,1");
  ask("Z2,5000,4");
  stub.handle("qRcmd," + to_hex("ring-break on"));
  stub.forget_client();
  EXPECT_TRUE(stub.breakpoints().empty());
  EXPECT_FALSE(stub.ring_break());
  EXPECT_FALSE(stub.on_data_access(0x5000, 4, true));
}

}  // namespace
}  // namespace ring1

namespace ring1 {
namespace {

// Bad input never crashes the stub: deterministic random packets built from the protocol's own
// characters, each answered by some reply (or an action) without throwing.
TEST_F(StubTest, RandomPacketsNeverCrashTheStub) {
  constexpr std::string_view alphabet = "0123456789abcdefxX,:;=?$#}*mMgGpPzZcCsSvCont;qRcmdDkHTxfer:features:read";
  u32 seed = 12345;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  for (int n = 0; n < 20000; ++n) {
    std::string p;
    const u32 len = rnd() % 24;
    for (u32 k = 0; k < len; ++k) p += alphabet[rnd() % alphabet.size()];
    EXPECT_NO_THROW(stub.handle(p)) << p;
  }
}

}  // namespace
}  // namespace ring1
