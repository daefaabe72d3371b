// user.h: running code in ring 3. A user task is code and data compiled from a guest's USER_SOURCES (mapped
// user-accessible at start of day) and a user stack; it enters the kernel with `int 0x80` system calls
// (include/kit/syscall.h on the user side), faults, and interrupts. The kernel provides the system-call table.
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "kit/trap.h"

// A system call: the number in EAX selects the table entry, which reads its arguments from the caller's saved
// EBX, ECX, EDX, ESI, EDI (Linux's i386 convention) in the frame; its return value goes back in EAX.
typedef int32_t (*syscall_fn)(struct trap_frame *frame);
#define SYSCALL_ENOSYS (-38)  // returned for a number past the table or with no entry (Linux's -ENOSYS)

// Installs table[0..count) as the system calls and opens vector 0x80 to ring 3 (a DPL-3 gate).
void syscalls_install(const syscall_fn *table, unsigned count);

// Whether ring 3 may read (or, with write, write) every byte of [va, va + len): what a system call checks
// before it touches a buffer a user task passed it.
bool user_range_ok(uint32_t va, uint32_t len, bool write);

// Maps pages fresh user-writable frames below stack_top and returns stack_top, a user task's initial ESP.
uint32_t user_stack_map(uint32_t stack_top, unsigned pages);

// Runs a user task from entry with ESP = stack, in ring 3 with interrupts enabled, and returns the status it
// ends with (user_exit). Traps from ring 3 run on the stack user_run was called on.
int32_t user_run(void (*entry)(void), uint32_t stack);
// From a system call or trap handler of the running user task: ends it, making user_run return status.
void user_exit(int32_t status) __attribute__((noreturn));
