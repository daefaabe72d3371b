// xen.h: the paravirtual platform's view of Xen, for the kit's PV code and for guests that talk to the
// hypervisor directly (tests of its rules, experiments). Numbers and layouts are Xen's own public headers
// (Debian's libxen-dev, <xen/xen.h>, compiled here with -m32 as the guest ABI; ring1's host side checks its
// copy, src/hypervisor/xen_abi.h, against the same headers). Every hypercall goes through the hypercall page
// the domain builder filled (XEN_ELFNOTE_HYPERCALL_PAGE): `call hypercall_page + 32 * nr`, arguments in EBX,
// ECX, EDX, ESI, EDI, the result in EAX, argument registers clobbered (xen/include/public/arch-x86/
// xen-x86_32.h). Only meaningful when the kernel was started through the PV entry (plat_is_pv()).
#pragma once
#include <stddef.h>
#include <stdint.h>

// The interface version decides which numbers the header gives (xen-compat.h): below 0x00030101 sched_op
// would be the old number 6 (sched_op_compat). 0x00030205 is Xen 3.2's, the last release with non-PAE
// 32-bit guests.
#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ 0x00030205
#endif
#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/event_channel.h>
#include <xen/vcpu.h>
#include <xen/io/console.h>

// ring1 models non-PAE x86_32 (Xen 3.0-3.2's xen-3.0-x86_32): the M2P table is read-only at 0xFC000000, the
// start of the hypervisor's top 64 MB. (The header's MACH2PHYS_VIRT_START is the PAE layout's.)
#define KIT_M2P ((const uint32_t *)__MACH2PHYS_VIRT_START_NONPAE)

extern char hypercall_page[4096];

#define KIT_STR_(x) #x
#define KIT_STR(x) KIT_STR_(x)
#define KIT_HYPERCALL_CALL(nr) "call hypercall_page + " KIT_STR(nr) " * 32"

#define KIT_HYPERCALL2(nr, a1, a2)                                                       \
  ({                                                                                     \
    long r_, b_, c_;                                                                     \
    __asm__ volatile(KIT_HYPERCALL_CALL(nr)                                              \
                     : "=a"(r_), "=b"(b_), "=c"(c_)                                      \
                     : "1"((long)(a1)), "2"((long)(a2))                                  \
                     : "memory");                                                        \
    r_;                                                                                  \
  })
#define KIT_HYPERCALL3(nr, a1, a2, a3)                                                   \
  ({                                                                                     \
    long r_, b_, c_, d_;                                                                 \
    __asm__ volatile(KIT_HYPERCALL_CALL(nr)                                              \
                     : "=a"(r_), "=b"(b_), "=c"(c_), "=d"(d_)                            \
                     : "1"((long)(a1)), "2"((long)(a2)), "3"((long)(a3))                 \
                     : "memory");                                                        \
    r_;                                                                                  \
  })
#define KIT_HYPERCALL4(nr, a1, a2, a3, a4)                                               \
  ({                                                                                     \
    long r_, b_, c_, d_, s_;                                                             \
    __asm__ volatile(KIT_HYPERCALL_CALL(nr)                                              \
                     : "=a"(r_), "=b"(b_), "=c"(c_), "=d"(d_), "=S"(s_)                  \
                     : "1"((long)(a1)), "2"((long)(a2)), "3"((long)(a3)), "4"((long)(a4)) \
                     : "memory");                                                        \
    r_;                                                                                  \
  })

// The hypercalls the kit uses, named as Linux and Mini-OS name their wrappers. Results are 0 or -errno
// (Xen's errno values: -EINVAL is -22, -EFAULT -14, -ENOSYS -38).
static inline int HYPERVISOR_set_trap_table(const struct trap_info *table) {
  return (int)KIT_HYPERCALL2(__HYPERVISOR_set_trap_table, table, 0);
}
static inline int HYPERVISOR_mmu_update(const struct mmu_update *req, unsigned count, unsigned *done,
                                        unsigned foreigndom) {
  return (int)KIT_HYPERCALL4(__HYPERVISOR_mmu_update, req, count, done, foreigndom);
}
static inline int HYPERVISOR_mmuext_op(const struct mmuext_op *op, unsigned count, unsigned *done,
                                       unsigned foreigndom) {
  return (int)KIT_HYPERCALL4(__HYPERVISOR_mmuext_op, op, count, done, foreigndom);
}
static inline int HYPERVISOR_stack_switch(unsigned ss, unsigned long esp) {
  return (int)KIT_HYPERCALL2(__HYPERVISOR_stack_switch, ss, esp);
}
// The non-PAE form (Linux's non-PAE HYPERVISOR_update_va_mapping passes the 32-bit PTE in one register).
static inline int HYPERVISOR_update_va_mapping(unsigned long va, uint32_t pte, unsigned long flags) {
  return (int)KIT_HYPERCALL3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}
static inline int HYPERVISOR_console_io(int cmd, int count, const char *str) {
  return (int)KIT_HYPERCALL3(__HYPERVISOR_console_io, cmd, count, str);
}
static inline int HYPERVISOR_sched_op(int cmd, void *arg) {
  return (int)KIT_HYPERCALL2(__HYPERVISOR_sched_op, cmd, arg);
}
static inline int HYPERVISOR_event_channel_op(int cmd, void *arg) {
  return (int)KIT_HYPERCALL2(__HYPERVISOR_event_channel_op, cmd, arg);
}
static inline int HYPERVISOR_xen_version(int cmd, void *arg) {
  return (int)KIT_HYPERCALL2(__HYPERVISOR_xen_version, cmd, arg);
}
static inline int HYPERVISOR_vcpu_op(int cmd, unsigned vcpu, void *arg) {
  return (int)KIT_HYPERCALL3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}
// set_timer_op(uint64_t deadline): the 64-bit system time in EBX (low) and ECX (high) on x86_32.
static inline int HYPERVISOR_set_timer_op(uint64_t deadline) {
  return (int)KIT_HYPERCALL2(__HYPERVISOR_set_timer_op, (uint32_t)deadline, (uint32_t)(deadline >> 32));
}
static inline int HYPERVISOR_set_callbacks(unsigned event_cs, void (*event)(void), unsigned failsafe_cs,
                                           void (*failsafe)(void)) {
  return (int)KIT_HYPERCALL4(__HYPERVISOR_set_callbacks, event_cs, event, failsafe_cs, failsafe);
}

// What the PV start of day found (pv/start_of_day.c): the domain builder's start_info (copied), the
// phys-to-machine list, and the shared-info page the kit mapped.
extern start_info_t kit_start_info;
extern const uint32_t *kit_p2m;
extern volatile struct shared_info *kit_shared_info;

// Frame translation: pseudo-physical frames (what the kit calls physical) to machine frames through the
// domain's P2M list, and back through Xen's M2P table.
static inline uint32_t pfn_to_mfn(uint32_t pfn) { return kit_p2m[pfn]; }
static inline uint32_t mfn_to_pfn(uint32_t mfn) { return KIT_M2P[mfn]; }
// The machine address of a kernel virtual address in identity-mapped RAM.
static inline uint64_t virt_to_machine(const void *va) {
  uint32_t v = (uint32_t)va;
  return ((uint64_t)pfn_to_mfn(v >> 12) << 12) | (v & 0xfff);
}
