// Writes a C file that a 32-bit guest compiler (`gcc -m32`) builds against <xen/xen.h>: one _Static_assert per
// number and per structure field of src/hypervisor/xen_abi.h, comparing ring1's value (printed here from the
// C++ header) with Xen's macro or offsetof as the guest sees it. If the build of that file fails, the two
// sides of the ABI disagree. This covers what the host-side abi_test cannot: mmuext_op and multicall_entry
// (whose layout depends on the guest's long), and the non-PAE layout macros of arch-x86/xen-x86_32.h.
#include <cstddef>
#include <cstdio>

#include "hypervisor/xen_abi.h"
#include "hypervisor/xen_abi_console.h"

using namespace ring1;
using namespace ring1::xen;

namespace {

void same(const char* theirs, unsigned long long ours) {
  std::printf("_Static_assert((unsigned long long)(%s) == %lluULL, \"%s differs from ring1's xen_abi.h\");\n", theirs,
              ours, theirs);
}
void same_negative(const char* theirs, long long ours) {
  std::printf("_Static_assert((long long)(%s) == %lldLL, \"%s differs from ring1's xen_abi.h\");\n", theirs, ours,
              theirs);
}
void layout(const char* type, unsigned long long size) {
  std::printf("_Static_assert(sizeof(%s) == %lluULL, \"sizeof(%s) differs from ring1's xen_abi.h\");\n", type, size,
              type);
}
void field(const char* type, const char* member, unsigned long long offset, unsigned long long size) {
  std::printf("_Static_assert(offsetof(%s, %s) == %lluULL, \"%s.%s offset differs\");\n", type, member, offset, type,
              member);
  std::printf("_Static_assert(sizeof(((%s*)0)->%s) == %lluULL, \"%s.%s size differs\");\n", type, member, size, type,
              member);
}

#define FIELD(ctype, ours, member) field(ctype, #member, offsetof(ours, member), sizeof(ours::member))

// The events, callbacks, timers and poll (xen_abi_events.h): numbers, and the argument structures as the
// guest's compiler lays them out (foreign/x86_32.h has none of them: they are the same on every architecture
// but for the guest's long).
void events_abi() {
  std::printf("#include <xen/event_channel.h>\n#include <xen/vcpu.h>\n#include <xen/callback.h>\n#include <xen/sched.h>\n");
  same("XEN_ENOSPC", err::kENOSPC);
  same("XEN_ETIME", err::kETIME);
  same("EVTCHNOP_bind_interdomain", evtchnop::kBindInterdomain);
  same("EVTCHNOP_bind_virq", evtchnop::kBindVirq);
  same("EVTCHNOP_bind_pirq", evtchnop::kBindPirq);
  same("EVTCHNOP_close", evtchnop::kClose);
  same("EVTCHNOP_send", evtchnop::kSend);
  same("EVTCHNOP_status", evtchnop::kStatus);
  same("EVTCHNOP_alloc_unbound", evtchnop::kAllocUnbound);
  same("EVTCHNOP_bind_ipi", evtchnop::kBindIpi);
  same("EVTCHNOP_bind_vcpu", evtchnop::kBindVcpu);
  same("EVTCHNOP_unmask", evtchnop::kUnmask);
  same("EVTCHNOP_reset", evtchnop::kReset);
  same("EVTCHNSTAT_closed", evtchnstat::kClosed);
  same("EVTCHNSTAT_unbound", evtchnstat::kUnbound);
  same("EVTCHNSTAT_interdomain", evtchnstat::kInterdomain);
  same("EVTCHNSTAT_pirq", evtchnstat::kPirq);
  same("EVTCHNSTAT_virq", evtchnstat::kVirq);
  same("EVTCHNSTAT_ipi", evtchnstat::kIpi);
  same("EVTCHN_2L_NR_CHANNELS", kNrEventChannels);
  same("VIRQ_TIMER", virq::kTimer);
  same("VIRQ_DEBUG", virq::kDebug);
  same("VIRQ_CONSOLE", virq::kConsole);
  same("VIRQ_DOM_EXC", virq::kDomExc);
  same("VIRQ_TBUF", virq::kTbuf);
  same("VIRQ_DEBUGGER", virq::kDebugger);
  same("VIRQ_XENOPROF", virq::kXenoprof);
  same("VIRQ_CON_RING", virq::kConRing);
  same("NR_VIRQS", virq::kCount);
  same("CALLBACKOP_register", kCallbackopRegister);
  same("CALLBACKOP_unregister", kCallbackopUnregister);
  same("CALLBACKTYPE_event", callbacktype::kEvent);
  same("CALLBACKTYPE_failsafe", callbacktype::kFailsafe);
  same("CALLBACKTYPE_syscall", callbacktype::kSyscall);
  same("CALLBACKTYPE_sysenter_deprecated", callbacktype::kSysenter);
  same("CALLBACKTYPE_nmi", callbacktype::kNmi);
  same("CALLBACKTYPE_syscall32", callbacktype::kSyscall32);
  same("CALLBACKF_mask_events", kCallbackfMaskEvents);
  same("VCPUOP_initialise", vcpuop::kInitialise);
  same("VCPUOP_up", vcpuop::kUp);
  same("VCPUOP_down", vcpuop::kDown);
  same("VCPUOP_is_up", vcpuop::kIsUp);
  same("VCPUOP_get_runstate_info", vcpuop::kGetRunstateInfo);
  same("VCPUOP_set_periodic_timer", vcpuop::kSetPeriodicTimer);
  same("VCPUOP_stop_periodic_timer", vcpuop::kStopPeriodicTimer);
  same("VCPUOP_set_singleshot_timer", vcpuop::kSetSingleshotTimer);
  same("VCPUOP_stop_singleshot_timer", vcpuop::kStopSingleshotTimer);
  same("VCPU_SSHOTTMR_future", kVcpuSshottmrFuture);
  same("RUNSTATE_running", kRunstateRunning);
  same("RUNSTATE_blocked", kRunstateBlocked);
  same("XEN_LEGACY_MAX_VCPUS", kMaxVirtCpus);
  same("SCHEDOP_poll", kSchedopPoll);
  same("SCHEDOP_remote_shutdown", kSchedopRemoteShutdown);
  same("SCHEDOP_shutdown_code", kSchedopShutdownCode);
  same("SHUTDOWN_soft_reset", kShutdownSoftReset);
  same("SHUTDOWN_MAX", kShutdownSoftReset);
  layout("struct evtchn_alloc_unbound", sizeof(EvtchnAllocUnbound));
  FIELD("struct evtchn_alloc_unbound", EvtchnAllocUnbound, dom);
  FIELD("struct evtchn_alloc_unbound", EvtchnAllocUnbound, remote_dom);
  FIELD("struct evtchn_alloc_unbound", EvtchnAllocUnbound, port);
  layout("struct evtchn_bind_interdomain", sizeof(EvtchnBindInterdomain));
  FIELD("struct evtchn_bind_interdomain", EvtchnBindInterdomain, remote_dom);
  FIELD("struct evtchn_bind_interdomain", EvtchnBindInterdomain, remote_port);
  FIELD("struct evtchn_bind_interdomain", EvtchnBindInterdomain, local_port);
  layout("struct evtchn_bind_virq", sizeof(EvtchnBindVirq));
  FIELD("struct evtchn_bind_virq", EvtchnBindVirq, virq);
  FIELD("struct evtchn_bind_virq", EvtchnBindVirq, vcpu);
  FIELD("struct evtchn_bind_virq", EvtchnBindVirq, port);
  layout("struct evtchn_bind_pirq", sizeof(EvtchnBindPirq));
  FIELD("struct evtchn_bind_pirq", EvtchnBindPirq, pirq);
  FIELD("struct evtchn_bind_pirq", EvtchnBindPirq, port);
  layout("struct evtchn_bind_ipi", sizeof(EvtchnBindIpi));
  FIELD("struct evtchn_bind_ipi", EvtchnBindIpi, vcpu);
  FIELD("struct evtchn_bind_ipi", EvtchnBindIpi, port);
  layout("struct evtchn_close", sizeof(EvtchnPort));
  layout("struct evtchn_send", sizeof(EvtchnPort));
  layout("struct evtchn_unmask", sizeof(EvtchnPort));
  layout("struct evtchn_status", sizeof(EvtchnStatus));
  FIELD("struct evtchn_status", EvtchnStatus, dom);
  FIELD("struct evtchn_status", EvtchnStatus, port);
  FIELD("struct evtchn_status", EvtchnStatus, status);
  FIELD("struct evtchn_status", EvtchnStatus, vcpu);
  FIELD("struct evtchn_status", EvtchnStatus, u);
  field("struct evtchn_status", "u.interdomain.port", offsetof(EvtchnStatus, u.interdomain.port), 4);
  layout("struct evtchn_bind_vcpu", sizeof(EvtchnBindVcpu));
  FIELD("struct evtchn_bind_vcpu", EvtchnBindVcpu, port);
  FIELD("struct evtchn_bind_vcpu", EvtchnBindVcpu, vcpu);
  layout("struct evtchn_op", sizeof(EvtchnOp));
  FIELD("struct evtchn_op", EvtchnOp, cmd);
  FIELD("struct evtchn_op", EvtchnOp, u);
  layout("struct callback_register", sizeof(CallbackRegister));
  FIELD("struct callback_register", CallbackRegister, type);
  FIELD("struct callback_register", CallbackRegister, flags);
  field("struct callback_register", "address.cs", offsetof(CallbackRegister, cs), 4);
  field("struct callback_register", "address.eip", offsetof(CallbackRegister, eip), 4);
  layout("struct callback_unregister", sizeof(CallbackUnregister));
  layout("struct vcpu_set_periodic_timer", sizeof(VcpuSetPeriodicTimer));
  layout("struct vcpu_set_singleshot_timer", sizeof(VcpuSetSingleshotTimer));
  FIELD("struct vcpu_set_singleshot_timer", VcpuSetSingleshotTimer, timeout_abs_ns);
  FIELD("struct vcpu_set_singleshot_timer", VcpuSetSingleshotTimer, flags);
  layout("struct vcpu_runstate_info", sizeof(VcpuRunstateInfo));
  FIELD("struct vcpu_runstate_info", VcpuRunstateInfo, state);
  FIELD("struct vcpu_runstate_info", VcpuRunstateInfo, state_entry_time);
  FIELD("struct vcpu_runstate_info", VcpuRunstateInfo, time);
  layout("struct sched_poll", sizeof(SchedPoll));
  FIELD("struct sched_poll", SchedPoll, ports);
  FIELD("struct sched_poll", SchedPoll, nr_ports);
  FIELD("struct sched_poll", SchedPoll, timeout);
}

// The console ring (xen_abi_console.h) as a 32-bit guest's compiler lays out io/console.h.
void console_abi() {
  std::printf("#include <xen/io/console.h>\n");
  layout("struct xencons_interface", sizeof(XenconsInterface));
  FIELD("struct xencons_interface", XenconsInterface, in);
  FIELD("struct xencons_interface", XenconsInterface, out);
  FIELD("struct xencons_interface", XenconsInterface, in_cons);
  FIELD("struct xencons_interface", XenconsInterface, in_prod);
  FIELD("struct xencons_interface", XenconsInterface, out_cons);
  FIELD("struct xencons_interface", XenconsInterface, out_prod);
}

}  // namespace

int main() {
  std::printf("/* Generated by abi_guest_check_gen from src/hypervisor/xen_abi.h: do not edit. */\n");
  std::printf("#define __XEN_INTERFACE_VERSION__ 0x00040700\n");
  std::printf("#include <stddef.h>\n#include <stdint.h>\n#include <xen/xen.h>\n#include <xen/errno.h>\n");
  std::printf("#include <xen/version.h>\n#include <xen/features.h>\n#include <xen/grant_table.h>\n#include <xen/physdev.h>\n#include <xen/io/xs_wire.h>\n");
  std::printf("#ifndef __i386__\n#error \"compile this with -m32: it checks the 32-bit guest's view\"\n#endif\n");

  same("__HYPERVISOR_VIRT_START_NONPAE", kHypervisorVirtStart);
  same("__MACH2PHYS_VIRT_START_NONPAE", kMachToPhysVirtStart);
  same("__MACH2PHYS_VIRT_END_NONPAE", kMachToPhysVirtEnd);
  same("FLAT_RING1_CS", kFlatRing1Cs);
  same("FLAT_RING1_DS", kFlatRing1Ds);
  same("FLAT_RING1_SS", kFlatRing1Ss);
  same("FLAT_RING3_CS", kFlatRing3Cs);
  same("FLAT_RING3_DS", kFlatRing3Ds);
  same("FLAT_RING3_SS", kFlatRing3Ss);
  same("xen_pfn_to_cr3(0x12345)", pfn_to_cr3(0x12345));
  same("xen_cr3_to_pfn(0x12345000)", cr3_to_pfn(0x12345000));

#define HYPERCALL(k, nr, name, ...) same("__HYPERVISOR_" #name, hypercall::k);
#define NOT_MODELLED HYPERCALL
#include "hypervisor/hypercalls/hypercalls.def"
#undef HYPERCALL
#undef NOT_MODELLED

  same("MMU_NORMAL_PT_UPDATE", kMmuNormalPtUpdate);
  same("MMU_MACHPHYS_UPDATE", kMmuMachphysUpdate);
  same("MMU_PT_UPDATE_PRESERVE_AD", kMmuPtUpdatePreserveAd);
  same("MMU_PT_UPDATE_NO_TRANSLATE", kMmuPtUpdateNoTranslate);
  same("MMUEXT_PIN_L1_TABLE", mmuext::kPinL1Table);
  same("MMUEXT_PIN_L2_TABLE", mmuext::kPinL2Table);
  same("MMUEXT_PIN_L3_TABLE", mmuext::kPinL3Table);
  same("MMUEXT_PIN_L4_TABLE", mmuext::kPinL4Table);
  same("MMUEXT_UNPIN_TABLE", mmuext::kUnpinTable);
  same("MMUEXT_NEW_BASEPTR", mmuext::kNewBaseptr);
  same("MMUEXT_TLB_FLUSH_LOCAL", mmuext::kTlbFlushLocal);
  same("MMUEXT_INVLPG_LOCAL", mmuext::kInvlpgLocal);
  same("MMUEXT_TLB_FLUSH_MULTI", mmuext::kTlbFlushMulti);
  same("MMUEXT_INVLPG_MULTI", mmuext::kInvlpgMulti);
  same("MMUEXT_TLB_FLUSH_ALL", mmuext::kTlbFlushAll);
  same("MMUEXT_INVLPG_ALL", mmuext::kInvlpgAll);
  same("MMUEXT_FLUSH_CACHE", mmuext::kFlushCache);
  same("MMUEXT_SET_LDT", mmuext::kSetLdt);
  same("MMUEXT_NEW_USER_BASEPTR", mmuext::kNewUserBaseptr);
  same("MMUEXT_CLEAR_PAGE", mmuext::kClearPage);
  same("MMUEXT_COPY_PAGE", mmuext::kCopyPage);
  same("MMUEXT_FLUSH_CACHE_GLOBAL", mmuext::kFlushCacheGlobal);
  same("MMUEXT_MARK_SUPER", mmuext::kMarkSuper);
  same("MMUEXT_UNMARK_SUPER", mmuext::kUnmarkSuper);
  same("UVMF_NONE", kUvmfNone);
  same("UVMF_TLB_FLUSH", kUvmfTlbFlush);
  same("UVMF_INVLPG", kUvmfInvlpg);
  same("UVMF_FLUSHTYPE_MASK", kUvmfFlushTypeMask);
  same("UVMF_MULTI", kUvmfMulti);
  same("UVMF_LOCAL", kUvmfLocal);
  same("UVMF_ALL", kUvmfAll);
  same("DOMID_FIRST_RESERVED", kDomidFirstReserved);
  same("DOMID_SELF", kDomidSelf);
  same("DOMID_IO", kDomidIo);
  same("DOMID_XEN", kDomidXen);
  same("DOMID_COW", kDomidCow);
  same("DOMID_INVALID", kDomidInvalid);
  same("DOMID_IDLE", kDomidIdle);
  same("SIF_PRIVILEGED", kSifPrivileged);
  same("SIF_INITDOMAIN", kSifInitdomain);
  same("SIF_MULTIBOOT_MOD", kSifMultibootMod);
  same("SIF_MOD_START_PFN", kSifModStartPfn);
  same("MAX_GUEST_CMDLINE", kMaxGuestCmdline);
  same("XEN_LEGACY_MAX_VCPUS", kLegacyMaxVcpus);
  same_negative("-XEN_EPERM", -err::kEPERM);
  same_negative("-XEN_ENOENT", -err::kENOENT);
  same_negative("-XEN_ESRCH", -err::kESRCH);
  same_negative("-XEN_EAGAIN", -err::kEAGAIN);
  same_negative("-XEN_ENOMEM", -err::kENOMEM);
  same_negative("-XEN_EACCES", -err::kEACCES);
  same_negative("-XEN_EFAULT", -err::kEFAULT);
  same_negative("-XEN_EBUSY", -err::kEBUSY);
  same_negative("-XEN_EEXIST", -err::kEEXIST);
  same_negative("-XEN_EINVAL", -err::kEINVAL);
  same_negative("-XEN_ERANGE", -err::kERANGE);
  same_negative("-XEN_ENOSYS", -err::kENOSYS);
  same_negative("-XEN_EOPNOTSUPP", -err::kEOPNOTSUPP);

  layout("struct start_info", sizeof(StartInfo));
  FIELD("struct start_info", StartInfo, magic);
  FIELD("struct start_info", StartInfo, nr_pages);
  FIELD("struct start_info", StartInfo, shared_info);
  FIELD("struct start_info", StartInfo, flags);
  FIELD("struct start_info", StartInfo, store_mfn);
  FIELD("struct start_info", StartInfo, store_evtchn);
  FIELD("struct start_info", StartInfo, console.domU.mfn);
  FIELD("struct start_info", StartInfo, console.domU.evtchn);
  FIELD("struct start_info", StartInfo, console.dom0.info_off);
  FIELD("struct start_info", StartInfo, console.dom0.info_size);
  FIELD("struct start_info", StartInfo, pt_base);
  FIELD("struct start_info", StartInfo, nr_pt_frames);
  FIELD("struct start_info", StartInfo, mfn_list);
  FIELD("struct start_info", StartInfo, mod_start);
  FIELD("struct start_info", StartInfo, mod_len);
  FIELD("struct start_info", StartInfo, cmd_line);
  FIELD("struct start_info", StartInfo, first_p2m_pfn);
  FIELD("struct start_info", StartInfo, nr_p2m_frames);
  layout("struct arch_vcpu_info", sizeof(ArchVcpuInfo));
  FIELD("struct arch_vcpu_info", ArchVcpuInfo, cr2);
  FIELD("struct arch_vcpu_info", ArchVcpuInfo, pad);
  layout("struct vcpu_time_info", sizeof(VcpuTimeInfo));
  FIELD("struct vcpu_time_info", VcpuTimeInfo, version);
  FIELD("struct vcpu_time_info", VcpuTimeInfo, pad0);
  FIELD("struct vcpu_time_info", VcpuTimeInfo, tsc_timestamp);
  FIELD("struct vcpu_time_info", VcpuTimeInfo, system_time);
  FIELD("struct vcpu_time_info", VcpuTimeInfo, tsc_to_system_mul);
  FIELD("struct vcpu_time_info", VcpuTimeInfo, tsc_shift);
  FIELD("struct vcpu_time_info", VcpuTimeInfo, flags);
  FIELD("struct vcpu_time_info", VcpuTimeInfo, pad1);
  layout("struct vcpu_info", sizeof(VcpuInfo));
  FIELD("struct vcpu_info", VcpuInfo, evtchn_upcall_pending);
  FIELD("struct vcpu_info", VcpuInfo, evtchn_upcall_mask);
  FIELD("struct vcpu_info", VcpuInfo, evtchn_pending_sel);
  FIELD("struct vcpu_info", VcpuInfo, arch);
  FIELD("struct vcpu_info", VcpuInfo, time);
  layout("struct arch_shared_info", sizeof(ArchSharedInfo));
  FIELD("struct arch_shared_info", ArchSharedInfo, max_pfn);
  FIELD("struct arch_shared_info", ArchSharedInfo, pfn_to_mfn_frame_list_list);
  FIELD("struct arch_shared_info", ArchSharedInfo, nmi_reason);
  FIELD("struct arch_shared_info", ArchSharedInfo, p2m_cr3);
  FIELD("struct arch_shared_info", ArchSharedInfo, p2m_vaddr);
  FIELD("struct arch_shared_info", ArchSharedInfo, p2m_generation);
  FIELD("struct arch_shared_info", ArchSharedInfo, wc_sec_hi);
  layout("struct shared_info", sizeof(SharedInfo));
  FIELD("struct shared_info", SharedInfo, vcpu_info);
  FIELD("struct shared_info", SharedInfo, evtchn_pending);
  FIELD("struct shared_info", SharedInfo, evtchn_mask);
  FIELD("struct shared_info", SharedInfo, wc_version);
  FIELD("struct shared_info", SharedInfo, wc_sec);
  FIELD("struct shared_info", SharedInfo, wc_nsec);
  FIELD("struct shared_info", SharedInfo, arch);
  layout("struct mmu_update", sizeof(MmuUpdate));
  FIELD("struct mmu_update", MmuUpdate, ptr);
  FIELD("struct mmu_update", MmuUpdate, val);
  layout("struct mmuext_op", sizeof(MmuextOp));
  FIELD("struct mmuext_op", MmuextOp, cmd);
  field("struct mmuext_op", "arg1.mfn", offsetof(MmuextOp, arg1), sizeof(MmuextOp::arg1));
  field("struct mmuext_op", "arg1.linear_addr", offsetof(MmuextOp, arg1), sizeof(MmuextOp::arg1));
  field("struct mmuext_op", "arg2.nr_ents", offsetof(MmuextOp, arg2), sizeof(MmuextOp::arg2));
  field("struct mmuext_op", "arg2.src_mfn", offsetof(MmuextOp, arg2), sizeof(MmuextOp::arg2));
  layout("struct multicall_entry", sizeof(MulticallEntry));
  FIELD("struct multicall_entry", MulticallEntry, op);
  FIELD("struct multicall_entry", MulticallEntry, result);
  FIELD("struct multicall_entry", MulticallEntry, args);
  layout("struct trap_info", sizeof(TrapInfo));
  FIELD("struct trap_info", TrapInfo, vector);
  FIELD("struct trap_info", TrapInfo, flags);
  FIELD("struct trap_info", TrapInfo, cs);
  FIELD("struct trap_info", TrapInfo, address);

  // What real guests call first: xen_version, vm_assist, grant tables, physdev, the xenstore ring.
  same("XENVER_compile_info", kXenverCompileInfo);
  same("XENVER_changeset", kXenverChangeset);
  same("XENVER_guest_handle", kXenverGuestHandle);
  same("sizeof(xen_changeset_info_t)", kChangesetLen);
  same("sizeof(struct xen_compile_info)", kCompileInfoLen);
  same("sizeof(xen_domain_handle_t)", kDomainHandleLen);
  same("XENFEAT_writable_page_tables", kXenfeatWritablePageTables);
  same("XENFEAT_auto_translated_physmap", kXenfeatAutoTranslatedPhysmap);
  same("XENFEAT_supervisor_mode_kernel", kXenfeatSupervisorModeKernel);
  same("XENFEAT_pae_pgdir_above_4gb", kXenfeatPaePgdirAbove4gb);
  same("VMASST_TYPE_4gb_segments", kVmasstType4gbSegments);
  same("VMASST_TYPE_4gb_segments_notify", kVmasstType4gbSegmentsNotify);
  same("VMASST_TYPE_writable_pagetables", kVmasstTypeWritablePagetables);
  same("GNTTABOP_map_grant_ref", gnttabop::kMapGrantRef);
  same("GNTTABOP_unmap_grant_ref", gnttabop::kUnmapGrantRef);
  same("GNTTABOP_setup_table", gnttabop::kSetupTable);
  same("GNTTABOP_dump_table", gnttabop::kDumpTable);
  same("GNTTABOP_transfer", gnttabop::kTransfer);
  same("GNTTABOP_copy", gnttabop::kCopy);
  same("GNTTABOP_query_size", gnttabop::kQuerySize);
  same("GNTTABOP_unmap_and_replace", gnttabop::kUnmapAndReplace);
  same("GNTTABOP_set_version", gnttabop::kSetVersion);
  same_negative("GNTST_okay", kGntstOkay);
  same_negative("GNTST_general_error", kGntstGeneralError);
  same_negative("GNTST_bad_domain", kGntstBadDomain);
  same_negative("GNTST_permission_denied", kGntstPermissionDenied);
  same("PHYSDEVOP_set_iopl", kPhysdevopSetIopl);
  same("XENSTORE_RING_SIZE", kXenstoreRingSize);
  same("XENSTORE_PAYLOAD_MAX", kXenstorePayloadMax);
  same("XS_ERROR", kXsError);
  layout("struct gnttab_setup_table", sizeof(GnttabSetupTable));
  FIELD("struct gnttab_setup_table", GnttabSetupTable, dom);
  FIELD("struct gnttab_setup_table", GnttabSetupTable, nr_frames);
  FIELD("struct gnttab_setup_table", GnttabSetupTable, status);
  FIELD("struct gnttab_setup_table", GnttabSetupTable, frame_list);
  layout("struct gnttab_query_size", sizeof(GnttabQuerySize));
  FIELD("struct gnttab_query_size", GnttabQuerySize, dom);
  FIELD("struct gnttab_query_size", GnttabQuerySize, nr_frames);
  FIELD("struct gnttab_query_size", GnttabQuerySize, max_nr_frames);
  FIELD("struct gnttab_query_size", GnttabQuerySize, status);
  layout("struct xsd_sockmsg", sizeof(XsdSockmsg));
  FIELD("struct xsd_sockmsg", XsdSockmsg, type);
  FIELD("struct xsd_sockmsg", XsdSockmsg, req_id);
  FIELD("struct xsd_sockmsg", XsdSockmsg, tx_id);
  FIELD("struct xsd_sockmsg", XsdSockmsg, len);
  layout("struct xenstore_domain_interface", sizeof(XenstoreDomainInterface));
  FIELD("struct xenstore_domain_interface", XenstoreDomainInterface, req);
  FIELD("struct xenstore_domain_interface", XenstoreDomainInterface, rsp);
  FIELD("struct xenstore_domain_interface", XenstoreDomainInterface, req_cons);
  FIELD("struct xenstore_domain_interface", XenstoreDomainInterface, req_prod);
  FIELD("struct xenstore_domain_interface", XenstoreDomainInterface, rsp_cons);
  FIELD("struct xenstore_domain_interface", XenstoreDomainInterface, rsp_prod);
  FIELD("struct xenstore_domain_interface", XenstoreDomainInterface, server_features);
  FIELD("struct xenstore_domain_interface", XenstoreDomainInterface, connection);
  FIELD("struct xenstore_domain_interface", XenstoreDomainInterface, error);
  events_abi();
  console_abi();
  return 0;
}
