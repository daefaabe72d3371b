// grant_table_op's setup_table and query_size as Xen 3.2 answers them (xen/common/grant_table.c): the
// shared frames, their limits, and per-operation GNTST_* statuses with the hypercall returning 0.
#include <gtest/gtest.h>

#include "hypervisor/grant_table.h"
#include "hypervisor/pv_guest.h"
#include "hypervisor/xen_abi.h"
#include "hypervisor/xen_abi_grants.h"

namespace ring1::hv {
namespace {

using test::PvGuest;

// gnt CMD, COUNT, UOP, RESULT. The setup_table structure at 0x301000 (dom, nr_frames, status, frame_list
// -> 0x302000), query_size's at 0x303000 (dom, nr_frames, max_nr_frames, status).
const std::string kPrologue = R"(
  jmp start
reason: .long 0
.macro gnt cmd, count, uop, result
  mov eax, 20
  mov ebx, \cmd
  mov ecx, \uop
  mov edx, \count
  int 0x82
  mov [\result], eax
.endm
.macro setup dom, n
  mov word ptr [0x301000], \dom
  mov dword ptr [0x301004], \n
  mov word ptr [0x301008], 0x7777
  mov dword ptr [0x30100c], 0x302000
.endm
.macro query dom
  mov word ptr [0x303000], \dom
  mov dword ptr [0x30300c], 0x7777
.endm
shutdown:
  mov eax, 29
  mov ebx, 2
  mov ecx, offset reason
  int 0x82
start:
)";

u16 status_at(PvGuest& g, u32 addr) { return static_cast<u16>(g.word(addr)); }

TEST(GrantTable, ADomainStartsWithFourFramesOfAtMostThirtyTwo) {
  PvGuest g(kPrologue + R"(
  query 0x7ff0
  gnt 6, 1, 0x303000, 0x300000
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300000), 0u);
  EXPECT_EQ(status_at(g, 0x30300c), 0u);
  EXPECT_EQ(g.word(0x303004), kInitialGrantFrames);
  EXPECT_EQ(g.word(0x303008), kMaxGrantFrames);
}

TEST(GrantTable, SetupTableListsTheDomainsOwnZeroedFramesOutsideItsPseudoPhysicalMemory) {
  PvGuest g(kPrologue + R"(
  setup 0x7ff0, 2
  gnt 2, 1, 0x301000, 0x300000
  jmp shutdown
)");
  g.own_frames(0, 0x400);  // the identity-mapped 4 MB are the domain's; grant frames come from elsewhere
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300000), 0u);
  EXPECT_EQ(status_at(g, 0x301008), 0u);
  const u32 f0 = g.word(0x302000), f1 = g.word(0x302004);
  ASSERT_EQ(g.hv.domain().grant_frames.size(), kInitialGrantFrames);
  EXPECT_EQ(f0, g.hv.domain().grant_frames[0].value);
  EXPECT_EQ(f1, g.hv.domain().grant_frames[1].value);
  EXPECT_EQ(g.word(0x302008), 0u);  // only nr_frames entries are written
  for (u32 f : {f0, f1}) {
    EXPECT_GE(f, 0x400u);
    EXPECT_EQ(g.hv.frames().info(Mfn{f}).owner, g.hv.domain().id);
    EXPECT_TRUE(g.hv.frames().info(Mfn{f}).allocated);
    EXPECT_EQ(g.hv.m2p().get(Mfn{f}).value, MachToPhys::kInvalidEntry);
    EXPECT_EQ(g.word(f * kPageSize), 0u);
  }
}

TEST(GrantTable, SetupTableGrowsTheTableUpToThirtyTwoFramesAndNoFurther) {
  PvGuest g(kPrologue + R"(
  setup 0x7ff0, 32
  gnt 2, 1, 0x301000, 0x300000
  mov eax, [0x301008]
  mov [0x300004], eax
  setup 0x7ff0, 33
  gnt 2, 1, 0x301000, 0x300008
  mov eax, [0x301008]
  mov [0x30000c], eax
  query 0x7ff0
  gnt 6, 1, 0x303000, 0x300010
  jmp shutdown
)");
  g.own_frames(0, 0x400);
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300000), 0u);
  EXPECT_EQ(u16(g.word(0x300004)), 0u);
  EXPECT_EQ(g.word(0x300008), 0u);  // the hypercall succeeds; the operation reports the error
  EXPECT_EQ(i16(g.word(0x30000c)), xen::kGntstGeneralError);
  EXPECT_EQ(g.word(0x303004), 32u);
}

TEST(GrantTable, CountsOtherThanOneAndOtherDomainsAreRefusedAsXen32RefusesThem) {
  PvGuest g(kPrologue + R"(
  setup 0x7ff0, 1
  gnt 2, 2, 0x301000, 0x300000     # count 2
  gnt 2, 513, 0x301000, 0x300004   # more than 512: refused before anything else
  setup 1, 1                       # its own id instead of DOMID_SELF: an unprivileged domain may not
  gnt 2, 1, 0x301000, 0x300008
  mov eax, [0x301008]
  mov [0x30000c], eax
  gnt 2, 1, 0xfc000000, 0x300010   # the structure in the hypervisor's range
  gnt 8, 1, 0x301000, 0x300014     # set_version: Xen 3.2 has none
  gnt 4, 1, 0x301000, 0x300018     # transfer (page flipping): not implemented
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(i32(g.word(0x300000)), -xen::err::kEINVAL);
  EXPECT_EQ(i32(g.word(0x300004)), -xen::err::kEINVAL);
  EXPECT_EQ(g.word(0x300008), 0u);
  EXPECT_EQ(i16(g.word(0x30000c)), xen::kGntstPermissionDenied);
  EXPECT_EQ(i32(g.word(0x300010)), -xen::err::kEFAULT);
  EXPECT_EQ(i32(g.word(0x300014)), -xen::err::kENOSYS);
  EXPECT_EQ(i32(g.word(0x300018)), -xen::err::kENOSYS);
}

// GNTTABOP_copy through the hypercall: 64 bytes of the guest's frame 0x305 into the frame it granted (to
// itself) as reference 0, each operation's status written back, and the bytes charged as string iterations.
std::string copy_guest(u32 len) {
  return kPrologue + R"(
  mov dword ptr [0x301000], 0x305      # source: gmfn 0x305, DOMID_SELF, offset 16
  mov word ptr [0x301004], 0x7ff0
  mov word ptr [0x301006], 16
  mov dword ptr [0x301008], 0          # dest: grant reference 0 of domain 1, offset 32
  mov word ptr [0x30100c], 1
  mov word ptr [0x30100e], 32
  mov word ptr [0x301010], )" + std::to_string(len) + R"(
  mov word ptr [0x301012], 2           # GNTCOPY_dest_gref
  mov word ptr [0x301014], 0x7777
  gnt 5, 1, 0x301000, 0x300000
  jmp shutdown
)";
}

struct CopyRun {
  u32 rc, status;
  Cycles cycles;
  std::string copied;
};
CopyRun run_copy(u32 len) {
  PvGuest g(copy_guest(len));
  g.own_frames(0, 0x400);
  EXPECT_TRUE(grow_grant_table(g.hv, 1));
  const Mfn dest{0x306};
  const xen::GrantEntryV1 e{xen::gtf::kPermitAccess, 1, dest.value};
  g.m.ram().write_bytes(machine_addr(g.hv.domain().grant_frames[0]).value, &e, sizeof e);
  const std::string text(64, 'g');
  g.m.ram().write_bytes(0x305000 + 16, text.data(), 64);
  EXPECT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  return {g.word(0x300000), u16(g.word(0x301014)), g.m.cpu().cycles, g.text(0x306000 + 32, 64)};
}

TEST(GrantTable, CopyMovesBytesIntoAGrantAndChargesFourBytesPerStringIteration) {
  const CopyRun full = run_copy(64), empty = run_copy(0);
  EXPECT_EQ(full.rc, 0u);
  EXPECT_EQ(full.status, u32(xen::kGntstOkay));
  EXPECT_EQ(full.copied, std::string(64, 'g'));
  EXPECT_EQ(empty.copied, "");
  const CostProfile& p = CostProfile::pentium3();
  EXPECT_EQ(full.cycles - empty.cycles, Cycles(16 * p.cost(CostClass::StringIter)));
  EXPECT_EQ(p.events.hv_grant, 100);
}

}  // namespace
}  // namespace ring1::hv
