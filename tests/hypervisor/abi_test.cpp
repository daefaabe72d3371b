// The ABI header agrees with Xen's own: every structure layout field by field against Debian's
// <xen/foreign/x86_32.h> (the x86_32 layouts as Xen's tools see them from any host), and every number
// against <xen/xen.h> and <xen/errno.h>. The guest side (the same numbers and the structures the foreign
// header lacks, as `gcc -m32` lays them out) is checked by the build: see tests/hypervisor/CMakeLists.txt.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

// The current interface, as a modern guest is built (older versions rename sched_op and friends to *_compat).
#define __XEN_INTERFACE_VERSION__ 0x00040700
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <xen/foreign/x86_32.h>

#include "hypervisor/xen_abi.h"

namespace ring1::xen {
namespace {

#define SAME_FIELD(ours, theirs, field) \
  static_assert(offsetof(ours, field) == offsetof(theirs, field), #ours "." #field " offset differs from Xen's"); \
  static_assert(sizeof(ours::field) == sizeof(theirs::field), #ours "." #field " size differs from Xen's")

// start_info
static_assert(sizeof(StartInfo) == sizeof(start_info_x86_32));
SAME_FIELD(StartInfo, start_info_x86_32, magic);
SAME_FIELD(StartInfo, start_info_x86_32, nr_pages);
SAME_FIELD(StartInfo, start_info_x86_32, shared_info);
SAME_FIELD(StartInfo, start_info_x86_32, flags);
SAME_FIELD(StartInfo, start_info_x86_32, store_mfn);
SAME_FIELD(StartInfo, start_info_x86_32, store_evtchn);
SAME_FIELD(StartInfo, start_info_x86_32, console);
SAME_FIELD(StartInfo, start_info_x86_32, console.domU.mfn);
SAME_FIELD(StartInfo, start_info_x86_32, console.domU.evtchn);
SAME_FIELD(StartInfo, start_info_x86_32, console.dom0.info_off);
SAME_FIELD(StartInfo, start_info_x86_32, console.dom0.info_size);
SAME_FIELD(StartInfo, start_info_x86_32, pt_base);
SAME_FIELD(StartInfo, start_info_x86_32, nr_pt_frames);
SAME_FIELD(StartInfo, start_info_x86_32, mfn_list);
SAME_FIELD(StartInfo, start_info_x86_32, mod_start);
SAME_FIELD(StartInfo, start_info_x86_32, mod_len);
SAME_FIELD(StartInfo, start_info_x86_32, cmd_line);
SAME_FIELD(StartInfo, start_info_x86_32, first_p2m_pfn);
SAME_FIELD(StartInfo, start_info_x86_32, nr_p2m_frames);

// arch_vcpu_info, vcpu_time_info, vcpu_info
static_assert(sizeof(ArchVcpuInfo) == sizeof(arch_vcpu_info_x86_32));
SAME_FIELD(ArchVcpuInfo, arch_vcpu_info_x86_32, cr2);
SAME_FIELD(ArchVcpuInfo, arch_vcpu_info_x86_32, pad);
static_assert(sizeof(VcpuTimeInfo) == sizeof(vcpu_time_info_x86_32));
SAME_FIELD(VcpuTimeInfo, vcpu_time_info_x86_32, version);
SAME_FIELD(VcpuTimeInfo, vcpu_time_info_x86_32, pad0);
SAME_FIELD(VcpuTimeInfo, vcpu_time_info_x86_32, tsc_timestamp);
SAME_FIELD(VcpuTimeInfo, vcpu_time_info_x86_32, system_time);
SAME_FIELD(VcpuTimeInfo, vcpu_time_info_x86_32, tsc_to_system_mul);
SAME_FIELD(VcpuTimeInfo, vcpu_time_info_x86_32, tsc_shift);
SAME_FIELD(VcpuTimeInfo, vcpu_time_info_x86_32, flags);  // interface versions after 0x040600
SAME_FIELD(VcpuTimeInfo, vcpu_time_info_x86_32, pad1);
static_assert(sizeof(VcpuInfo) == sizeof(vcpu_info_x86_32));
SAME_FIELD(VcpuInfo, vcpu_info_x86_32, evtchn_upcall_pending);
SAME_FIELD(VcpuInfo, vcpu_info_x86_32, evtchn_upcall_mask);  // <xen/xen.h> came first: XEN_HAVE_PV_UPCALL_MASK
SAME_FIELD(VcpuInfo, vcpu_info_x86_32, evtchn_pending_sel);
SAME_FIELD(VcpuInfo, vcpu_info_x86_32, arch);
SAME_FIELD(VcpuInfo, vcpu_info_x86_32, time);

// arch_shared_info, shared_info
static_assert(sizeof(ArchSharedInfo) == sizeof(arch_shared_info_x86_32));
SAME_FIELD(ArchSharedInfo, arch_shared_info_x86_32, max_pfn);
SAME_FIELD(ArchSharedInfo, arch_shared_info_x86_32, pfn_to_mfn_frame_list_list);
SAME_FIELD(ArchSharedInfo, arch_shared_info_x86_32, nmi_reason);
SAME_FIELD(ArchSharedInfo, arch_shared_info_x86_32, p2m_cr3);
SAME_FIELD(ArchSharedInfo, arch_shared_info_x86_32, p2m_vaddr);
SAME_FIELD(ArchSharedInfo, arch_shared_info_x86_32, p2m_generation);
SAME_FIELD(ArchSharedInfo, arch_shared_info_x86_32, wc_sec_hi);
static_assert(sizeof(SharedInfo) == sizeof(shared_info_x86_32));
SAME_FIELD(SharedInfo, shared_info_x86_32, vcpu_info);
SAME_FIELD(SharedInfo, shared_info_x86_32, evtchn_pending);
SAME_FIELD(SharedInfo, shared_info_x86_32, evtchn_mask);
SAME_FIELD(SharedInfo, shared_info_x86_32, wc_version);
SAME_FIELD(SharedInfo, shared_info_x86_32, wc_sec);
SAME_FIELD(SharedInfo, shared_info_x86_32, wc_nsec);
SAME_FIELD(SharedInfo, shared_info_x86_32, arch);

// trap_info
static_assert(sizeof(TrapInfo) == sizeof(trap_info_x86_32));
SAME_FIELD(TrapInfo, trap_info_x86_32, vector);
SAME_FIELD(TrapInfo, trap_info_x86_32, flags);
SAME_FIELD(TrapInfo, trap_info_x86_32, cs);
SAME_FIELD(TrapInfo, trap_info_x86_32, address);

// mmu_update is the same on every architecture, so the host's own <xen/xen.h> layout is the guest's too.
static_assert(sizeof(MmuUpdate) == sizeof(mmu_update_t));
SAME_FIELD(MmuUpdate, mmu_update_t, ptr);
SAME_FIELD(MmuUpdate, mmu_update_t, val);

#undef SAME_FIELD

TEST(XenAbi, SelectorsAndLimitsMatchTheForeignHeader) {
  EXPECT_EQ(kFlatRing1Cs, FLAT_RING1_CS_X86_32);
  EXPECT_EQ(kFlatRing1Ds, FLAT_RING1_DS_X86_32);
  EXPECT_EQ(kFlatRing1Ss, FLAT_RING1_SS_X86_32);
  EXPECT_EQ(kLegacyMaxVcpus, XEN_LEGACY_MAX_VCPUS_X86_32);
  EXPECT_EQ(kMaxGuestCmdline, MAX_GUEST_CMDLINE_X86_32);
  for (u32 pfn : {0u, 1u, 0x12345u, 0xFFFFFu, 0x1234567u})
    EXPECT_EQ(pfn_to_cr3(pfn), xen_pfn_to_cr3_x86_32(pfn)) << pfn;
  for (u32 cr3 : {0u, 0x1000u, 0x12345000u, 0xFFFFF123u})
    EXPECT_EQ(cr3_to_pfn(cr3), xen_cr3_to_pfn_x86_32(cr3)) << cr3;
}

// The *_NONPAE macros live in arch-x86/xen-x86_32.h, which only a 32-bit compile sees: the guest-side check
// compares them with ours. Here: the hole is the paper's top 64 MB, the M2P its first 4 MB.
TEST(XenAbi, HypervisorHoleIsTheTop64MB) {
  EXPECT_EQ(0x100000000ull - kHypervisorVirtStart, 64ull << 20);
  EXPECT_EQ(kMachToPhysVirtStart, kHypervisorVirtStart);
  EXPECT_EQ(kMachToPhysVirtEnd - kMachToPhysVirtStart, 4u << 20);
}

// Every row of the one hypercall table: its constant and its number are Xen's __HYPERVISOR_<name>.
TEST(XenAbi, HypercallNumbersMatchXenH) {
#define HYPERCALL(k, nr, name, ...)           \
  EXPECT_EQ(hypercall::k, __HYPERVISOR_##name); \
  EXPECT_EQ(u32{nr}, __HYPERVISOR_##name);
#define NOT_MODELLED HYPERCALL
#include "hypervisor/hypercalls/hypercalls.def"
#undef HYPERCALL
#undef NOT_MODELLED
}

TEST(XenAbi, MmuCommandsAndFlagsMatchXenH) {
  EXPECT_EQ(kMmuNormalPtUpdate, MMU_NORMAL_PT_UPDATE);
  EXPECT_EQ(kMmuMachphysUpdate, MMU_MACHPHYS_UPDATE);
  EXPECT_EQ(kMmuPtUpdatePreserveAd, MMU_PT_UPDATE_PRESERVE_AD);
  EXPECT_EQ(kMmuPtUpdateNoTranslate, MMU_PT_UPDATE_NO_TRANSLATE);
  EXPECT_EQ(mmuext::kPinL1Table, MMUEXT_PIN_L1_TABLE);
  EXPECT_EQ(mmuext::kPinL2Table, MMUEXT_PIN_L2_TABLE);
  EXPECT_EQ(mmuext::kPinL3Table, MMUEXT_PIN_L3_TABLE);
  EXPECT_EQ(mmuext::kPinL4Table, MMUEXT_PIN_L4_TABLE);
  EXPECT_EQ(mmuext::kUnpinTable, MMUEXT_UNPIN_TABLE);
  EXPECT_EQ(mmuext::kNewBaseptr, MMUEXT_NEW_BASEPTR);
  EXPECT_EQ(mmuext::kTlbFlushLocal, MMUEXT_TLB_FLUSH_LOCAL);
  EXPECT_EQ(mmuext::kInvlpgLocal, MMUEXT_INVLPG_LOCAL);
  EXPECT_EQ(mmuext::kTlbFlushMulti, MMUEXT_TLB_FLUSH_MULTI);
  EXPECT_EQ(mmuext::kInvlpgMulti, MMUEXT_INVLPG_MULTI);
  EXPECT_EQ(mmuext::kTlbFlushAll, MMUEXT_TLB_FLUSH_ALL);
  EXPECT_EQ(mmuext::kInvlpgAll, MMUEXT_INVLPG_ALL);
  EXPECT_EQ(mmuext::kFlushCache, MMUEXT_FLUSH_CACHE);
  EXPECT_EQ(mmuext::kSetLdt, MMUEXT_SET_LDT);
  EXPECT_EQ(mmuext::kNewUserBaseptr, MMUEXT_NEW_USER_BASEPTR);
  EXPECT_EQ(mmuext::kClearPage, MMUEXT_CLEAR_PAGE);
  EXPECT_EQ(mmuext::kCopyPage, MMUEXT_COPY_PAGE);
  EXPECT_EQ(mmuext::kFlushCacheGlobal, MMUEXT_FLUSH_CACHE_GLOBAL);
  EXPECT_EQ(mmuext::kMarkSuper, MMUEXT_MARK_SUPER);
  EXPECT_EQ(mmuext::kUnmarkSuper, MMUEXT_UNMARK_SUPER);
  EXPECT_EQ(kUvmfNone, UVMF_NONE);
  EXPECT_EQ(kUvmfTlbFlush, UVMF_TLB_FLUSH);
  EXPECT_EQ(kUvmfInvlpg, UVMF_INVLPG);
  EXPECT_EQ(kUvmfFlushTypeMask, UVMF_FLUSHTYPE_MASK);
  EXPECT_EQ(kUvmfMulti, UVMF_MULTI);
  EXPECT_EQ(kUvmfLocal, UVMF_LOCAL);
  EXPECT_EQ(kUvmfAll, UVMF_ALL);
  EXPECT_EQ(kSifPrivileged, SIF_PRIVILEGED);
  EXPECT_EQ(kSifInitdomain, SIF_INITDOMAIN);
  EXPECT_EQ(kSifMultibootMod, SIF_MULTIBOOT_MOD);
  EXPECT_EQ(kSifModStartPfn, SIF_MOD_START_PFN);
}

TEST(XenAbi, ConsoleSchedulerVersionAndAssistNumbersMatchXen) {
  EXPECT_EQ(kConsoleIoWrite, CONSOLEIO_write);
  EXPECT_EQ(kConsoleIoRead, CONSOLEIO_read);
  EXPECT_EQ(kSchedopYield, SCHEDOP_yield);
  EXPECT_EQ(kSchedopBlock, SCHEDOP_block);
  EXPECT_EQ(kSchedopShutdown, SCHEDOP_shutdown);
  EXPECT_EQ(kShutdownPoweroff, SHUTDOWN_poweroff);
  EXPECT_EQ(kShutdownReboot, SHUTDOWN_reboot);
  EXPECT_EQ(kShutdownSuspend, SHUTDOWN_suspend);
  EXPECT_EQ(kShutdownCrash, SHUTDOWN_crash);
  EXPECT_EQ(kShutdownWatchdog, SHUTDOWN_watchdog);
  EXPECT_EQ(kXenverVersion, XENVER_version);
  EXPECT_EQ(kXenverExtraversion, XENVER_extraversion);
  EXPECT_EQ(kXenverCapabilities, XENVER_capabilities);
  EXPECT_EQ(kXenverPlatformParameters, XENVER_platform_parameters);
  EXPECT_EQ(kXenverGetFeatures, XENVER_get_features);
  EXPECT_EQ(kXenverPagesize, XENVER_pagesize);
  EXPECT_EQ(kExtraversionLen, sizeof(xen_extraversion_t));
  EXPECT_EQ(kCapabilitiesLen, sizeof(xen_capabilities_info_t));
  EXPECT_EQ(kVmasstCmdEnable, VMASST_CMD_enable);
  EXPECT_EQ(kVmasstCmdDisable, VMASST_CMD_disable);
  EXPECT_EQ(kVmasstTypePaeExtendedCr3, VMASST_TYPE_pae_extended_cr3);
}

TEST(XenAbi, DomainIdsAndErrnosMatchXen) {
  EXPECT_EQ(kDomidFirstReserved, DOMID_FIRST_RESERVED);
  EXPECT_EQ(kDomidSelf, DOMID_SELF);
  EXPECT_EQ(kDomidIo, DOMID_IO);
  EXPECT_EQ(kDomidXen, DOMID_XEN);
  EXPECT_EQ(kDomidCow, DOMID_COW);
  EXPECT_EQ(kDomidInvalid, DOMID_INVALID);
  EXPECT_EQ(kDomidIdle, DOMID_IDLE);
  EXPECT_EQ(err::kEPERM, XEN_EPERM);
  EXPECT_EQ(err::kENOENT, XEN_ENOENT);
  EXPECT_EQ(err::kESRCH, XEN_ESRCH);
  EXPECT_EQ(err::kEAGAIN, XEN_EAGAIN);
  EXPECT_EQ(err::kENOMEM, XEN_ENOMEM);
  EXPECT_EQ(err::kEACCES, XEN_EACCES);
  EXPECT_EQ(err::kEFAULT, XEN_EFAULT);
  EXPECT_EQ(err::kEBUSY, XEN_EBUSY);
  EXPECT_EQ(err::kEEXIST, XEN_EEXIST);
  EXPECT_EQ(err::kEINVAL, XEN_EINVAL);
  EXPECT_EQ(err::kERANGE, XEN_ERANGE);
  EXPECT_EQ(err::kENOSYS, XEN_ENOSYS);
  EXPECT_EQ(err::kEOPNOTSUPP, XEN_EOPNOTSUPP);
}

}  // namespace
}  // namespace ring1::xen
