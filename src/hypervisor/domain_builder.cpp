// Building a PV domain (see the header).
#include "hypervisor/domain_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/internal_error.h"

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

std::optional<PvBoot> build_pv_domain(Hypervisor& hv, std::span<const u8> image, const Elf32Image& elf,
                                      const XenGuestInfo& guest, const PvBootConfig& cfg, std::string& error) {
  auto fail = [&](std::string msg) -> std::optional<PvBoot> {
    error = std::move(msg);
    return std::nullopt;
  };
  // ---- what the kernel asks for ----
  // Messages name where a value came from: an ELF note or the legacy __xen_guest string.
  const bool legacy = guest.source == XenGuestInfo::Source::XenGuestString;
  if (guest.needs_pae())
    return fail(fmt::format("a PAE kernel ({} \"{}\"); ring1 models non-PAE paging only",
                            legacy ? "__xen_guest PAE" : "XEN_ELFNOTE_PAE_MODE", guest.pae_mode));
  // Xen 3.2's elf_xen_note_check: the interface must begin "xen-3.0", and the kernel must be built for the
  // generic loader or be Linux.
  if (guest.xen_version.rfind("xen-3.0", 0) != 0)
    return fail(fmt::format("Xen interface \"{}\" ({}); ring1 implements \"xen-3.0\"", guest.xen_version,
                            legacy ? "__xen_guest XEN_VER" : "XEN_ELFNOTE_XEN_VERSION"));
  if (guest.loader.rfind("generic", 0) != 0 && guest.guest_os.rfind("linux", 0) != 0)
    return fail(fmt::format("loader \"{}\" ({}); ring1, like Xen, loads kernels built for the \"generic\" loader "
                            "or Linux",
                            guest.loader, legacy ? "__xen_guest LOADER" : "XEN_ELFNOTE_LOADER"));
  // Features a kernel may require that change how the domain is built, and that ring1 does not offer.
  for (const char* f : {"!auto_translated_physmap", "!supervisor_mode_kernel"})
    if (("|" + guest.features + "|").find(std::string("|") + f + "|") != std::string::npos)
      return fail(fmt::format("the kernel requires Xen feature {} (FEATURES \"{}\"), which ring1 does not offer", f + 1,
                              guest.features));
  const u32 hv_start = xen::kHypervisorVirtStart;
  if (guest.virt_base % kPage) return fail(fmt::format("VIRT_BASE {:#x} is not page-aligned", guest.virt_base));

  // ---- the kernel's virtual extent ----
  u32 kend = guest.virt_base;
  for (const Elf32Segment& s : elf.loads) {
    const u64 va = u64(s.paddr) - guest.paddr_offset + guest.virt_base;
    if (s.paddr < guest.paddr_offset || va < guest.virt_base || va + s.memsz > hv_start)
      return fail(fmt::format("segment at physical {:#x} ({:#x} bytes) lands outside {:#x}..{:#x}", s.paddr, s.memsz,
                              guest.virt_base, hv_start));
    kend = std::max<u32>(kend, static_cast<u32>(va + s.memsz));
  }
  kend = round_up(kend, kPage);
  const u32 entry = guest.entry.value_or(elf.entry);
  if (entry < guest.virt_base || entry >= kend)
    return fail(fmt::format("entry point {:#x} is outside the kernel ({:#x}..{:#x})", entry, guest.virt_base, kend));
  if (guest.hypercall_page && (*guest.hypercall_page % kPage || *guest.hypercall_page < guest.virt_base ||
                               *guest.hypercall_page >= kend))
    return fail(fmt::format("hypercall page {:#x} is not a page of the kernel image", *guest.hypercall_page));

  // ---- memory: pfn p is machine frame first + p ----
  FrameTable& frames = hv.frames();
  const u32 shared_mfn = hv.space().first_reserved_frame() - 1;
  const u32 first = kFirstDomainFrame;
  const u32 available = shared_mfn > first ? shared_mfn - first : 0;
  const u32 nr_pages = cfg.nr_pages ? cfg.nr_pages : available;
  if (nr_pages > available)
    return fail(fmt::format("{} pages of guest memory asked, {} available", nr_pages, available));

  // ---- the bootstrap layout, in pfn order after the kernel ----
  auto pfn_of = [&](u32 va) { return (va - guest.virt_base) / kPage; };
  const u32 mfn_list = kend;
  const u32 start_info = round_up(mfn_list + nr_pages * 4, kPage);
  const u32 xenstore = start_info + kPage;  // xc_dom_x86.c's order: start info, xenstore, console
  const u32 console = xenstore + kPage;
  const u32 pt_base = console + kPage;
  // Page tables: the directory and one L1 per 4 MB the region spans; the region includes them, the stack
  // and the padding, so count until the number stops changing.
  u32 nr_pt = 1, v_end = 0;
  for (;;) {
    v_end = round_up(pt_base + nr_pt * kPage + kPage + kBootstrapPadding, k4M);
    const u32 l1s = (v_end - (guest.virt_base & ~(k4M - 1))) / k4M;
    if (1 + l1s == nr_pt) break;
    nr_pt = 1 + l1s;
  }
  const u32 stack = pt_base + nr_pt * kPage;
  if (u64(v_end) > hv_start) return fail("the bootstrap region would reach the hypervisor's 64 MB");
  const u32 mapped = pfn_of(v_end);
  if (mapped > nr_pages)
    return fail(fmt::format("the kernel and its bootstrap region need {} pages; the domain has {}", mapped, nr_pages));

  // ---- frames, M2P, and the shared-info page ----
  const DomainId dom = hv.domain().id;
  for (u32 p = 0; p < nr_pages; ++p) {
    if (!frames.assign(Mfn{first + p}, dom)) return fail(fmt::format("machine frame {:#x} is not free", first + p));
    hv.m2p().set(Mfn{first + p}, Pfn{p});
  }
  // shared_info belongs to the domain but to none of its pfns (Xen: share_xen_page_with_guest).
  if (!frames.assign(Mfn{shared_mfn}, dom)) return fail("the shared-info frame is not free");
  PhysicalMemory& ram = hv.ram();
  auto ma_of = [&](u32 va) { return (first + pfn_of(va)) * kPage + (va % kPage); };

  // ---- the kernel ----
  for (const Elf32Segment& s : elf.loads) {
    const u32 va = s.paddr - guest.paddr_offset + guest.virt_base;
    for (u32 off = 0; off < s.memsz;) {
      const u32 n = std::min(s.memsz - off, kPage - (va + off) % kPage);
      if (off < s.filesz) {
        const u32 from_file = std::min(n, s.filesz - off);
        ram.write_bytes(ma_of(va + off), image.data() + s.offset + off, from_file);
        if (from_file < n) {
          std::vector<u8> zero(n - from_file, 0);
          ram.write_bytes(ma_of(va + off + from_file), zero.data(), n - from_file);
        }
      } else {
        std::vector<u8> zero(n, 0);
        ram.write_bytes(ma_of(va + off), zero.data(), n);
      }
      off += n;
    }
  }
  if (guest.hypercall_page) {
    std::vector<u8> page(kPage);
    fill_hypercall_page(page.data());
    ram.write_bytes(ma_of(*guest.hypercall_page), page.data(), kPage);
  }

  // ---- the phys-to-machine list ----
  for (u32 p = 0; p < nr_pages; ++p) {
    const u32 mfn = first + p;
    ram.write_bytes(ma_of(mfn_list + p * 4), &mfn, 4);
  }

  // ---- initial page tables ----
  const u32 l2_mfn = first + pfn_of(pt_base);
  const u32 region_start = guest.virt_base & ~(k4M - 1);
  for (u32 i = 1; i < nr_pt; ++i) {
    const u32 l1_mfn = l2_mfn + i;
    const u32 pde = (l1_mfn << kPageShift) | kL2Prot;
    ram.write_bytes(l2_mfn * kPage + ((region_start >> 22) + i - 1) * 4, &pde, 4);
  }
  for (u32 va = guest.virt_base; va < v_end; va += kPage) {
    const u32 mfn = first + pfn_of(va);
    const bool is_pt = va >= pt_base && va < pt_base + nr_pt * kPage;
    const u32 pte = (mfn << kPageShift) | (is_pt ? (kL1Prot & ~pte::Writable) : kL1Prot);
    const u32 l1_index = (va - region_start) >> 22;
    ram.write_bytes((l2_mfn + 1 + l1_index) * kPage + ((va >> 12) & 1023) * 4, &pte, 4);
  }
  // Validated and pinned as Xen's builder does (MMUEXT_PIN_L2_TABLE), then installed as the base pointer.
  // The builder made these tables itself: a refusal is ring1's bug, not the image's (InternalError, exit 118).
  check_invariant(frames.pin(Mfn{l2_mfn}, dom, FrameType::L2PageTable),
                  "domain builder: the initial page tables it built do not validate");
  check_invariant(hv.mmu_ops().new_guest_cr3(hv.domain(), Mfn{l2_mfn}) == 0,
                  "domain builder: the initial page directory cannot be the base pointer");

  // ---- start_info ----
  xen::StartInfo si{};
  std::memcpy(si.magic, kStartInfoMagic, sizeof(kStartInfoMagic));
  si.nr_pages = nr_pages;
  si.shared_info = shared_mfn * kPage;
  si.console.domU.mfn = first + pfn_of(console);
  // The console's event channel, its far end the hypervisor's console back end (Xen's tools allocate it
  // unbound for xenconsoled, which then binds it).
  const i32 console_port = hv.set_console_ring(si.console.domU.mfn * kPage);
  if (console_port < 0) return fail("no event channel for the console (a ring1 bug)");
  si.console.domU.evtchn = static_cast<u32>(console_port);
  si.store_mfn = first + pfn_of(xenstore);
  // The store's event channel, its far end ring1's minimal store (xenstore_stub.h), where xenstored would be.
  const i32 store_port = hv.set_store_page(si.store_mfn * kPage);
  if (store_port < 0) return fail("no event channel for the xenstore (a ring1 bug)");
  si.store_evtchn = static_cast<u32>(store_port);
  si.pt_base = pt_base;
  si.nr_pt_frames = nr_pt;
  si.mfn_list = mfn_list;
  const std::size_t n = std::min<std::size_t>(cfg.cmdline.size(), xen::kMaxGuestCmdline - 1);
  std::memcpy(si.cmd_line, cfg.cmdline.data(), n);
  ram.write_bytes(ma_of(start_info), &si, sizeof(si));

  // ---- shared_info: events masked at boot, as Xen starts every vCPU ----
  xen::SharedInfo sh{};
  sh.vcpu_info[0].evtchn_upcall_mask = 1;
  sh.arch.max_pfn = nr_pages;
  ram.write_bytes(shared_mfn * kPage, &sh, sizeof(sh));
  hv.attach_shared_info(shared_mfn * kPage);  // vcpu_info[0], the event bitmaps, time and the wall clock

  hv.enter_guest(l2_mfn * kPage, entry, stack + kPage, start_info);

  PvBoot b;
  b.guest = guest;
  b.entry = entry;
  b.nr_pages = nr_pages;
  b.first_mfn = first;
  b.start_info = start_info;
  b.mfn_list = mfn_list;
  b.pt_base = pt_base;
  b.nr_pt_frames = nr_pt;
  b.stack_top = stack + kPage;
  b.bootstrap_end = v_end;
  b.shared_info = shared_mfn * kPage;
  b.console_mfn = si.console.domU.mfn;
  b.store_mfn = si.store_mfn;
  return b;
}

}  // namespace ring1::hv
