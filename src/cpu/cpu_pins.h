// What a device sees of the processor: its clock (cpu_clock.h) and its pins — the INTR line with the
// interrupt controller behind it, the NMI input, the local APIC's base MSR, and the machine's stop request.
// Devices (the PIC, the APIC, isa-debug-exit, port 0x92, the PC platform) hold a CpuPins&, never the whole
// Cpu (cpu.h, which implements it), so that nothing of the interpreter is in a device's reach.
#pragma once
#include <string_view>

#include "common/types.h"
#include "cpu/cpu_clock.h"
#include "cpu/msr.h"
#include "cpu/stop_reason.h"

namespace ring1 {

// The interrupt controller's side of the INTR line (the PIC): plain function pointers and a context, so the
// CPU needs no device headers. `pending` says whether a maskable interrupt is waiting; `acknowledge` is the
// INTA cycle and returns its vector. A device that raises a line calls interrupt_requested() so the run loop
// looks at the next instruction boundary.
// `wake_blocked` answers, for a CPU halted with IF = 1, why no interrupt that a timed event raises could
// reach INTR (its line masked, the controller never initialised...), or null when one could; a null
// function means "one could". With nothing able to wake it, HLT ends the run (StopReason::Halted).
struct InterruptController {
  bool (*pending)(void* context) = nullptr;
  u8 (*acknowledge)(void* context) = nullptr;
  void* context = nullptr;
  const char* (*wake_blocked)(void* context) = nullptr;
};

// The pins view of the Cpu: an empty base class of it, like CpuClock, whose calls are the Cpu's inline
// operations of the same names behind one out-of-line call (cpu.cpp). Only the Cpu derives from it.
class CpuPins : public CpuClock {
 public:
  // A device raised an interrupt line: the run loop asks the controller at the next instruction boundary
  // where IF = 1 and no shadow is in force.
  void interrupt_requested();
  // The NMI input (SDM vol. 3, 6.7): latched, delivered through vector 2 at the next boundary outside an
  // interrupt shadow, whatever IF says.
  void raise_nmi();
  // Connects the controller behind INTR and returns the one it replaces (the local APIC takes the line and
  // passes the PIC's requests on, as the virtual-wire mode does). {}: none.
  InterruptController attach_interrupt_controller(const InterruptController& controller);
  // Connects the local APIC's base MSR (IA32_APIC_BASE, CPUID's APIC flag); {}: the CPU has no APIC.
  void attach_apic(const ApicLink& apic);

  // Ends the current run after the instruction being executed retires (isa-debug-exit).
  void request_stop(StopReason why);
  // Ends the run with StopReason::NotModelled: the guest used `feature`, which ring1 does not model. The
  // message names it and the guest's EIP.
  void not_modelled(std::string_view feature);

 protected:
  CpuPins() = default;
  ~CpuPins() = default;
};

}  // namespace ring1
