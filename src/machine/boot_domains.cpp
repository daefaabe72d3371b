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

// Reads and checks a later domain's kernel (every domain's but the first, which main.cpp has read).
bool read_kernel(const hv::DomainSpec& spec, BootImage& img, ImageKind& kind, std::string& error) {
  std::string why;
  auto bytes = read_input_file(spec.kernel, kMaxImageBytes, why);
  if (!bytes) return error = why, false;
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
  kind = std::move(*kk);
  return true;
}

// Every line of domain `d`'s console prefixed with its id.
void attach_console(DomainSet& set, hv::Hypervisor& d) {
  set.consoles.push_back(std::make_unique<PrefixedConsole>(PrefixedConsole{d.domain().id.value, set.console_sink}));
  d.set_console_sink(&PrefixedConsole::write, set.consoles.back().get());
  d.set_log_sink(set.log_sink, set.log_context);
}

// The lowest run of `n` free machine frames in [from, end), as a first-fit allocator finds it: frames a
// destroyed domain gave back are found again.
std::optional<u32> free_run(const hv::FrameTable& ft, u32 from, u32 end, u32 n) {
  u32 run = 0;
  for (u32 f = from; f < end; ++f) {
    const hv::FrameInfo& i = ft.info(hv::Mfn{f});
    run = (i.owner == hv::kNoOwner && !i.allocated && i.ref_count == 0) ? run + 1 : 0;
    if (run == n) return f + 1 - n;
  }
  return std::nullopt;
}

}  // namespace

i32 DomainSet::create_domain(void* self, const std::string& spec) {
  auto& set = *static_cast<DomainSet*>(self);
  hv::DomainScheduler& sched = *set.scheduler;
  const PendingKernel* k = nullptr;
  for (const PendingKernel& p : set.pending)
    if (p.spec == spec) k = &p;
  if (!k) return -xen::err::kEINVAL;  // every step's kernel was read before the run
  const u32 pages = k->parsed.memory_mib ? *k->parsed.memory_mib * 256 : set.share;
  hv::Hypervisor& first = sched.domain(0);
  const std::optional<u32> at = free_run(first.frames(), hv::kFirstDomainFrame, set.frames_end, pages);
  const u32 shared = set.shared_top - 1 - set.built;
  if (!at || first.frames().info(hv::Mfn{shared}).owner != hv::kNoOwner) return -xen::err::kENOMEM;
  hv::Hypervisor& d = sched.create(k->parsed.sched);
  hv::PvBootConfig b;
  b.cmdline = k->image.cmdline;
  b.first_mfn = *at;
  b.end_mfn = *at + pages;
  b.nr_pages = pages;
  b.shared_mfn = shared;
  b.enter = false;
  std::string why;
  const auto boot = hv::build_pv_domain(d, k->image.bytes, *k->kind.elf, *k->kind.xen, b, why);
  if (!boot) {
    const std::string line = fmt::format("(XEN) domain {} from '{}' not built: {}\n", d.domain().id.value, spec, why);
    if (set.log_sink) set.log_sink(set.log_context, line.data(), line.size());
    sched.abandon(d);
    return -xen::err::kEINVAL;
  }
  ++set.built;
  sched.describe(d, k->parsed.kernel, pages);
  attach_console(set, d);
  sched.started_paused(d, boot->cr3, boot->entry, boot->stack_top, boot->start_info);
  return d.domain().id.value;
}

bool boot_domains(System& sys, DomainSet& set, const BootImage& image, const ImageKind& kind,
                  const std::vector<hv::DomainSpec>& specs, const hv::BvtConfig& bvt,
                  std::vector<hv::ControlEvent> control, const PvPlatformOptions& o, std::string& error) {
  // The kernels of the create steps, read now; each step's domain also gets a shared-info frame and, without
  // memory=, an equal share of the frames, as the domains given at the start do.
  std::string why;
  for (const hv::ControlEvent& e : control) {
    if (e.op != hv::ControlEvent::Op::Create) continue;
    PendingKernel p;
    p.spec = e.spec;
    auto parsed = hv::parse_domain_spec(e.spec, why);
    if (!parsed) return error = why, false;
    p.parsed = std::move(*parsed);
    if (!read_kernel(p.parsed, p.image, p.kind, why)) return error = "--control create: " + why, false;
    set.pending.push_back(std::move(p));
  }
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
  const DomainFrames frames = domain_frames(first, n + static_cast<u32>(set.pending.size()));
  const u32 reserved = first.space().first_reserved_frame();
  set.frames_end = frames.top;
  set.share = frames.share;
  set.shared_top = reserved;
  set.console_sink = o.console_sink;
  set.log_sink = o.log_sink;
  set.log_context = o.log_context;

  hv::PvBootConfig boot;
  boot.cmdline = image.cmdline;
  boot.first_mfn = hv::kFirstDomainFrame;
  boot.end_mfn = frames.top;
  boot.nr_pages = pages_of(specs[0], frames);
  boot.shared_mfn = reserved - 1;
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
    BootImage img;
    ImageKind kk;
    if (!read_kernel(spec, img, kk, why)) return error = why, false;
    hv::Hypervisor& d = sched.create(spec.sched);
    hv::PvBootConfig b;
    b.cmdline = img.cmdline;
    b.first_mfn = next;
    b.end_mfn = frames.top;
    b.nr_pages = pages_of(spec, frames);
    b.shared_mfn = reserved - 1 - k;
    if (!hv::build_pv_domain(d, img.bytes, *kk.elf, *kk.xen, b, why))
      return error = fmt::format("'{}' (domain {}): {}", spec.kernel, k + 1, why), false;
    sched.added(d);
    sched.describe(d, spec.kernel, b.nr_pages);
    next += b.nr_pages;
  }
  set.built = n;
  for (u32 i = 0; i < sched.count(); ++i) attach_console(set, sched.domain(i));
  // Every domain's devices, before any of them runs: each vif on the one switch, each served by a back end
  // of its own over its domain's grants and event channels.
  std::vector<hv::Hypervisor*> others;
  for (u32 i = 1; i < sched.count(); ++i) others.push_back(&sched.domain(i));
  if (!attach_devices(sys, others, o, error)) return false;
  set.io = sys.io.get();
  // A destroyed domain's back ends let go of it before its grants and frames go back.
  if (set.io)
    sched.set_observer(hv::DomainObserver{nullptr,
                                          [](void* io, hv::Hypervisor& d) {
                                            static_cast<hv::IoDevices*>(io)->domain_destroyed(d.domain().id.value);
                                          },
                                          set.io});
  sched.set_control(std::move(control));
  sched.set_factory(hv::DomainFactory{&DomainSet::create_domain, &set});
  sched.start();
  return true;
}

}  // namespace ring1
