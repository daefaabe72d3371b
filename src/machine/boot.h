// Booting a guest: the composition root's half that chooses the platform for an image and puts the guest on
// it. An ELF image with Xen notes (or __xen_guest) boots as a PV kernel under the hypervisor; a multiboot
// kernel, a raw binary at --load-addr or a ROM at the reset vector boots on the bare PC with its devices.
// cli/run_command.cpp checks the options and hands the result here; nothing here reads the command line.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loaders/elf32.h"
#include "loaders/multiboot_loader.h"
#include "devices/pc_platform.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/io_devices.h"
#include "loaders/xen_elf_notes.h"
#include "machine/machine.h"

namespace ring1 {

// The image and how the user asked to start it.
struct BootImage {
  std::string path;  // for messages, and the start of a multiboot kernel's command line (as QEMU gives it)
  std::vector<u8> bytes;
  bool rom = false;  // --bios: a ROM started at F000:FFF0
  std::optional<u32> load_addr, entry;
  std::string cmdline;
  bool force_pv = false;  // --pv: boot under the hypervisor even if the image is also a multiboot kernel
  // --firmware-state: a loaded kernel starts with the PICs, PIT and IVT as SeaBIOS leaves them
  // (devices/firmware_state.h).
  bool firmware_state = false;
};

// What the image is: its ELF headers and Xen notes when it has them, and whether it boots paravirtualised.
struct ImageKind {
  std::optional<Elf32Image> elf;
  std::optional<hv::XenGuestInfo> xen;
  bool pv = false;
};

// Reads an ELF image's headers and Xen notes (a ROM or raw image has none) and chooses the platform: a Xen
// PV kernel boots under the hypervisor, a multiboot kernel on the bare PC unless --pv asks for the
// hypervisor (an image may carry both entries). nullopt with `error` set for an image that cannot boot.
std::optional<ImageKind> classify_image(const BootImage& image, std::string& error);

// How the hypervisor of a PV run is set up and where its console goes.
struct PvPlatformOptions {
  hv::Layout layout = hv::Layout::Shared;
  u32 nr_pages = 0;  // 0: all the RAM the hypervisor leaves
  u64 cpu_hz = PcOptions::kDefaultCpuHz;
  i64 wallclock_epoch = 0;  // the wall clock's start, in seconds since 1970 (the CMOS clock's)
  void (*console_sink)(void*, const char*, std::size_t) = nullptr;
  int (*console_input)() = nullptr;
  void (*log_sink)(void*, const char*, std::size_t) = nullptr;
  void* log_context = nullptr;
  // The devices (xl's disk and vif lines): --disk FILE[,ro], --vif [domain=N][,mac=MAC], --vif-pcap FILE.
  std::vector<std::string> disks, vifs;
  std::string vif_pcap;
};

// The machine with its platform: exactly one of `platform` (the native PC) and `hypervisor` (PV).
struct System {
  std::unique_ptr<Machine> machine;
  std::optional<PcPlatform> platform;
  std::unique_ptr<hv::Hypervisor> hypervisor;
  std::unique_ptr<hv::IoDevices> io;  // PV: the back ends, the switch and the pcap file (before the hypervisor goes)

  std::optional<u64> guest_exit() const { return platform ? platform->exit_status() : std::nullopt; }
  // ring1's exit status for a run of this system that ended with `why` (machine/exit_status.h).
  int exit_status(StopReason why, bool killed) const;
};

// Builds the hypervisor on `sys.machine` and the PV domain from the image. False with `error` set.
bool boot_pv(System& sys, const BootImage& image, const ImageKind& kind, const PvPlatformOptions& o,
             std::string& error);

// The run's devices (PvPlatformOptions' disks, vifs and pcap file) on the hypervisor of `sys` (domain 1) and
// the domains `others`, published in the store; nothing if there are none. False with `error` set.
bool attach_devices(System& sys, const std::vector<hv::Hypervisor*>& others, const PvPlatformOptions& o,
                    std::string& error);

// Builds the PC's devices on `sys.machine` and loads the image: a ROM at the reset vector, a raw binary in
// flat 32-bit protected mode, or a multiboot kernel with its modules. False with `error` set.
bool boot_native(System& sys, BootImage& image, const PcOptions& pc, const std::vector<MultibootModule>& modules,
                 std::string& error);

}  // namespace ring1
