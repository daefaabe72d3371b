// Xen's public headers as host code sees them (Debian's libxen-dev): hypercall numbers and constants from
// <xen/xen.h>, guest structure layouts from <xen/foreign/x86_32.h>, which describes an x86_32 guest's
// structures in fixed-width types so a 64-bit host reads them exactly as the guest wrote them.
#pragma once
#include <cstddef>
#include <cstdint>

// The current interface: without it the headers fall back to the 3.0.0 names (sched_op as the old
// sched_op_compat, number 6), which is not what guests of the xen-3.0-x86_32 era onwards call.
// (0x00040e00 is the headers' __XEN_LATEST_INTERFACE_VERSION__; a static_assert below keeps them in step.)
#define __XEN_INTERFACE_VERSION__ 0x00040e00
// vcpu_info.evtchn_upcall_mask exists in the x86 PV ABI; the header shows it only when asked.
#define XEN_HAVE_PV_UPCALL_MASK 1
#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <xen/foreign/x86_32.h>

static_assert(__XEN_INTERFACE_VERSION__ == __XEN_LATEST_INTERFACE_VERSION__);
static_assert(__HYPERVISOR_sched_op == 29);
