// Hardware task switching (SDM vol. 3, chapter 7): the processor saves the running task's registers in its
// TSS and loads the next task's from another, through a far JMP or CALL to a TSS descriptor or task gate, an
// interrupt or exception through a task gate, or an IRET with NT = 1. One function does all four, with the
// checks of 7.3 and table 7-1 split where the SDM splits them: those before the old state is saved fault in
// the old task; those after (the new task's LDT, CS, SS and data segments) fault in the new task.
#pragma once
#include "cpu/descriptors.h"

namespace ring1 {

// What started the switch: it decides the busy bits, NT and the back-link (SDM vol. 3, 7.3 steps 5-9,
// table 7-2).
enum class TaskSwitchSource : u8 { Jmp, Call, Iret, Interrupt };

// A task gate's TSS selector and descriptor (vol. 2, JMP/CALL/INT n, TASK-GATE): the selector must be a
// GDT selector within its limit naming an available TSS (#GP(selector + ext)), present (#NP(selector +
// ext)). `ext` is the EXT bit of an event delivered through an IDT task gate (6.13), 0 for JMP/CALL.
Descriptor resolve_task_gate(Cpu& c, const Descriptor& gate, u16& tss_selector, u32 ext);

// Switches to the task of TSS descriptor `tss` (selector `selector`, already checked by the caller for
// type, busy state, DPL and presence). `return_eip` is the EIP saved in the old TSS. For Interrupt,
// `error_code` (when `has_error`) is pushed on the new task's stack after the switch. A fault before the
// save point leaves the old task untouched; after it, c.eip is the new task's EIP, so the run loop and the
// delivery code report and deliver it in the new task. Returns true when the new TSS's T bit is set: the
// caller then raises #DB as a trap (the new task's first instruction has not run; DR6.BT is already set).
bool task_switch(Cpu& c, u16 selector, const Descriptor& tss, TaskSwitchSource source, u32 return_eip,
                 u32 ext = 0, bool has_error = false, u32 error_code = 0);

// True when the descriptor is a TSS (16- or 32-bit), available or busy.
inline bool is_tss(const Descriptor& d) {
  if (d.is_segment()) return false;
  const SystemType t = d.system_type();
  return t == SystemType::Tss16Available || t == SystemType::Tss16Busy || t == SystemType::Tss32Available ||
         t == SystemType::Tss32Busy;
}
inline bool tss_busy(const Descriptor& d) { return d.type() & 2; }

}  // namespace ring1
