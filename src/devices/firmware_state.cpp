// SeaBIOS's hand-over state for a loaded kernel (see the header), built from the PC's own ports and RAM.
#include "devices/firmware_state.h"

#include <array>

namespace ring1 {
namespace {

// The stubs, in 16-bit code. A vector nobody claims returns at once; IRQs 0-7 end with a non-specific EOI
// to the master (SeaBIOS's handle_hwpic1 for a line without a driver), IRQs 8-15 to the slave and then the
// master (handle_hwpic2). ring1 keeps no BIOS data area: the timer's tick count at 0x46C does not advance.
constexpr std::array<u8, 1> kIret = {0xCF};                                         // iret
constexpr std::array<u8, 7> kEoiMaster = {0x50, 0xB0, 0x20, 0xE6, 0x20, 0x58, 0xCF};  // push ax; mov al, 0x20;
                                                                                    // out 0x20, al; pop ax; iret
constexpr std::array<u8, 9> kEoiBoth = {0x50, 0xB0, 0x20, 0xE6, 0xA0, 0xE6, 0x20, 0x58, 0xCF};  // ... out 0xA0, al;
                                                                                              // out 0x20, al ...
constexpr u32 kIretAt = kFirmwareStubs, kMasterAt = kIretAt + 0x10, kBothAt = kMasterAt + 0x10;

void out(PortBus& ports, u16 port, u8 v) { ports.write(port, 1, v); }

}  // namespace

bool apply_firmware_state(PortBus& ports, PhysicalMemory& ram) {
  if (!ram.contains(kFirmwareStubs, 0x100)) return false;
  ram.write_bytes(kIretAt, kIret.data(), kIret.size());
  ram.write_bytes(kMasterAt, kEoiMaster.data(), kEoiMaster.size());
  ram.write_bytes(kBothAt, kEoiBoth.data(), kEoiBoth.size());
  // IVT entries are offset:segment pairs (SDM vol. 3, 20.1.4); the stubs are at F000:FF00 and after.
  for (u32 v = 0; v < 256; ++v) {
    const u32 at = (v >= 0x08 && v <= 0x0F) ? kMasterAt : (v >= 0x70 && v <= 0x77) ? kBothAt : kIretAt;
    const u32 entry = (0xF000u << 16) | (at - 0xF0000);
    ram.write_bytes(v * 4, &entry, 4);
  }
  // The 8259A pair (pic_reset): ICW1 edge-triggered, cascade, ICW4 needed; ICW2 bases 0x08 and 0x70; ICW3
  // the slave on IR2; ICW4 8086 mode, normal EOI. Then the masks QEMU shows after SeaBIOS on isapc.
  out(ports, 0x20, 0x11);
  out(ports, 0xA0, 0x11);
  out(ports, 0x21, 0x08);
  out(ports, 0xA1, 0x70);
  out(ports, 0x21, 0x04);
  out(ports, 0xA1, 0x02);
  out(ports, 0x21, 0x01);
  out(ports, 0xA1, 0x01);
  out(ports, 0x21, 0xB8);
  out(ports, 0xA1, 0x8E);
  // The PIT's channel 0 (pit_setup): binary, LSB then MSB, mode 2, count 0 = 65536 input clocks (18.2 Hz).
  out(ports, 0x43, 0x34);
  out(ports, 0x40, 0x00);
  out(ports, 0x40, 0x00);
  return true;
}

}  // namespace ring1
