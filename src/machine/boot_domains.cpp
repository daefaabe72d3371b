// Booting several PV domains (see the header).
#include "machine/boot_domains.h"

#include <fmt/format.h>

#include "hypervisor/domain_builder.h"
#include "machine/input_file.h"

namespace ring1 {

void PrefixedConsole::write(void* self, const char* s, std::size_t n) {
  auto* c = static_cast<PrefixedConsole*>(self);
  for (std::size_t i = 0; i < n; ++i) {
    if (c->line_start) {
      const std::string p = fmt::format("(d{}) ", c->id);
      c->sink(nullptr, p.data(), p.size());
    }
    c->sink(nullptr, s + i, 1);
    c->line_start = s[i] == '\n';
  }
}

namespace {

// The frames: one shared-info frame per domain below the hypervisor's; the domains' memory taken in order
// from kFirstDomainFrame up to them, an equal share each unless memory= says otherwise.
struct DomainFrames {
  u32 top = 0;    // the end of the domains' memory
  u32 share = 0;  // pages per domain when memory= is not given
};

DomainFrames domain_frames(const hv::Hypervisor& hv, u32 n) {
  DomainFrames f;
  f.top = hv.space().first_reserved_frame() - n;
  f.share = f.top > hv::kFirstDomainFrame ? (f.top - hv::kFirstDomainFrame) / n : 0;
  return f;
}

u32 pages_of(const hv::DomainSpec& s, const DomainFrames& f) { return s.memory_mib ? *s.memory_mib * 256 : f.share; }

}  // namespace

bool boot_domains(System& sys, DomainSet& set, const BootImage& image, const ImageKind& kind,
                  const std::vector<hv::DomainSpec>& specs, const hv::BvtConfig& bvt,
                  std::vector<hv::ControlEvent> control, const PvPlatformOptions& o, std::string& error) {
  try {
    sys.hypervisor = std::make_unique<hv::Hypervisor>(sys.machine->cpu(), true, o.layout);
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  hv::Hypervisor& first = *sys.hypervisor;
  first.set_console_input(o.console_input);  // stdin feeds domain 1's console only
  first.set_clock(o.cpu_hz, o.wallclock_epoch);
  const u32 n = static_cast<u32>(specs.size());
  const DomainFrames frames = domain_frames(first, n);
  const u32 reserved = first.space().first_reserved_frame();

  hv::PvBootConfig boot;
  boot.cmdline = image.cmdline;
  boot.first_mfn = hv::kFirstDomainFrame;
  boot.end_mfn = frames.top;
  boot.nr_pages = pages_of(specs[0], frames);
  boot.shared_mfn = reserved - 1;
  std::string why;
  if (!hv::build_pv_domain(first, image.bytes, *kind.elf, *kind.xen, boot, why)) {
    error = fmt::format("'{}': {}", image.path, why);
    return false;
  }
  set.scheduler = std::make_unique<hv::DomainScheduler>(first, bvt, specs[0].sched);
  hv::DomainScheduler& sched = *set.scheduler;
  sched.describe(first, specs[0].kernel, boot.nr_pages);
  u32 next = boot.first_mfn + boot.nr_pages;

  for (u32 k = 1; k < n; ++k) {
    const hv::DomainSpec& spec = specs[k];
    auto bytes = read_input_file(spec.kernel, kMaxImageBytes, why);
    if (!bytes) return error = why, false;
    BootImage img;
    img.path = spec.kernel;
    img.bytes = std::move(*bytes);
    img.cmdline = spec.cmdline.value_or("");
    img.force_pv = true;
    if (img.bytes.empty()) return error = fmt::format("'{}' is empty", spec.kernel), false;
    auto kk = classify_image(img, why);
    if (!kk) return error = why, false;
    if (!kk->xen) return error = fmt::format("--domain: '{}' {}", spec.kernel, hv::kNotAPvKernel), false;
    if (img.cmdline.size() >= xen::kMaxGuestCmdline)
      return error = fmt::format("--domain '{}': cmdline of {} bytes; start_info holds at most {}", spec.kernel,
                                 img.cmdline.size(), xen::kMaxGuestCmdline - 1),
             false;
    hv::Hypervisor& d = sched.create(spec.sched);
    hv::PvBootConfig b;
    b.cmdline = img.cmdline;
    b.first_mfn = next;
    b.end_mfn = frames.top;
    b.nr_pages = pages_of(spec, frames);
    b.shared_mfn = reserved - 1 - k;
    if (!hv::build_pv_domain(d, img.bytes, *kk->elf, *kk->xen, b, why))
      return error = fmt::format("'{}' (domain {}): {}", spec.kernel, k + 1, why), false;
    sched.added(d);
    sched.describe(d, spec.kernel, b.nr_pages);
    next += b.nr_pages;
  }
  for (u32 i = 0; i < sched.count(); ++i) {
    hv::Hypervisor& d = sched.domain(i);
    set.consoles.push_back(std::make_unique<PrefixedConsole>(PrefixedConsole{d.domain().id.value, o.console_sink}));
    d.set_console_sink(&PrefixedConsole::write, set.consoles.back().get());
    d.set_log_sink(o.log_sink, o.log_context);
  }
  // Every domain's devices, before any of them runs: each vif on the one switch, each served by a back end
  // of its own over its domain's grants and event channels.
  std::vector<hv::Hypervisor*> others;
  for (u32 i = 1; i < sched.count(); ++i) others.push_back(&sched.domain(i));
  if (!attach_devices(sys, others, o, error)) return false;
  set.io = sys.io.get();
  sched.set_control(std::move(control));
  sched.start();
  return true;
}

}  // namespace ring1
