// user_return.c: the kit's side of kit/processes.h on both platforms. Enabling the hook swaps the platform's
// trap entry (kit_trap_entry) for one that runs it after the handler, and on the paravirtual platform also
// registers kit_upcall_framed as the event callback; guests that never enable it run the kit's usual paths.
#include "kit/console.h"
#include "kit/processes.h"
#include "pv/pv.h"

void kit_frame_iret(struct trap_frame *frame) __attribute__((noreturn));
void kit_upcall_framed(void);
void kit_upcall_frame(struct trap_frame *frame);

static void (*user_return)(struct trap_frame *frame);

static void native_entry(struct trap_frame *f) {
  trap_dispatch(f);
  if (frame_ring(f) == 3) user_return(f);
}

static volatile struct vcpu_info *vcpu0(void) { return &kit_shared_info->vcpu_info[0]; }

// Unmasks (or keeps masked) the upcall as the interrupted context had it, and makes up for an event that came
// while masked with a cheap hypercall (as platform_pv.c's pv_trap does).
static void pv_restore_mask(uint8_t mask) {
  volatile struct vcpu_info *v = vcpu0();
  v->evtchn_upcall_mask = mask;
  __asm__ volatile("" ::: "memory");
  if (!mask && v->evtchn_upcall_pending) HYPERVISOR_xen_version(0, 0);
}

// pv_trap (platform_pv.c) with the hook between the handler and the way out.
static void pv_entry(struct trap_frame *f) {
  uint8_t saved_mask = (uint8_t)(f->cs >> 16);
  f->cs &= 0xffff;
  trap_dispatch(f);
  if (frame_ring(f) == 3) {
    vcpu0()->evtchn_upcall_mask = 1;  // a direct system call runs unmasked: the hook runs masked, as natively
    user_return(f);
  }
  pv_mmu_send();
  pv_restore_mask(saved_mask);
}

// Called by kit_upcall_framed with upcalls masked.
void kit_upcall_frame(struct trap_frame *f) {
  pv_do_upcall();
  if ((f->cs & 3) == 3) {
    user_return(f);
    pv_mmu_send();
  }
}

void kit_set_user_return(void (*hook)(struct trap_frame *frame)) {
  user_return = hook;
  if (!plat_is_pv()) {
    kit_trap_entry = native_entry;
    return;
  }
  kit_trap_entry = pv_entry;
  int rc = HYPERVISOR_set_callbacks(FLAT_RING1_CS, kit_upcall_framed, FLAT_RING1_CS, failsafe_callback);
  if (rc < 0) panic("set_callbacks: error %d", rc);
}

void kit_trap_return(struct trap_frame *f) {
  if (plat_is_pv()) {
    pv_mmu_send();
    pv_restore_mask(0);  // ring 3 runs with events unmasked
  }
  kit_frame_iret(f);
}
