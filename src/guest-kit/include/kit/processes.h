// processes.h: what a kernel with many user processes needs from the kit beyond user.h, whose user_run runs one
// task to its end. A process kernel keeps a kernel stack per process and switches between them itself; it needs
// a point where every trap, interrupt and (paravirtual) event upcall that is about to return to ring 3 calls it
// with the interrupted registers, so that it can deliver signals or preempt (Linux's return-to-user work), and a
// way to enter ring 3 for the first time from a frame it built (a forked child, a fresh exec). Linked only into
// guests built with ring1_add_guest(... PROCESSES), so that other guests' code and counts stay as they are.
#pragma once
#include "kit/trap.h"

// From now on, hook(frame) runs whenever a trap or interrupt from ring 3 has been handled and is about to
// return there: natively after the handler (after the PIC's end of interrupt for an IRQ); under the hypervisor
// after the handler of a bounced exception or a direct system call, and after the event upcall when it
// interrupted ring 3 (the kit then registers a second event callback that saves a full struct trap_frame).
// The hook may change the frame or switch to another kernel stack; it runs with interrupts (events) held off.
void kit_set_user_return(void (*hook)(struct trap_frame *frame));

// Leaves the kernel through frame, a ring-3 frame (CS and SS with RPL 3), as the return from a trap does:
// paravirtual: queued page-table updates sent, events unmasked for ring 3; then the registers are popped and
// IRET drops to ring 3. For a process's first entry to ring 3.
void kit_trap_return(struct trap_frame *frame) __attribute__((noreturn));
