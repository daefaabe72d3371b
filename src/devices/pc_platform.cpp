#include "devices/pc_platform.h"

#include <stdexcept>

namespace ring1 {

PcPlatform::PcPlatform(Cpu& cpu, PortBus& ports, u64 ram_bytes, PcOptions options)
    : cpu_(cpu),
      ports_(ports),
      options_(std::move(options)),
      pic_(cpu),
      pit_(cpu, pic_.line(0), options_.cpu_hz),
      uart_(ByteSink{&put_console, this}, ByteSource{&get_serial, this}, pic_.line(Uart16550::kCom1Irq)),
      debugcon_(ByteSink{&put_console, this}),
      debug_exit_(cpu),
      rtc_(cpu, options_.cpu_hz, options_.rtc, ram_bytes) {
  if (options_.cpu_hz == 0) throw std::invalid_argument("the CPU frequency must be positive");
  // Two devices on one port would be a wiring bug: the bus refuses, and so does the platform.
  if (!pic_.attach(ports) || !pit_.attach(ports) || !uart_.attach(ports) || !debugcon_.attach(ports) ||
      !debug_exit_.attach(ports) || !rtc_.attach(ports))
    throw std::logic_error("PC platform: a device's ports are already claimed");
  pic_.install();
  pic_.set_timed_lines(1u << 0);  // the PIT's channel 0; nothing else raises a line while the CPU halts
  pit_.install();
}

// The CPU keeps plain pointers into the platform: take them back so a later run cannot call a dead one.
PcPlatform::~PcPlatform() {
  cpu_.interrupt_controller = {};
  cpu_.event_hook = {};
  cpu_.schedule_event(~Cycles(0));
  ports_.detach(0x20, 2);
  ports_.detach(0xA0, 2);
  ports_.detach(0x40, 4);
  ports_.detach(0x61, 1);
  ports_.detach(Uart16550::kCom1Base, 8);
  ports_.detach(DebugCon::kPort, 1);
  ports_.detach(DebugExit::kPort, DebugExit::kPorts);
  ports_.detach(0x70, 2);
}

void PcPlatform::put_console(void* self, u8 byte) {
  auto* p = static_cast<PcPlatform*>(self);
  if (p->options_.console) p->options_.console(byte);
  else p->captured_ += char(byte);
}

int PcPlatform::get_serial(void* self) {
  auto* p = static_cast<PcPlatform*>(self);
  return p->options_.serial_input ? p->options_.serial_input() : -1;
}

}  // namespace ring1
