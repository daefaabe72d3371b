// Booting several PV domains (`ring1 run --domain ... --domain ...`, docs/domains.md): the hypervisor, domain 1
// built as boot_pv builds a lone domain, then domains 2, 3, ... from their own kernels, each with its share of
// the machine's frames and its shared-info frame below the hypervisor's, and the BVT scheduler over them with
// domain 0's control timeline. Each domain's console lines go to the console sink prefixed "(dN) ". The
// options' disks and vifs are attached to the domains they name (attach_devices), all vifs on one switch.
#pragma once
#include <string>
#include <vector>

#include "hypervisor/domain_scheduler.h"
#include "hypervisor/domain_spec.h"
#include "hypervisor/io_devices.h"
#include "machine/boot.h"

namespace ring1 {

// A domain's console when several run: every line prefixed with the domain, as Xen's console prefixes a
// guest's, so that interleaved output says whose it is.
struct PrefixedConsole {
  u16 id;
  void (*sink)(void*, const char*, std::size_t);
  bool line_start = true;
  static void write(void* self, const char* s, std::size_t n);
};

// What a run of several domains owns beyond System: the scheduler (domain 1 is System::hypervisor) and the
// consoles' prefixes.
struct DomainSet {
  std::unique_ptr<hv::DomainScheduler> scheduler;
  std::vector<std::unique_ptr<PrefixedConsole>> consoles;
  // The run's devices (System::io), when there are any: their back ends map grants of domains 2, 3, ...,
  // which the scheduler owns, so they are disconnected (and the pcap file closed) before those go.
  hv::IoDevices* io = nullptr;
  DomainSet() = default;
  DomainSet(const DomainSet&) = delete;
  DomainSet& operator=(const DomainSet&) = delete;
  ~DomainSet() {
    if (io) io->shutdown();
  }
};

// Builds `specs.size()` >= 2 domains on `sys.machine`: domain 1 from `image` (the first spec's kernel, already
// read and classified), the others read from their files here. False with `error` set (one line).
bool boot_domains(System& sys, DomainSet& set, const BootImage& image, const ImageKind& kind,
                  const std::vector<hv::DomainSpec>& specs, const hv::BvtConfig& bvt,
                  std::vector<hv::ControlEvent> control, const PvPlatformOptions& o, std::string& error);

}  // namespace ring1
