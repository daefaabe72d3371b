// What a device sees of the processor: its clock (cpu_clock.h) and its pins — the INTR line with the
// interrupt controller behind it, the NMI input, the local APIC's base MSR, and the machine's stop request.
// Devices (the PIC, the APIC, the PIT, isa-debug-exit, port 0x92) hold a CpuPins&, never the whole Cpu
// (cpu.h, which derives from it), so that nothing of the interpreter is in a device's reach.
#pragma once
#include <string_view>

#include "common/types.h"
#include "cpu/cpu_clock.h"
#include "cpu/msr.h"
#include "cpu/stop_reason.h"

namespace ring1 {

// The interrupt controller's side of the INTR line (the PIC): plain function pointers and a context, so the
// CPU needs no device headers. `pending` says whether a maskable interrupt is waiting; `acknowledge` is the
// INTA cycle and returns its vector. A device that raises a line calls CpuPins::interrupt_requested() so the
// run loop looks at the next instruction boundary.
// `wake_blocked` answers, for a CPU halted with IF = 1, why no interrupt that a timed event raises could
// reach INTR (its line masked, the controller never initialised...), or null when one could; a null
// function means "one could". With nothing able to wake it, HLT ends the run (StopReason::Halted).
struct InterruptController {
  bool (*pending)(void* context) = nullptr;
  u8 (*acknowledge)(void* context) = nullptr;
  void* context = nullptr;
  const char* (*wake_blocked)(void* context) = nullptr;
};

// The pins part of the Cpu (a base class of it: every call here is the inline store it was as a member of the
// Cpu). Only the Cpu constructs one, so a CpuPins is always a Cpu's.
class CpuPins : public CpuClock {
 public:
  InterruptController interrupt_controller;
  ApicLink apic;  // the local APIC, if the machine has one (IA32_APIC_BASE, CPUID's APIC flag)

  // A device raised an interrupt line: the run loop asks the controller at the next instruction boundary
  // where IF = 1 and no shadow is in force.
  void interrupt_requested() {
    irq_requested_ = true;
    stop_at_ = 0;
  }
  // The NMI input (SDM vol. 3, 6.7 and 6.7.1): one request is latched (a second while one is pending is the
  // same request); it is delivered through vector 2 at the next instruction boundary outside an interrupt
  // shadow, whatever IF says, and it ends HLT. From its delivery to the next IRET further NMIs are blocked:
  // a request then stays latched until that IRET. It shares the INTR line's flag, so the run loop's test
  // for interrupts is still one load per stretch.
  void raise_nmi() {
    nmi_pending_ = true;
    interrupt_requested();
  }
  bool nmi_pending() const { return nmi_pending_; }
  bool nmi_blocked() const { return nmi_blocked_; }
  // IRET ends NMI blocking, even an IRET that then faults (SDM vol. 3, 6.7.1; the VMX chapter's "NMI
  // unblocking due to IRET" states the faulting case). A latched NMI is taken at the boundary after it.
  void end_nmi_blocking() {
    if (!nmi_blocked_) return;
    nmi_blocked_ = false;
    if (nmi_pending_) interrupt_requested();
  }

  // Ends the current run after the instruction being executed retires.
  void request_stop(StopReason why) {
    requested_stop_ = why;
    stop_at_ = 0;
  }
  // Ends the run with StopReason::NotModelled: the guest used `feature`, which ring1 does not model. The
  // message names it and the guest's EIP (Cpu::not_modelled, which this calls).
  void not_modelled(std::string_view feature);

 protected:
  explicit CpuPins(const CostProfile& costs) : CpuClock(costs) {}
  ~CpuPins() = default;

  StopReason requested_stop_ = StopReason::None;
  bool irq_requested_ = false;  // a line was raised and the controller has not been found empty since
  bool nmi_pending_ = false;    // an NMI is latched (raise_nmi)
  bool nmi_blocked_ = false;    // an NMI's handler runs: no NMI until the next IRET
};

}  // namespace ring1
