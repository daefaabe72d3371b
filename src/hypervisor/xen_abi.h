// The guest-facing Xen x86_32 paravirtual ABI, for host C++: hypercall numbers, the structures a guest hands
// the hypervisor (start_info, shared_info, vcpu_info, mmu_update, mmuext_op, multicall_entry, trap_info), the
// command and flag constants, Xen's error numbers and the flat selectors. Every value and every layout here
// is checked against Xen's own headers twice: tests/hypervisor/abi_test.cpp compares the layouts with Debian's
// <xen/foreign/x86_32.h> field by field, and the build compiles a C file with `gcc -m32` against <xen/xen.h>
// that asserts every number and every offset as a 32-bit guest compiler sees them (tests/hypervisor/
// abi_guest_check_gen.cpp writes it). Guest code (the guest kit) includes <xen/...> itself with -m32; this
// header is the host side of the same contract.
//
// Layout choice: ring1 models the paper's non-PAE x86_32 machine. Its hypervisor hole is the top 64 MB,
// 0xFC000000 and up, which is also what every non-PAE x86_32 Xen up to 3.2 used (xen-x86_32.h keeps it as
// __HYPERVISOR_VIRT_START_NONPAE, with the M2P table at 0xFC000000-0xFC400000). <xen/xen.h> today defaults
// HYPERVISOR_VIRT_START to the PAE value 0xF5800000; the guest-side check compares ours with the NONPAE one.
#pragma once
#include <cstddef>

#include "common/types.h"

namespace ring1::xen {

// ---- Address-space layout (xen/arch-x86/xen-x86_32.h, the *_NONPAE values) ----
inline constexpr u32 kHypervisorVirtStart = 0xFC000000u;  // the paper's top 64 MB
inline constexpr u32 kMachToPhysVirtStart = 0xFC000000u;  // read-only M2P table, one u32 per machine frame
inline constexpr u32 kMachToPhysVirtEnd = 0xFC400000u;
inline constexpr u32 kHypercallVector = 0x82;  // int $0x82 (HYPERCALL_VECTOR)

// ---- Flat segment selectors in Xen's reserved GDT area (xen-x86_32.h) ----
inline constexpr u16 kFlatRing1Cs = 0xe019;
inline constexpr u16 kFlatRing1Ds = 0xe021;
inline constexpr u16 kFlatRing1Ss = 0xe021;
inline constexpr u16 kFlatRing3Cs = 0xe02b;
inline constexpr u16 kFlatRing3Ds = 0xe033;
inline constexpr u16 kFlatRing3Ss = 0xe033;

// CR3 packing of a page-directory frame number (xen_pfn_to_cr3 / xen_cr3_to_pfn for x86_32).
constexpr u32 pfn_to_cr3(u32 pfn) { return (pfn << 12) | (pfn >> 20); }
constexpr u32 cr3_to_pfn(u32 cr3) { return (cr3 >> 12) | (cr3 << 20); }

// ---- Hypercall numbers (xen.h __HYPERVISOR_*; arguments in EBX, ECX, EDX, ESI, EDI; result in EAX), as
// constants named k<Name>, from the one hypercall table (hypercalls/hypercalls.def) ----
namespace hypercall {
#define HYPERCALL(k, nr, ...) inline constexpr u32 k = nr;
#define NOT_MODELLED(k, nr, ...) inline constexpr u32 k = nr;
#include "hypervisor/hypercalls/hypercalls.def"
#undef HYPERCALL
#undef NOT_MODELLED
}  // namespace hypercall

// ---- mmu_update commands: the low two bits of mmu_update.ptr (xen.h MMU_*) ----
inline constexpr u32 kMmuNormalPtUpdate = 0;
inline constexpr u32 kMmuMachphysUpdate = 1;
inline constexpr u32 kMmuPtUpdatePreserveAd = 2;
inline constexpr u32 kMmuPtUpdateNoTranslate = 3;

// ---- mmuext_op commands (xen.h MMUEXT_*) ----
namespace mmuext {
inline constexpr u32 kPinL1Table = 0;
inline constexpr u32 kPinL2Table = 1;
inline constexpr u32 kPinL3Table = 2;
inline constexpr u32 kPinL4Table = 3;
inline constexpr u32 kUnpinTable = 4;
inline constexpr u32 kNewBaseptr = 5;
inline constexpr u32 kTlbFlushLocal = 6;
inline constexpr u32 kInvlpgLocal = 7;
inline constexpr u32 kTlbFlushMulti = 8;
inline constexpr u32 kInvlpgMulti = 9;
inline constexpr u32 kTlbFlushAll = 10;
inline constexpr u32 kInvlpgAll = 11;
inline constexpr u32 kFlushCache = 12;
inline constexpr u32 kSetLdt = 13;
inline constexpr u32 kNewUserBaseptr = 15;
inline constexpr u32 kClearPage = 16;
inline constexpr u32 kCopyPage = 17;
inline constexpr u32 kFlushCacheGlobal = 18;
inline constexpr u32 kMarkSuper = 19;
inline constexpr u32 kUnmarkSuper = 20;
inline constexpr u32 kCount = 21;  // one past the highest command number (for per-command counters)
}  // namespace mmuext

// ---- update_va_mapping flags (xen.h UVMF_*) ----
inline constexpr u32 kUvmfNone = 0;
inline constexpr u32 kUvmfTlbFlush = 1;
inline constexpr u32 kUvmfInvlpg = 2;
inline constexpr u32 kUvmfFlushTypeMask = 3;
inline constexpr u32 kUvmfMulti = 0;  // OR'ed with a pointer to a vCPU bitmap
inline constexpr u32 kUvmfLocal = 0;
inline constexpr u32 kUvmfAll = 4;

// The top bit of a count argument marks a resumed (preempted) mmu_update / mmuext_op (MMU_UPDATE_PREEMPTED).
inline constexpr u32 kMmuUpdatePreempted = 0x80000000u;

// ---- Domain ids (xen.h DOMID_*) ----
inline constexpr u16 kDomidFirstReserved = 0x7FF0;
inline constexpr u16 kDomidSelf = 0x7FF0;
inline constexpr u16 kDomidIo = 0x7FF1;
inline constexpr u16 kDomidXen = 0x7FF2;
inline constexpr u16 kDomidCow = 0x7FF3;
inline constexpr u16 kDomidInvalid = 0x7FF4;
inline constexpr u16 kDomidIdle = 0x7FFF;

// ---- Error numbers (xen/errno.h). Hypercalls return them negated, as Xen does. ----
namespace err {
inline constexpr i32 kEPERM = 1;
inline constexpr i32 kENOENT = 2;
inline constexpr i32 kESRCH = 3;
inline constexpr i32 kEAGAIN = 11;
inline constexpr i32 kENOMEM = 12;
inline constexpr i32 kEACCES = 13;
inline constexpr i32 kEFAULT = 14;
inline constexpr i32 kEBUSY = 16;
inline constexpr i32 kEEXIST = 17;
inline constexpr i32 kEINVAL = 22;
inline constexpr i32 kERANGE = 34;
inline constexpr i32 kENOSYS = 38;
inline constexpr i32 kEOPNOTSUPP = 95;
}  // namespace err

// ---- start_info flags (xen.h SIF_*) ----
inline constexpr u32 kSifPrivileged = 1u << 0;
inline constexpr u32 kSifInitdomain = 1u << 1;
inline constexpr u32 kSifMultibootMod = 1u << 2;
inline constexpr u32 kSifModStartPfn = 1u << 3;

// console_io commands (xen.h).
inline constexpr u32 kConsoleIoWrite = 0;
inline constexpr u32 kConsoleIoRead = 1;

// sched_op commands and shutdown reasons (sched.h).
inline constexpr u32 kSchedopYield = 0;
inline constexpr u32 kSchedopBlock = 1;
inline constexpr u32 kSchedopShutdown = 2;
inline constexpr u32 kShutdownPoweroff = 0;
inline constexpr u32 kShutdownReboot = 1;
inline constexpr u32 kShutdownSuspend = 2;
inline constexpr u32 kShutdownCrash = 3;
inline constexpr u32 kShutdownWatchdog = 4;

// xen_version commands (version.h).
inline constexpr u32 kXenverVersion = 0;
inline constexpr u32 kXenverExtraversion = 1;
inline constexpr u32 kXenverCapabilities = 3;
inline constexpr u32 kXenverPlatformParameters = 5;
inline constexpr u32 kXenverGetFeatures = 6;
inline constexpr u32 kXenverPagesize = 7;
inline constexpr u32 kExtraversionLen = 16;     // xen_extraversion_t
inline constexpr u32 kCapabilitiesLen = 1024;   // xen_capabilities_info_t

// vm_assist commands and types (xen.h).
inline constexpr u32 kVmasstCmdEnable = 0;
inline constexpr u32 kVmasstCmdDisable = 1;
inline constexpr u32 kVmasstTypePaeExtendedCr3 = 3;
inline constexpr u32 kVmasstType4gbSegments = 0;
inline constexpr u32 kVmasstType4gbSegmentsNotify = 1;
inline constexpr u32 kVmasstTypeWritablePagetables = 2;
inline constexpr u32 kMaxVmasstTypeXen32 = 3;  // MAX_VMASST_TYPE as Xen 3.0-3.2 defined it

// More xen_version commands (version.h) and the sizes of their answers.
inline constexpr u32 kXenverCompileInfo = 2;
inline constexpr u32 kXenverChangeset = 4;
inline constexpr u32 kXenverGuestHandle = 8;
inline constexpr u32 kChangesetLen = 64;        // xen_changeset_info_t
inline constexpr u32 kCompileInfoLen = 64 + 16 + 32 + 32;  // struct xen_compile_info
inline constexpr u32 kDomainHandleLen = 16;     // xen_domain_handle_t
// XENFEAT_* bit numbers (features.h) that Xen 3.x could report to a PV guest.
inline constexpr u32 kXenfeatWritablePageTables = 0;
inline constexpr u32 kXenfeatAutoTranslatedPhysmap = 2;
inline constexpr u32 kXenfeatSupervisorModeKernel = 3;
inline constexpr u32 kXenfeatPaePgdirAbove4gb = 4;

// grant_table_op commands and status codes (grant_table.h).
namespace gnttabop {
inline constexpr u32 kMapGrantRef = 0;
inline constexpr u32 kUnmapGrantRef = 1;
inline constexpr u32 kSetupTable = 2;
inline constexpr u32 kDumpTable = 3;
inline constexpr u32 kTransfer = 4;
inline constexpr u32 kCopy = 5;
inline constexpr u32 kQuerySize = 6;
inline constexpr u32 kUnmapAndReplace = 7;
inline constexpr u32 kSetVersion = 8;
}  // namespace gnttabop
inline constexpr i16 kGntstOkay = 0;
inline constexpr i16 kGntstGeneralError = -1;
inline constexpr i16 kGntstBadDomain = -2;
inline constexpr i16 kGntstPermissionDenied = -8;

// physdev_op commands (physdev.h).
inline constexpr u32 kPhysdevopSetIopl = 6;

// The xenstore ring page (io/xs_wire.h): request and response rings, then their indexes.
inline constexpr u32 kXenstoreRingSize = 1024;
inline constexpr u32 kXenstorePayloadMax = 4096;
inline constexpr u32 kXsError = 16;  // xsd_sockmsg_type XS_ERROR

// trap_info.flags bit 2: mask events on entry, like an interrupt gate (arch-x86/xen.h).
inline constexpr u8 kTrapInfoMaskEvents = 4;

inline constexpr u32 kMaxGuestCmdline = 1024;
inline constexpr u32 kLegacyMaxVcpus = 32;

// ---- Structure layouts, as a 32-bit guest compiler lays them out (i386 SysV: 8-byte integers are
// 4-byte aligned, hence pack(4) exactly as foreign/x86_32.h does). ----
#pragma pack(push, 4)

// struct start_info (xen.h), 1112 bytes.
struct StartInfo {
  char magic[32];  // "xen-3.0-x86_32"
  u32 nr_pages;
  u32 shared_info;  // machine address of the shared_info frame
  u32 flags;        // SIF_*
  u32 store_mfn;
  u32 store_evtchn;
  union {
    struct {
      u32 mfn;
      u32 evtchn;
    } domU;
    struct {
      u32 info_off;
      u32 info_size;
    } dom0;
  } console;
  u32 pt_base;       // virtual address of the bootstrap page directory
  u32 nr_pt_frames;
  u32 mfn_list;      // virtual address of the P2M array
  u32 mod_start;
  u32 mod_len;
  i8 cmd_line[kMaxGuestCmdline];
  u32 first_p2m_pfn;
  u32 nr_p2m_frames;
};

// struct arch_vcpu_info (arch-x86/xen.h): cr2 is where a bounced page fault's address goes.
struct ArchVcpuInfo {
  u32 cr2;
  u32 pad[5];
};

// struct vcpu_time_info (xen.h), 32 bytes.
struct VcpuTimeInfo {
  u32 version;
  u32 pad0;
  u64 tsc_timestamp;
  u64 system_time;
  u32 tsc_to_system_mul;
  i8 tsc_shift;
  u8 flags;
  u8 pad1[2];
};

// struct vcpu_info (xen.h), 64 bytes.
struct VcpuInfo {
  u8 evtchn_upcall_pending;
  u8 evtchn_upcall_mask;
  u32 evtchn_pending_sel;
  ArchVcpuInfo arch;
  VcpuTimeInfo time;
};

// struct arch_shared_info (arch-x86/xen.h); wc_sec_hi is i386-only.
struct ArchSharedInfo {
  u32 max_pfn;
  u32 pfn_to_mfn_frame_list_list;
  u32 nmi_reason;
  u32 p2m_cr3;
  u32 p2m_vaddr;
  u32 p2m_generation;
  u32 wc_sec_hi;
};

// struct shared_info (xen.h), 2344 bytes on x86_32.
struct SharedInfo {
  VcpuInfo vcpu_info[kLegacyMaxVcpus];
  u32 evtchn_pending[32];
  u32 evtchn_mask[32];
  u32 wc_version;
  u32 wc_sec;
  u32 wc_nsec;
  ArchSharedInfo arch;
};

// struct mmu_update (xen.h): 16 bytes on every architecture.
struct MmuUpdate {
  u64 ptr;  // machine address of the entry, low two bits the MMU_* command
  u64 val;
};

// struct mmuext_op (xen.h): on x86_32 every argument is 32 bits, 12 bytes in all.
struct MmuextOp {
  u32 cmd;
  u32 arg1;  // mfn (PIN/UNPIN/NEW_BASEPTR/...) or linear_addr (INVLPG/SET_LDT)
  u32 arg2;  // nr_ents (SET_LDT), vcpumask pointer (*_MULTI) or src_mfn (COPY_PAGE)
};

// struct multicall_entry (xen.h): xen_ulong_t is 32 bits on x86_32, 32 bytes in all.
struct MulticallEntry {
  u32 op;
  u32 result;
  u32 args[6];
};

// struct trap_info (arch-x86/xen.h), 8 bytes. flags: bits 0-1 the DPL, bit 2 "clear event enable".
struct TrapInfo {
  u8 vector;
  u8 flags;
  u16 cs;
  u32 address;
};

// struct gnttab_setup_table (grant_table.h), x86_32: frame_list is a 32-bit guest handle of xen_pfn_t.
struct GnttabSetupTable {
  u16 dom;
  u32 nr_frames;
  i16 status;  // GNTST_*
  u32 frame_list;
};

// struct gnttab_query_size (grant_table.h).
struct GnttabQuerySize {
  u16 dom;
  u32 nr_frames;
  u32 max_nr_frames;
  i16 status;
};

// struct xsd_sockmsg (io/xs_wire.h): the header of every xenstore message, followed by len payload bytes.
struct XsdSockmsg {
  u32 type;
  u32 req_id;
  u32 tx_id;
  u32 len;
};

// struct xenstore_domain_interface (io/xs_wire.h).
struct XenstoreDomainInterface {
  char req[kXenstoreRingSize];
  char rsp[kXenstoreRingSize];
  u32 req_cons, req_prod;
  u32 rsp_cons, rsp_prod;
  u32 server_features;
  u32 connection;
  u32 error;
};

#pragma pack(pop)

static_assert(sizeof(StartInfo) == 1112);
static_assert(sizeof(VcpuInfo) == 64);
static_assert(sizeof(SharedInfo) == 2344);
static_assert(sizeof(MmuUpdate) == 16);
static_assert(sizeof(MmuextOp) == 12);
static_assert(sizeof(MulticallEntry) == 32);
static_assert(sizeof(TrapInfo) == 8);
static_assert(sizeof(GnttabSetupTable) == 16);
static_assert(sizeof(GnttabQuerySize) == 16);
static_assert(sizeof(XsdSockmsg) == 16);
static_assert(sizeof(XenstoreDomainInterface) == 2076);

}  // namespace ring1::xen

#include "hypervisor/xen_abi_events.h"  // events, callbacks, timers, vCPU and poll
