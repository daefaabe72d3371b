// The PV hypercall fuzzing target (see hypercall_target.h).
#include "hypercall_target.h"

#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "loaders/elf32.h"
#include "hypervisor/domain_builder.h"
#include "hypervisor/hypervisor.h"
#include "loaders/xen_elf_notes.h"
#include "machine/machine.h"
#include "mutator.h"

namespace ring1::fuzz {

namespace {
constexpr u64 kRam = 8ull << 20;
constexpr u64 kMaxInstructionsPerCall = 20000;

u32 le32(const u8* p) { return u32(p[0]) | u32(p[1]) << 8 | u32(p[2]) << 16 | u32(p[3]) << 24; }

// A booted domain and the places its palettes draw from.
struct Domain {
  std::unique_ptr<Machine> m;
  std::unique_ptr<hv::Hypervisor> hyp;
  hv::PvBoot boot;
  u32 call_site = 0;  // guest virtual address of the `int $0x82`
  u32 scratch = 0;    // guest virtual address of a writable page for request arrays
};

bool boot_domain(const std::vector<u8>& kernel, bool separate, Domain& d, std::string& error) {
  auto elf = parse_elf32(kernel, error);
  if (!elf) return false;
  auto xen = hv::read_xen_guest_info(*elf, kernel, error);
  if (!xen) {
    if (error.empty()) error = "no Xen notes";
    return false;
  }
  MachineConfig cfg;
  cfg.memory_bytes = kRam;
  d.m = std::make_unique<Machine>(cfg);
  d.hyp = std::make_unique<hv::Hypervisor>(d.m->cpu(), true, separate ? hv::Layout::Separate : hv::Layout::Shared);
  auto boot = hv::build_pv_domain(*d.hyp, kernel, *elf, *xen, hv::PvBootConfig{}, error);
  if (!boot) return false;
  d.boot = *boot;
  d.call_site = boot->entry;
  d.scratch = (boot->stack_top - 1) & ~0xFFFu;  // the boot stack's top page
  return true;
}

// The physical address of guest virtual `va` if it is mapped and its frame is not a page table or
// descriptor page (the harness writes there as the guest could, through a writable mapping).
std::optional<u32> writable_phys(Domain& d, u32 va) {
  const Translation t = d.m->mmu().probe(va);
  if (!t.present || !t.writable || !d.m->ram().contains(t.phys, 1)) return std::nullopt;
  const hv::FrameType type = d.hyp->frames().info(hv::Mfn{t.phys >> 12}).type;
  if (hv::is_page_table(type) || type == hv::FrameType::SegDesc) return std::nullopt;
  return t.phys;
}

// A value from palette `sel` (see hypercall_target.h), shaped by `raw`.
u32 palette(const Domain& d, u8 sel, u32 raw) {
  const u32 pages = d.boot.nr_pages ? d.boot.nr_pages : 1;
  const u32 mfn = d.boot.first_mfn + raw % pages;
  const u32 guest_places[] = {d.boot.start_info, d.boot.mfn_list, d.boot.pt_base, d.boot.guest.virt_base,
                              d.boot.entry,      d.boot.stack_top - 4, d.boot.bootstrap_end - 4, d.scratch};
  const u32 huge[] = {0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x10000, 0xFFFF, 0x100000, 0x20000, 1000};
  switch (sel % 12) {
    case 0: return raw;
    case 1: return raw % 9;
    case 2: return d.scratch + (raw % 1024) * 4 % 4096;
    case 3: return guest_places[raw % 8] + (raw >> 8) % 64 * 4;
    case 4: return mfn;
    case 5: return mfn << 12 | ((raw >> 12) & 0xFFC) | (raw >> 30);  // an mmu_update ptr: machine address | cmd
    case 6: return mfn << 12 | ((raw >> 20) & 0xFFF);                 // a page-table entry
    case 7: return 0xFC000000u + raw % 0x4000000u;                    // the hypervisor's 64 MB
    case 8: return huge[raw % 8];
    case 9: return (raw & 1) ? 0x7FF0u : raw % 4;                     // DOMID_SELF or a small domain id
    case 10: return (raw & 0xFFFF) | ((raw & 0x10000) ? 0xE000 : 0);  // selectors, Xen's at 0xe000 up
    default: return u32(-i32(raw % 10));                              // small negative numbers
  }
}
}  // namespace

HypercallTarget::HypercallTarget(std::vector<u8> kernel, bool separate)
    : kernel_(std::move(kernel)), separate_(separate) {}
HypercallTarget::~HypercallTarget() = default;

bool HypercallTarget::usable(std::string& error) {
  Domain d;
  return boot_domain(kernel_, separate_, d, error);
}

std::string HypercallTarget::run(std::span<const u8> input) {
  try {
    Domain d;
    std::string error;
    if (!boot_domain(kernel_, separate_, d, error)) return "the kernel no longer boots: " + error;
    Cpu& c = d.m->cpu();
    const size_t records = std::min(kMaxRecords, input.size() / kRecordBytes);
    for (size_t r = 0; r < records; ++r) {
      const u8* rec = input.data() + r * kRecordBytes;
      if (d.hyp->state() != hv::DomainState::Running || c.cpl != 1) break;
      // The call instruction at the call site, and the scratch page's request words.
      const auto site = writable_phys(d, d.call_site);
      const auto scratch = writable_phys(d, d.scratch);
      if (!site || !scratch) break;
      const u8 call[] = {0xCD, 0x82};  // int $0x82
      d.m->ram().write_bytes(*site, call, 2);
      Rng rng(le32(rec + 30) | u64(le32(rec + 34)) << 32);
      std::vector<u32> words(1024);
      for (u32& w : words) w = palette(d, u8(rng.next()), u32(rng.next()));
      d.m->ram().write_bytes(*scratch, words.data(), 4096);
      // EAX: a hypercall number (mostly the ones that exist), EBX..EDI from the palettes.
      c.gpr[EAX] = rec[0] < 224 ? rec[0] % 40 : le32(rec + 1);
      const Gpr arg_regs[] = {EBX, ECX, EDX, ESI, EDI};
      for (int k = 0; k < 5; ++k) c.gpr[arg_regs[k]] = palette(d, rec[5 + 5 * k], le32(rec + 6 + 5 * k));
      c.eip = d.call_site;
      RunLimits lim;
      lim.max_instructions = kMaxInstructionsPerCall;
      lim.stop_at_eip = d.call_site + 2;
      ++calls_;
      const StopReason why = c.run(lim);
      if (why == StopReason::Ring1Bug) return "ring1 bug: " + c.host_error();
      if (why == StopReason::HostError) return "host error: " + c.host_error();
      if (why == StopReason::Breakpoint && c.eip == d.call_site + 2) {
        ++returned_;
        if (i32(c.gpr[EAX]) < 0) ++errors_;
      }
    }
    if (d.hyp->state() == hv::DomainState::Crashed) ++crashed_;
    return {};
  } catch (const std::exception& e) {
    return fmt::format("uncaught exception: {}", e.what());
  } catch (...) {
    return "uncaught non-standard exception";
  }
}

}  // namespace ring1::fuzz
