// Building a PV domain (see the header).
#include "hypervisor/domain_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/internal_error.h"
#include "control/xenstore/domain_tree.h"

namespace ring1::hv {
namespace {

constexpr u32 kPage = kPageSize;
constexpr u32 k4M = 1u << 22;
// Xen's builder maps at least 512 KiB past the bootstrap region so the kernel has room to grow its first
// allocations before it builds its own tables (xc_dom_x86.c: "at least 512kB padding").
constexpr u32 kBootstrapPadding = 512 * 1024;
// Bootstrap mappings (xc_dom_x86.c, i386 non-PAE): L1 entries present, writable, accessed (the page-table
// frames themselves read-only); L2 entries also dirty and user, so the L1's own bits decide.
constexpr u32 kL1Prot = pte::Present | pte::Writable | pte::Accessed;
constexpr u32 kL2Prot = pte::Present | pte::Writable | pte::Accessed | pte::Dirty | pte::User;

u32 round_up(u32 v, u32 to) { return (v + to - 1) & ~(to - 1); }

}  // namespace

void fill_hypercall_page(u8* page) {
  std::memset(page, 0xCC, kPage);
  for (u32 nr = 0; nr < kPage / 32; ++nr) {
    u8* p = page + nr * 32;
    u32 n = 0;
    if (nr == xen::hypercall::kIret) p[n++] = 0x50;  // push %eax
    p[n++] = 0xB8;                                   // mov $nr, %eax
    std::memcpy(p + n, &nr, 4);
    n += 4;
    p[n++] = 0xCD;  // int $0x82
    p[n++] = xen::kHypercallVector;
    if (nr != xen::hypercall::kIret) p[n++] = 0xC3;  // ret
  }
}

namespace {

using Fail = std::optional<std::string>;

// ---- what the kernel asks for ----
// Messages name where a value came from: an ELF note or the legacy __xen_guest string.
Fail check_kernel_request(const XenGuestInfo& guest) {
  const bool legacy = guest.source == XenGuestInfo::Source::XenGuestString;
  if (guest.needs_pae())
    return fmt::format("a PAE kernel ({} \"{}\"); ring1 models non-PAE paging only",
                       legacy ? "__xen_guest PAE" : "XEN_ELFNOTE_PAE_MODE", guest.pae_mode);
  // Xen 3.2's elf_xen_note_check: the interface must begin "xen-3.0", and the kernel must be built for the
  // generic loader or be Linux.
  if (guest.xen_version.rfind("xen-3.0", 0) != 0)
    return fmt::format("Xen interface \"{}\" ({}); ring1 implements \"xen-3.0\"", guest.xen_version,
                       legacy ? "__xen_guest XEN_VER" : "XEN_ELFNOTE_XEN_VERSION");
  if (guest.loader.rfind("generic", 0) != 0 && guest.guest_os.rfind("linux", 0) != 0)
    return fmt::format("loader \"{}\" ({}); ring1, like Xen, loads kernels built for the \"generic\" loader "
                       "or Linux",
                       guest.loader, legacy ? "__xen_guest LOADER" : "XEN_ELFNOTE_LOADER");
  // Features a kernel may require that change how the domain is built, and that ring1 does not offer.
  for (const char* f : {"!auto_translated_physmap", "!supervisor_mode_kernel"})
    if (("|" + guest.features + "|").find(std::string("|") + f + "|") != std::string::npos)
      return fmt::format("the kernel requires Xen feature {} (FEATURES \"{}\"), which ring1 does not offer", f + 1,
                         guest.features);
  if (guest.virt_base % kPage) return fmt::format("VIRT_BASE {:#x} is not page-aligned", guest.virt_base);
  return std::nullopt;
}

// ---- the kernel's virtual extent ----
struct KernelExtent {
  u32 end = 0;    // page-rounded end of the loaded segments (virtual)
  u32 entry = 0;
};

Fail kernel_extent(const Elf32Image& elf, const XenGuestInfo& guest, KernelExtent& out) {
  const u32 hv_start = xen::kHypervisorVirtStart;
  u32 kend = guest.virt_base;
  for (const Elf32Segment& s : elf.loads) {
    const u64 va = u64(s.paddr) - guest.paddr_offset + guest.virt_base;
    if (s.paddr < guest.paddr_offset || va < guest.virt_base || va + s.memsz > hv_start)
      return fmt::format("segment at physical {:#x} ({:#x} bytes) lands outside {:#x}..{:#x}", s.paddr, s.memsz,
                         guest.virt_base, hv_start);
    kend = std::max<u32>(kend, static_cast<u32>(va + s.memsz));
  }
  kend = round_up(kend, kPage);
  const u32 entry = guest.entry.value_or(elf.entry);
  if (entry < guest.virt_base || entry >= kend)
    return fmt::format("entry point {:#x} is outside the kernel ({:#x}..{:#x})", entry, guest.virt_base, kend);
  if (guest.hypercall_page && (*guest.hypercall_page % kPage || *guest.hypercall_page < guest.virt_base ||
                               *guest.hypercall_page >= kend))
    return fmt::format("hypercall page {:#x} is not a page of the kernel image", *guest.hypercall_page);
  out = KernelExtent{kend, entry};
  return std::nullopt;
}

// ---- the bootstrap layout, in pfn order after the kernel ----
struct BootstrapLayout {
  u32 mfn_list = 0, start_info = 0, xenstore = 0, console = 0, pt_base = 0;  // virtual addresses
  u32 nr_pt = 0;     // page-table frames: the directory and one L1 per 4 MB the region spans
  u32 stack = 0;     // the boot stack's page
  u32 v_end = 0;     // the end of the mapped region
};

Fail bootstrap_layout(const XenGuestInfo& guest, u32 kend, u32 nr_pages, BootstrapLayout& l) {
  l.mfn_list = kend;
  l.start_info = round_up(l.mfn_list + nr_pages * 4, kPage);
  l.xenstore = l.start_info + kPage;  // xc_dom_x86.c's order: start info, xenstore, console
  l.console = l.xenstore + kPage;
  l.pt_base = l.console + kPage;
  // The region includes the page tables, the stack and the padding, so count until the number of L1s
  // stops changing.
  l.nr_pt = 1;
  for (;;) {
    l.v_end = round_up(l.pt_base + l.nr_pt * kPage + kPage + kBootstrapPadding, k4M);
    const u32 l1s = (l.v_end - (guest.virt_base & ~(k4M - 1))) / k4M;
    if (1 + l1s == l.nr_pt) break;
    l.nr_pt = 1 + l1s;
  }
  l.stack = l.pt_base + l.nr_pt * kPage;
  if (u64(l.v_end) > xen::kHypervisorVirtStart) return std::string("the bootstrap region would reach the hypervisor's 64 MB");
  const u32 mapped = (l.v_end - guest.virt_base) / kPage;
  if (mapped > nr_pages)
    return fmt::format("the kernel and its bootstrap region need {} pages; the domain has {}", mapped, nr_pages);
  return std::nullopt;
}

// Where pfn-relative things land: pfn p is machine frame first + p.
struct DomainMemory {
  PhysicalMemory& ram;
  u32 first;      // the domain's first machine frame
  u32 virt_base;  // the kernel's VIRT_BASE: pfn 0
  u32 pfn_of(u32 va) const { return (va - virt_base) / kPage; }
  u32 mfn_of(u32 va) const { return first + pfn_of(va); }
  u32 ma_of(u32 va) const { return mfn_of(va) * kPage + (va % kPage); }
};

// ---- frames, M2P, and the shared-info page ----
Fail claim_frames(Hypervisor& hv, u32 first, u32 nr_pages, u32 shared_mfn) {
  FrameTable& frames = hv.frames();
  const DomainId dom = hv.domain().id;
  for (u32 p = 0; p < nr_pages; ++p) {
    if (!frames.assign(Mfn{first + p}, dom)) return fmt::format("machine frame {:#x} is not free", first + p);
    hv.m2p().set(Mfn{first + p}, Pfn{p});
  }
  // shared_info belongs to the domain but to none of its pfns (Xen: share_xen_page_with_guest).
  if (!frames.assign(Mfn{shared_mfn}, dom)) return std::string("the shared-info frame is not free");
  return std::nullopt;
}

// ---- the kernel, its zero-filled tail, and the hypercall page ----
void load_kernel(const DomainMemory& mem, std::span<const u8> image, const Elf32Image& elf,
                 const XenGuestInfo& guest) {
  for (const Elf32Segment& s : elf.loads) {
    const u32 va = s.paddr - guest.paddr_offset + guest.virt_base;
    for (u32 off = 0; off < s.memsz;) {
      const u32 n = std::min(s.memsz - off, kPage - (va + off) % kPage);
      if (off < s.filesz) {
        const u32 from_file = std::min(n, s.filesz - off);
        mem.ram.write_bytes(mem.ma_of(va + off), image.data() + s.offset + off, from_file);
        if (from_file < n) {
          std::vector<u8> zero(n - from_file, 0);
          mem.ram.write_bytes(mem.ma_of(va + off + from_file), zero.data(), n - from_file);
        }
      } else {
        std::vector<u8> zero(n, 0);
        mem.ram.write_bytes(mem.ma_of(va + off), zero.data(), n);
      }
      off += n;
    }
  }
  if (guest.hypercall_page) {
    std::vector<u8> page(kPage);
    fill_hypercall_page(page.data());
    mem.ram.write_bytes(mem.ma_of(*guest.hypercall_page), page.data(), kPage);
  }
}

// ---- the phys-to-machine list and the initial page tables ----
// Returns the page directory's machine frame.
u32 write_p2m_and_page_tables(const DomainMemory& mem, const BootstrapLayout& l, u32 nr_pages) {
  for (u32 p = 0; p < nr_pages; ++p) {
    const u32 mfn = mem.first + p;
    mem.ram.write_bytes(mem.ma_of(l.mfn_list + p * 4), &mfn, 4);
  }
  const u32 l2_mfn = mem.mfn_of(l.pt_base);
  const u32 region_start = mem.virt_base & ~(k4M - 1);
  for (u32 i = 1; i < l.nr_pt; ++i) {
    const u32 l1_mfn = l2_mfn + i;
    const u32 pde = (l1_mfn << kPageShift) | kL2Prot;
    mem.ram.write_bytes(l2_mfn * kPage + ((region_start >> 22) + i - 1) * 4, &pde, 4);
  }
  for (u32 va = mem.virt_base; va < l.v_end; va += kPage) {
    const bool is_pt = va >= l.pt_base && va < l.pt_base + l.nr_pt * kPage;
    const u32 pte = (mem.mfn_of(va) << kPageShift) | (is_pt ? (kL1Prot & ~pte::Writable) : kL1Prot);
    const u32 l1_index = (va - region_start) >> 22;
    mem.ram.write_bytes((l2_mfn + 1 + l1_index) * kPage + ((va >> 12) & 1023) * 4, &pte, 4);
  }
  return l2_mfn;
}

// ---- start_info (with the console and store channels) and shared_info ----
Fail write_start_and_shared_info(Hypervisor& hv, const DomainMemory& mem, const BootstrapLayout& l, u32 nr_pages,
                                 u32 shared_mfn, const std::string& cmdline, const std::string& name,
                                 xen::StartInfo& si) {
  si = xen::StartInfo{};
  std::memcpy(si.magic, kStartInfoMagic, sizeof(kStartInfoMagic));
  si.nr_pages = nr_pages;
  si.shared_info = shared_mfn * kPage;
  si.console.domU.mfn = mem.mfn_of(l.console);
  // The console's event channel, its far end the hypervisor's console back end (Xen's tools allocate it
  // unbound for xenconsoled, which then binds it).
  const i32 console_port = hv.set_console_ring(si.console.domU.mfn * kPage);
  if (console_port < 0) return std::string("no event channel for the console (a ring1 bug)");
  si.console.domU.evtchn = static_cast<u32>(console_port);
  si.store_mfn = mem.mfn_of(l.xenstore);
  // The store's event channel, its far end domain 0's store daemon (control/xenstore), which is introduced
  // to the domain's ring; then the domain's entries in the store, as xend writes them.
  const i32 store_port = hv.set_store_page(si.store_mfn * kPage);
  if (store_port < 0) return std::string("no event channel for the xenstore (a ring1 bug)");
  si.store_evtchn = static_cast<u32>(store_port);
  xs::DomainEntries entries;
  entries.domid = hv.domain().id.value;
  entries.name = name.empty() ? fmt::format("domain-{}", entries.domid) : name;
  entries.memory_kib = nr_pages * (kPage / 1024);
  entries.store_mfn = si.store_mfn;
  entries.store_port = si.store_evtchn;
  entries.console_mfn = si.console.domU.mfn;
  entries.console_port = si.console.domU.evtchn;
  const xs::Xenstored::Uncharged setup(hv.store());
  check_invariant(xs::write_domain_entries(hv.store().dom0(), entries) == 0,
                  "domain builder: the store refused the domain's entries");
  si.pt_base = l.pt_base;
  si.nr_pt_frames = l.nr_pt;
  si.mfn_list = l.mfn_list;
  const std::size_t n = std::min<std::size_t>(cmdline.size(), xen::kMaxGuestCmdline - 1);
  std::memcpy(si.cmd_line, cmdline.data(), n);
  mem.ram.write_bytes(mem.ma_of(l.start_info), &si, sizeof(si));

  // Events masked at boot, as Xen starts every vCPU.
  xen::SharedInfo sh{};
  sh.vcpu_info[0].evtchn_upcall_mask = 1;
  sh.arch.max_pfn = nr_pages;
  mem.ram.write_bytes(shared_mfn * kPage, &sh, sizeof(sh));
  hv.attach_shared_info(shared_mfn * kPage);  // vcpu_info[0], the event bitmaps, time and the wall clock
  return std::nullopt;
}

}  // namespace

std::optional<PvBoot> build_pv_domain(Hypervisor& hv, std::span<const u8> image, const Elf32Image& elf,
                                      const XenGuestInfo& guest, const PvBootConfig& cfg, std::string& error) {
  auto failed = [&](Fail f) {
    if (f) error = std::move(*f);
    return f.has_value();
  };
  if (failed(check_kernel_request(guest))) return std::nullopt;
  KernelExtent k;
  if (failed(kernel_extent(elf, guest, k))) return std::nullopt;

  // Memory: pfn p is machine frame first + p.
  const u32 shared_mfn = cfg.shared_mfn ? cfg.shared_mfn : hv.space().first_reserved_frame() - 1;
  const u32 first = cfg.first_mfn ? cfg.first_mfn : kFirstDomainFrame;
  const u32 end = cfg.end_mfn ? cfg.end_mfn : hv.space().first_reserved_frame() - 1;
  const u32 available = end > first ? end - first : 0;
  const u32 nr_pages = cfg.nr_pages ? cfg.nr_pages : available;
  if (nr_pages > available) {
    error = fmt::format("{} pages of guest memory asked, {} available", nr_pages, available);
    return std::nullopt;
  }
  BootstrapLayout l;
  if (failed(bootstrap_layout(guest, k.end, nr_pages, l))) return std::nullopt;
  if (failed(claim_frames(hv, first, nr_pages, shared_mfn))) return std::nullopt;
  hv.domain().tot_pages = hv.domain().max_pages = nr_pages;

  const DomainMemory mem{hv.ram(), first, guest.virt_base};
  load_kernel(mem, image, elf, guest);
  const u32 l2_mfn = write_p2m_and_page_tables(mem, l, nr_pages);
  // Validated and pinned as Xen's builder does (MMUEXT_PIN_L2_TABLE), then installed as the base pointer.
  // The builder made these tables itself: a refusal is ring1's bug, not the image's (InternalError, exit 118).
  check_invariant(hv.frames().pin(Mfn{l2_mfn}, hv.domain().id, FrameType::L2PageTable),
                  "domain builder: the initial page tables it built do not validate");
  check_invariant(hv.mmu_ops().new_guest_cr3(hv.domain(), Mfn{l2_mfn}) == 0,
                  "domain builder: the initial page directory cannot be the base pointer");
  xen::StartInfo si;
  if (failed(write_start_and_shared_info(hv, mem, l, nr_pages, shared_mfn, cfg.cmdline, cfg.name, si))) return std::nullopt;

  if (cfg.enter) hv.enter_guest(l2_mfn * kPage, k.entry, l.stack + kPage, l.start_info);

  PvBoot b;
  b.guest = guest;
  b.entry = k.entry;
  b.nr_pages = nr_pages;
  b.first_mfn = first;
  b.start_info = l.start_info;
  b.mfn_list = l.mfn_list;
  b.pt_base = l.pt_base;
  b.nr_pt_frames = l.nr_pt;
  b.stack_top = l.stack + kPage;
  b.bootstrap_end = l.v_end;
  b.shared_info = shared_mfn * kPage;
  b.console_mfn = si.console.domU.mfn;
  b.store_mfn = si.store_mfn;
  b.cr3 = l2_mfn * kPage;
  return b;
}

}  // namespace ring1::hv
