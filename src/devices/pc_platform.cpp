#include "devices/pc_platform.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace ring1 {

PcPlatform::PcPlatform(CpuPins& cpu, Mmu& mmu, PortBus& ports, u64 ram_bytes, PcOptions options)
    : cpu_(cpu),
      mmu_(mmu),
      ports_(ports),
      options_(std::move(options)),
      events_(cpu),
      pic_(cpu),
      pit_(cpu, pic_.line(0), options_.cpu_hz),
      uart_(ByteSink{&put_console, this}, ByteSource{&get_serial, this}, pic_.line(Uart16550::kCom1Irq)),
      debugcon_(ByteSink{&put_debugcon, this}),
      debug_exit_(cpu),
      port92_(cpu),
      rtc_(cpu, options_.cpu_hz, options_.rtc, ram_bytes),
      fw_cfg_(ram_bytes),
      apic_(cpu, mmu, events_),
      testdev_(&set_isa_irq, this) {
  if (options_.cpu_hz == 0) throw std::invalid_argument("the CPU frequency must be positive");
  if (options_.debug_exit_size == 0 || u32(options_.debug_exit_base) + options_.debug_exit_size > 0x10000)
    throw std::invalid_argument("isa-debug-exit's ports must lie in 0..0xFFFF and be at least one");
  // Two devices on one port is a wiring bug, or an isa-debug-exit placed over another device's ports.
  if (!pic_.attach(ports) || !pit_.attach(ports) || !uart_.attach(ports) || !debugcon_.attach(ports) ||
      !rtc_.attach(ports) || !fw_cfg_.attach(ports) || !port92_.attach(ports))
    throw std::logic_error("PC platform: a device's ports are already claimed");
  if (!debug_exit_.attach(ports, options_.debug_exit_base, options_.debug_exit_size))
    throw std::invalid_argument("isa-debug-exit's ports overlap another device's");
  if (options_.pc_testdev && !testdev_.attach(ports, mmu))
    throw std::logic_error("PC platform: pc-testdev's ports or memory are already claimed");
  pic_.install();
  pic_.set_timed_lines(1u << 0);  // the PIT's channel 0; nothing else raises a PIC line while the CPU halts
  events_.install();
  pit_.install(events_);
  apic_.install();  // after the PIC: the APIC takes the CPU's controller and keeps the PIC behind LINT0
}

// The CPU keeps plain pointers into the platform: take them back so a later run cannot call a dead one.
PcPlatform::~PcPlatform() {
  cpu_.attach_interrupt_controller({});
  cpu_.attach_event_hook({});
  cpu_.attach_apic({});
  cpu_.schedule_event(~Cycles(0));
  ports_.detach(0x20, 2);
  ports_.detach(0xA0, 2);
  ports_.detach(0x40, 4);
  ports_.detach(0x61, 1);
  ports_.detach(Uart16550::kCom1Base, 8);
  ports_.detach(DebugCon::kPort, 1);
  ports_.detach(options_.debug_exit_base, options_.debug_exit_size);
  ports_.detach(0x70, 2);
  ports_.detach(SystemControlPort::kPort, 1);
  fw_cfg_.detach(ports_);
  if (!bios_.empty()) mmu_.unmap_mmio(bios_base_);
  if (options_.pc_testdev) testdev_.detach(ports_, mmu_);
}

// ISA lines 0-15 are the PIC pair's inputs; 16-23 would be I/O APIC pins, and this PC has no I/O APIC.
void PcPlatform::set_isa_irq(void* self, u8 line, bool level) {
  if (line < 16) static_cast<PcPlatform*>(self)->pic_.set_irq(line, level);
}

bool PcPlatform::map_bios(std::vector<u8> image, std::string& error) {
  const size_t size = image.size();
  if (size < 0x10000 || size > 0x100000 || size % 0x10000) {
    error = fmt::format("a ROM image must be 64 KiB to 1 MiB in whole 64 KiB blocks; this one is {} bytes", size);
    return false;
  }
  if (!bios_.empty()) {
    error = "a ROM is already mapped";
    return false;
  }
  Mmu& mmu = mmu_;
  if (mmu.ram().size() < 0x100000) {
    error = "RAM must reach 1 MiB for the ROM's low alias";
    return false;
  }
  bios_ = std::move(image);
  bios_base_ = u32(0x100000000ull - size);
  if (!mmu.map_mmio({bios_base_, u32(size), nullptr, nullptr, nullptr, bios_.data()})) {
    bios_.clear();
    error = fmt::format("the ROM's window {:#x}..0xffffffff overlaps another device's", bios_base_);
    return false;
  }
  const u32 low = u32(std::min<size_t>(size, kBiosLowAlias));
  mmu.ram().write_bytes(0x100000 - low, bios_.data() + size - low, low);
  return true;
}

void PcPlatform::put_console(void* self, u8 byte) {
  auto* p = static_cast<PcPlatform*>(self);
  if (p->options_.console) p->options_.console(byte);
  else p->captured_ += char(byte);
}

void PcPlatform::put_debugcon(void* self, u8 byte) {
  auto* p = static_cast<PcPlatform*>(self);
  if (p->options_.debugcon) p->options_.debugcon(byte);
  else put_console(self, byte);
}

int PcPlatform::get_serial(void* self) {
  auto* p = static_cast<PcPlatform*>(self);
  return p->options_.serial_input ? p->options_.serial_input() : -1;
}

}  // namespace ring1
