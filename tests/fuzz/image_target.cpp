// The image fuzzing target (see image_target.h), mirroring main.cpp's loading sequence.
#include "image_target.h"

#include <exception>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "loaders/elf32.h"
#include "loaders/multiboot_loader.h"
#include "devices/pc_platform.h"
#include "hypervisor/domain_builder.h"
#include "hypervisor/hypervisor.h"
#include "loaders/xen_elf_notes.h"
#include "machine/machine.h"

namespace ring1::fuzz {

namespace {
// Small enough that a machine per input is cheap (RAM is zeroed when allocated); the test kernels and the
// hypervisor's own frames fit.
constexpr u64 kRam = 8ull << 20;
constexpr u64 kMaxInstructions = 20000;

ImageStats g_stats;

std::string check_stop(StopReason why, const Cpu& c) {
  ++g_stats.ran;
  g_stats.instructions += c.instret;
  if (why == StopReason::Ring1Bug) return "ring1 bug: " + c.host_error();
  return {};
}
}  // namespace

const ImageStats& image_stats() { return g_stats; }

std::string run_image(std::span<const u8> bytes) {
  try {
    if (bytes.empty() || !is_elf(bytes)) return {};  // refused by ring1 run before any parsing
    std::string error;
    auto elf = parse_elf32(bytes, error);
    if (!elf) return {};
    auto xen = hv::read_xen_guest_info(*elf, bytes, error);
    if (!error.empty()) return {};
    MachineConfig cfg;
    cfg.memory_bytes = kRam;
    Machine m(cfg);
    RunLimits lim;
    lim.max_instructions = kMaxInstructions;
    if (xen && !find_multiboot_header(bytes)) {
      hv::Hypervisor hyp(m.cpu(), true, hv::Layout::Shared);
      hv::PvBootConfig boot;
      if (!hv::build_pv_domain(hyp, bytes, *elf, *xen, boot, error)) return {};
      ++g_stats.pv;
      return check_stop(m.cpu().run(lim), m.cpu());
    }
    PcOptions pc;
    pc.console = [](u8) {};
    PcPlatform platform(m.cpu(), m.cpu().mmu(), m.ports(), m.config().memory_bytes, pc);
    if (!load_multiboot(m.ram(), m.cpu(), bytes, "fuzz", error)) return {};
    ++g_stats.multiboot;
    return check_stop(m.cpu().run(lim), m.cpu());
  } catch (const std::exception& e) {
    return fmt::format("uncaught exception: {}", e.what());
  } catch (...) {
    return "uncaught non-standard exception";
  }
}

}  // namespace ring1::fuzz
