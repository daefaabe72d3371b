// The native PC machine (`ring1 run` of an ELF multiboot kernel, a raw binary or a ROM): the devices a kernel
// written for QEMU's `-M pc` with `-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04` talks to,
// built on one CPU, its MMU and the port bus. The local APIC is the CPU's interrupt controller, with the
// PIC pair behind it on LINT0; the PIT and the APIC timer share the CPU's timed-event hook. The platform
// owns the consoles COM1 and port 0xE9 write to, and the exit status the guest asked for.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devices/cmos_rtc.h"
#include "devices/debug_exit.h"
#include "devices/debugcon.h"
#include "devices/fw_cfg.h"
#include "devices/local_apic.h"
#include "devices/pc_testdev.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/system_control_port.h"
#include "devices/timed_events.h"
#include "devices/uart16550.h"
#include "cpu/cpu_pins.h"
#include "mmu/mmu.h"
#include "mmu/port_bus.h"

namespace ring1 {

struct PcOptions {
  // The modelled CPU clock, which turns PIT input clocks and RTC seconds into cycles. 1 GHz: a Pentium
  // III-class clock (the Coppermine reached it in 2000, the default cost profile's part), round so that
  // modelled cycles read as nanoseconds.
  static constexpr u64 kDefaultCpuHz = 1'000'000'000;

  // Where COM1's bytes go. Unset: kept in the platform (console_text()).
  std::function<void(u8)> console;
  // Where port 0xE9's bytes go (QEMU's -debugcon). Unset: the same place as COM1's.
  std::function<void(u8)> debugcon;
  // Where COM1 receives from: the next byte, or -1 when there is none now (never blocking). Unset: no input.
  std::function<int()> serial_input;
  RtcMode rtc = RtcMode::Fixed;
  u64 cpu_hz = kDefaultCpuHz;
  // isa-debug-exit's ports (QEMU's iobase/iosize).
  u16 debug_exit_base = DebugExit::kPort;
  u32 debug_exit_size = DebugExit::kPorts;
  // QEMU's -device pc-testdev (pc_testdev.h).
  bool pc_testdev = false;
};

class PcPlatform {
 public:
  // `cpu`: the processor's clock and pins, which the PIC, PIT, APIC and isa-debug-exit drive; `mmu`: the
  // memory the APIC's registers, the BIOS ROM and pc-testdev's scratch are mapped into.
  PcPlatform(CpuPins& cpu, Mmu& mmu, PortBus& ports, u64 ram_bytes, PcOptions options = {});
  PcPlatform(const PcPlatform&) = delete;
  PcPlatform& operator=(const PcPlatform&) = delete;
  ~PcPlatform();

  // (value << 1) | 1 once the guest wrote to isa-debug-exit.
  std::optional<u64> exit_status() const { return debug_exit_.status(); }
  // The console so far, when no console callback was given (with port 0xE9's bytes when no debugcon
  // callback was given either).
  const std::string& console_text() const { return captured_; }

  Pic8259& pic() { return pic_; }
  Pit8254& pit() { return pit_; }
  Uart16550& uart() { return uart_; }
  CmosRtc& rtc() { return rtc_; }
  LocalApic& apic() { return apic_; }
  FwCfg& fw_cfg() { return fw_cfg_; }
  const PcOptions& options() const { return options_; }

  // QEMU's -bios: a ROM image of 64 KiB to 1 MiB (a multiple of 64 KiB) mapped read-only so that it ends at
  // 0xFFFFFFFF, where the reset vector FFFFFFF0 lies, and its last 128 KiB (or all of a smaller image)
  // copied to RAM so that it ends at 0xFFFFF, as QEMU's isa-bios alias does for real-mode code after the
  // first far jump. false, with a reason, for an image of another size.
  bool map_bios(std::vector<u8> image, std::string& error);
  static constexpr u32 kBiosLowAlias = 128 * 1024;

 private:
  static void put_console(void* self, u8 byte);
  static void put_debugcon(void* self, u8 byte);
  static int get_serial(void* self);
  static void set_isa_irq(void* self, u8 line, bool level);

  CpuPins& cpu_;
  Mmu& mmu_;
  PortBus& ports_;
  PcOptions options_;
  std::string captured_;
  TimedEvents events_;
  Pic8259 pic_;
  Pit8254 pit_;
  Uart16550 uart_;
  DebugCon debugcon_;
  DebugExit debug_exit_;
  SystemControlPort port92_;
  CmosRtc rtc_;
  FwCfg fw_cfg_;
  LocalApic apic_;
  PcTestdev testdev_;
  std::vector<u8> bios_;  // the ROM window's bytes (Mmu::map_mmio keeps a pointer to them)
  u32 bios_base_ = 0;
};

}  // namespace ring1
