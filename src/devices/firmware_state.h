// The state SeaBIOS leaves QEMU's PC in when it hands over to a loaded kernel (--firmware-state): the 8259A
// pair initialised with vector bases 0x08 and 0x70, the PIT's channel 0 at the BIOS's 18.2 Hz, and a real-
// mode interrupt vector table whose hardware-interrupt entries acknowledge the PIC and return. ring1 has no
// BIOS; this is the part of one that a kernel which drops back to real mode and waits in HLT relies on.
#pragma once
#include "mmu/port_bus.h"
#include "mmu/physical_memory.h"

namespace ring1 {

// Where the interrupt stubs live: the top of the BIOS segment F000, which is RAM on ring1's PC.
inline constexpr u32 kFirmwareStubs = 0xFFF00;

// Programs the PICs and the PIT through their ports, as SeaBIOS's pic_setup/pit_setup and its enable_hwirq
// calls do on QEMU's isapc machine, and writes the IVT (256 vectors at 0) and its stubs to RAM. The masks
// are what QEMU's `info pic` shows after SeaBIOS: master 0xB8 (IRQs 0, 1, 2 and 6 open), slave 0x8E (IRQs
// 8, 12, 13 and 14 open). false when RAM does not reach the stubs (below 1 MiB).
bool apply_firmware_state(PortBus& ports, PhysicalMemory& ram);

}  // namespace ring1
