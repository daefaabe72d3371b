// Booting a guest on the platform its image asks for (see boot.h).
#include "machine/boot.h"

#include <fmt/format.h>

#include "devices/firmware_state.h"
#include "hypervisor/domain_builder.h"
#include "machine/exit_status.h"

namespace ring1 {

std::optional<ImageKind> classify_image(const BootImage& image, std::string& error) {
  ImageKind kind;
  if (!image.load_addr && !image.rom) {
    std::string why;
    kind.elf = parse_elf32(image.bytes, why);
    if (!kind.elf) {
      error = fmt::format("'{}': {}", image.path, why);
      return std::nullopt;
    }
    kind.xen = hv::read_xen_guest_info(*kind.elf, image.bytes, why);
    if (!why.empty()) {
      error = fmt::format("'{}': {}", image.path, why);
      return std::nullopt;
    }
  }
  if (image.force_pv && !kind.xen) {
    error = fmt::format("--pv: '{}' {}", image.path, hv::kNotAPvKernel);
    return std::nullopt;
  }
  kind.pv = kind.xen && (image.force_pv || !find_multiboot_header(image.bytes));
  return kind;
}

int System::exit_status(StopReason why, bool killed) const {
  return run_exit_status(why, killed, guest_exit(), hypervisor.get());
}

bool boot_pv(System& sys, const BootImage& image, const ImageKind& kind, const PvPlatformOptions& o,
             std::string& error) {
  try {
    sys.hypervisor = std::make_unique<hv::Hypervisor>(sys.machine->cpu(), true, o.layout);
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  hv::Hypervisor& hyp = *sys.hypervisor;
  hyp.set_console_sink(o.console_sink, nullptr);
  hyp.set_console_input(o.console_input);
  hyp.set_log_sink(o.log_sink, o.log_context);
  // Virtual time runs on the modelled clock; the wall clock's epoch is the CMOS clock's (--rtc).
  hyp.set_clock(o.cpu_hz, o.wallclock_epoch);
  hv::PvBootConfig boot;
  boot.cmdline = image.cmdline;
  boot.nr_pages = o.nr_pages;
  std::string why;
  if (!hv::build_pv_domain(hyp, image.bytes, *kind.elf, *kind.xen, boot, why)) {
    error = fmt::format("'{}': {}", image.path, why);
    return false;
  }
  return attach_devices(sys, {}, o, error);
}

bool attach_devices(System& sys, const std::vector<hv::Hypervisor*>& others, const PvPlatformOptions& o,
                    std::string& error) {
  // The devices, as xl's disk and vif lines make them (hypervisor/io_devices.h), published in the store.
  hv::IoConfig devices;
  devices.pcap = o.vif_pcap;
  for (const std::string& d : o.disks)
    if (!hv::parse_disk_spec(d, devices.disks.emplace_back(), error)) return false;
  for (const std::string& v : o.vifs)
    if (!hv::parse_vif_spec(v, devices.vifs.emplace_back(), error)) return false;
  if (devices.disks.empty() && devices.vifs.empty()) return true;
  sys.io = std::make_unique<hv::IoDevices>(*sys.hypervisor);
  for (hv::Hypervisor* d : others) sys.io->add_domain(*d);
  return sys.io->configure(devices, error) && sys.io->publish(error);
}

bool boot_native(System& sys, BootImage& image, const PcOptions& pc, const std::vector<MultibootModule>& modules,
                 std::string& error) {
  Machine& m = *sys.machine;
  Cpu& cpu = m.cpu();
  try {
    sys.platform.emplace(cpu, cpu.mmu(), m.ports(), m.config().memory_bytes, pc);
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  PcPlatform& platform = *sys.platform;
  std::string why;
  if (image.rom) {
    // The ROM at the top of the address space and its last 128 KiB below 1 MiB; the CPU at its power-on
    // state (real mode, CS F000 with base FFFF0000, IP FFF0), the APIC as at reset.
    if (!platform.map_bios(std::move(image.bytes), why)) {
      error = fmt::format("--bios '{}': {}", image.path, why);
      return false;
    }
    cpu.reset_power_on();
    platform.apic().reset();
    return true;
  }
  if (image.load_addr) {
    // A raw image runs in flat 32-bit protected mode at CPL 0, with the stack at the top of RAM.
    m.ram().write_bytes(*image.load_addr, image.bytes.data(), u32(image.bytes.size()));
    cpu.reset_flat32();
    cpu.eip = image.entry.value_or(*image.load_addr);
    cpu.gpr[ESP] = u32(m.config().memory_bytes & ~u64(15));
  } else {
    // QEMU hands a multiboot kernel "KERNEL-FILE ARGS" as its command line (hw/i386/multiboot.c), as GRUB
    // passes the kernel's path first; ring1 does the same, so a kernel prints the same on both.
    if (!load_multiboot(m.ram(), cpu, image.bytes, fmt::format("{} {}", image.path, image.cmdline), why, modules)) {
      error = fmt::format("'{}': {}", image.path, why);
      return false;
    }
    if (image.entry) cpu.eip = *image.entry;
  }
  // A kernel is started as firmware leaves the machine (SeaBIOS under QEMU): the APIC software-enabled
  // with LINT0 as the 8259A's virtual wire.
  platform.apic().firmware_setup();
  if (image.firmware_state && !apply_firmware_state(m.ports(), m.ram())) {
    error = "--firmware-state needs at least 1 MiB of RAM (its interrupt stubs are at 0xFFF00)";
    return false;
  }
  return true;
}

}  // namespace ring1
