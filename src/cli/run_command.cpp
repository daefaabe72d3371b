// `ring1 run` (run_command.h), in the order a run goes through: the options are checked (domains, image,
// limits, debugging, memory), the machine is built and the guest booted on it, the instruments and outputs are
// wired, the guest runs, and the report and ring1's exit status close the run. Each stage either hands on to
// the next or ends the run with an exit status (a one-line message on stderr first).
#include "cli/run_command.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/console_file.h"
#include "cli/debug_exit_option.h"
#include "cli/host_console.h"
#include "cli/print_err.h"
#include "common/parse_count.h"
#include "debugger/session.h"
#include "hypervisor/domain_spec.h"
#include "loaders/elf32.h"
#include "machine/boot.h"
#include "machine/boot_domains.h"
#include "machine/exit_status.h"
#include "machine/flush_log.h"
#include "machine/input_file.h"
#include "machine/machine.h"
#include "machine/measure_ports.h"
#include "machine/report.h"

namespace ring1 {
namespace {

using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;
// What a stage returns: nullopt to go on to the next stage, or the exit status the run ends with.
using Outcome = std::optional<int>;
constexpr Outcome kGoOn = std::nullopt;

// Everything one run holds, from the checked options to the report. The members are declared in the order
// the stages create them, so they are destroyed in the reverse order (the instruments before the machine
// they watch, the machine before the trace file it writes to).
struct Run {
  explicit Run(const RunOptions& given) : o(given) {}
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  RunOptions o;  // the options, with --domain's first kernel, cmdline and memory folded in
  // Several domains (--domain, --bvt, --control).
  std::vector<hv::DomainSpec> domain_specs;
  hv::BvtConfig bvt;
  std::vector<hv::ControlEvent> control;
  // The image (or ROM) and the limits.
  bool rom_boot = false;
  std::string image_path;
  std::string read_error;
  std::vector<u8> bytes;
  u64 max_insns = 0, max_cycles = 0, cpu_mhz = 0;  // 0: no limit
  DebugOptions dbg;
  FilePtr trace_file{nullptr, &std::fclose};
  u64 mem = 0;
  // The machine and the guest on it.
  System sys;
  Machine* m = nullptr;
  std::optional<Tracer> boot_tracer;
  FilePtr flush_log_file{nullptr, &std::fclose};
  std::optional<FlushLog> flush_log;
  std::optional<BootImage> boot_image;
  std::optional<ImageKind> kind;
  bool pv = false;
  std::optional<ConsoleFile> serial_out, debugcon_out;
  std::vector<MultibootModule> modules;
  DomainSet domain_set;  // several domains: the scheduler over them (domain 1 is sys.hypervisor)
  FilePtr hv_log_file{nullptr, &std::fclose};
  hv::Hypervisor* hyp = nullptr;
  hv::DomainScheduler* sched = nullptr;
  // The instruments and the outputs of the run.
  std::optional<MeasurePorts> measure;
  RunLimits lim;
  FilePtr report_file{nullptr, &std::fclose};
  // The run itself.
  StopReason why{};
  DebugOutcome dbg_out;
  double wall_seconds = 0;

  // ring1's exit status for a run that ended with `why`: what run_command returns and what the gdb stub
  // reports to a client when the guest ends (its `W` packet).
  int exit_status(StopReason reason, bool killed) const {
    if (sched && reason == StopReason::Requested && sched->any_crashed()) return kExitGuestCrash;
    return sys.exit_status(reason, killed);
  }
};

// --domain, --bvt and --control. With --domain, the first kernel takes IMAGE's place (and every check IMAGE
// gets); the others are built after it (machine/boot_domains.h).
Outcome read_domains(Run& r) {
  RunOptions& o = r.o;
  if (!o.domains.empty()) {
    if (!o.image.empty()) return fail("give the kernels either as IMAGE or as --domain, not both");
    for (const std::string& d : o.domains) {
      std::string error;
      auto spec = hv::parse_domain_spec(d, error);
      if (!spec) return fail(error);
      r.domain_specs.push_back(std::move(*spec));
    }
    if (o.pv_pages) return fail("--pv-pages: with --domain, give each domain its memory=MiB");
    if (r.domain_specs[0].cmdline) {
      if (!o.cmdline.empty()) return fail("--cmdline and the first --domain's cmdline= are both given");
      o.cmdline = *r.domain_specs[0].cmdline;
    }
    if (r.domain_specs.size() > 1 && (o.gdb_port || o.trace.find("hypercall") != std::string::npos))
      return fail("--gdb and --trace hypercall follow one domain; with several domains they are not available");
    if (r.domain_specs.size() == 1 && r.domain_specs[0].memory_mib) o.pv_pages = *r.domain_specs[0].memory_mib * 256;
    o.image = r.domain_specs[0].kernel;
    o.pv = true;
  }
  if (!o.bvt.empty()) {
    if (r.domain_specs.size() < 2) return fail("--bvt applies to several domains (--domain given twice or more)");
    std::string error;
    auto c = hv::parse_bvt_config(o.bvt, error);
    if (!c) return fail(error);
    r.bvt = *c;
  }
  if (!o.control.empty()) {
    if (r.domain_specs.size() < 2)
      return fail("--control applies to several domains (--domain given twice or more)");
    std::string error;
    auto c = hv::parse_control_timeline(o.control, error);
    if (!c) return fail(error);
    r.control = std::move(*c);
  }
  return kGoOn;
}

// IMAGE or --bios: read, non-empty, and not combined with what does not apply to it.
Outcome read_image(Run& r) {
  const RunOptions& o = r.o;
  r.rom_boot = !o.bios.empty();
  if (r.rom_boot && !o.image.empty())
    return fail("--bios boots the ROM at the reset vector: give either an IMAGE or --bios, not both");
  if (!r.rom_boot && o.image.empty()) return fail("an IMAGE to run is required (or --bios ROM)");
  r.image_path = r.rom_boot ? o.bios : o.image;
  auto image = read_input_file(r.image_path, kMaxImageBytes, r.read_error);
  if (!image) return fail(r.read_error);
  r.bytes = std::move(*image);
  if (r.bytes.empty()) return fail(fmt::format("'{}' is empty", r.image_path));
  if (r.rom_boot && (o.load_addr || o.entry || !o.initrd.empty() || !o.cmdline.empty() || o.pv))
    return fail("--bios starts the ROM at F000:FFF0: --load-addr, --entry, --initrd, --cmdline and --pv do not apply");
  if (o.firmware_state && (r.rom_boot || o.pv))
    return fail("--firmware-state stands in for the firmware of a native loaded kernel: not with --bios or --pv");
  return kGoOn;
}

// The counts and the options that only make sense together.
Outcome read_limits(Run& r) {
  const RunOptions& o = r.o;
  // Counts: strictly unsigned, and never 0 (a limit of 0 would read as "no limit" and be ignored).
  const auto max_insns = o.max_instructions.empty() ? std::optional<u64>(0) : parse_count(o.max_instructions, ~u64(0));
  if (!max_insns || (!o.max_instructions.empty() && *max_insns == 0))
    return fail(fmt::format("--max-instructions '{}' is not a count from 1 to 2^64-1", o.max_instructions));
  const auto max_cycles = o.max_cycles.empty() ? std::optional<u64>(0) : parse_count(o.max_cycles, ~u64(0));
  if (!max_cycles || (!o.max_cycles.empty() && *max_cycles == 0))
    return fail(fmt::format("--max-cycles '{}' is not a count from 1 to 2^64-1", o.max_cycles));
  const auto cpu_mhz = parse_count(o.cpu_mhz, 100'000);
  if (!cpu_mhz || *cpu_mhz == 0) return fail(fmt::format("--cpu-mhz '{}' is not a number from 1 to 100000", o.cpu_mhz));
  r.max_insns = *max_insns;
  r.max_cycles = *max_cycles;
  r.cpu_mhz = *cpu_mhz;
  if (o.pv_pages && *o.pv_pages == 0) return fail("--pv-pages 0: a domain needs at least one page");
  if (!o.trace_file.empty() && o.trace.empty()) return fail("--trace-file needs --trace LIST (nothing would be traced)");
  if (o.quiet && o.report != "text" && o.report_file.empty())
    return fail("--report json with --quiet and no --report-file: the report would be written nowhere");
  if (o.pv && o.load_addr) return fail("--pv and --load-addr: a PV kernel is an ELF with Xen notes, not a raw binary");
  if (o.load_addr && !o.cmdline.empty())
    return fail("--cmdline with --load-addr: a raw binary has no boot loader to hand it a command line");
  return kGoOn;
}

// --gdb, --gdb-wait, --trace and --trace-file (the trace file is opened now, so a bad path fails at once).
Outcome read_debugging(Run& r) {
  const RunOptions& o = r.o;
  r.dbg.gdb_port = o.gdb_port;
  r.dbg.gdb_wait = o.gdb_wait;
  if (o.gdb_wait && !o.gdb_port) return fail("--gdb-wait needs --gdb PORT");
  if (!o.trace.empty()) {
    std::string err;
    auto set = parse_trace_set(o.trace, err);
    if (!set) return fail(err);
    r.dbg.trace = *set;
  }
  if (!o.trace_file.empty()) {
    r.trace_file.reset(std::fopen(o.trace_file.c_str(), "w"));
    if (!r.trace_file)
      return fail(fmt::format("cannot write trace to '{}': {}", o.trace_file, std::strerror(errno)));
    r.dbg.trace_out = r.trace_file.get();
  }
  return kGoOn;
}

// --memory, and whether the image fits in it.
Outcome read_memory(Run& r) {
  const RunOptions& o = r.o;
  auto mem = parse_size(o.memory);
  if (!mem) return fail(fmt::format("--memory '{}' is not a size (examples: 128M, 1G, 65536K)", o.memory));
  // A 32-bit PC can address at most 4 GiB; below 1 MiB nothing useful boots. Anything else is a typo.
  if (*mem < (1u << 20) || *mem > (u64(3) << 30))
    return fail(fmt::format("--memory {} is outside 1M..3G", o.memory));
  r.mem = *mem;
  if (o.load_addr && !o.initrd.empty()) return fail("--initrd loads multiboot modules: it needs an ELF multiboot kernel, not --load-addr");
  if (o.load_addr && u64(*o.load_addr) + r.bytes.size() > *mem)
    return fail(fmt::format("'{}' ({} bytes at {:#x}) does not fit in {} of RAM", o.image, r.bytes.size(),
                            *o.load_addr, o.memory));
  if (!r.rom_boot && !o.load_addr && !is_elf(r.bytes))
    return fail(fmt::format("'{}' is not an ELF file (a raw binary needs --load-addr)", o.image));
  return kGoOn;
}

// Every check of the options that needs no machine, in the order the messages take precedence.
Outcome check_options(Run& r) {
  for (Outcome (*stage)(Run&) : {read_domains, read_image, read_limits, read_debugging, read_memory})
    if (Outcome end = stage(r)) return end;
  return kGoOn;
}

// The machine (CPU, memory, TLB, cost model), with the TLB trace and the flush log attached from the start.
Outcome build_machine(Run& r) {
  const RunOptions& o = r.o;
  MachineConfig cfg;
  cfg.memory_bytes = r.mem;
  cfg.cost_profile = o.cost_profile;
  cfg.tlb_profile = o.tlb_profile;
  cfg.tlb_geometry = o.tlb_geometry;
  cfg.tlb_mode = o.tlb == "tagged" ? TlbMode::Tagged : TlbMode::Untagged;
  cfg.cpu_model = parse_cpu_model(o.cpu).value_or(kDefaultCpuModel);  // CLI11 has checked the name
  cfg.engine = o.engine == "jit" ? MachineConfig::Engine::Jit : MachineConfig::Engine::Interp;
  try {
    r.sys.machine = std::make_unique<Machine>(cfg);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  r.m = r.sys.machine.get();
  // The tracer's TLB lines from the start, so that the flushes a PV domain's builder makes (CR0, CR4, CR3,
  // counted in the report) are traced too; the run's tracer takes over when the run starts.
  if (r.dbg.trace.tlb) {
    r.boot_tracer.emplace(*r.m, r.dbg.trace, r.dbg.trace_out);
    r.m->mmu().flush_observer = FlushObserver{
        [](void* t, FlushCause cause, u32 dropped, u32 lin) { static_cast<Tracer*>(t)->tlb_flush(cause, dropped, lin); },
        &*r.boot_tracer};
  }
  // The flush log from the start too, for the same reason; it forwards to the boot tracer.
  if (!o.flush_log.empty()) {
    r.flush_log_file.reset(std::fopen(o.flush_log.c_str(), "w"));
    if (!r.flush_log_file)
      return fail(fmt::format("cannot write the flush log to '{}': {}", o.flush_log, std::strerror(errno)));
    r.flush_log.emplace(*r.m, r.flush_log_file.get());
    r.flush_log->chain(r.m->mmu().flush_observer);
    r.m->mmu().flush_observer = r.flush_log->observer();
  }
  return kGoOn;
}

// What the image is, and the options that apply to one kind of guest only; then the native PC's console
// files, its isa-debug-exit ports and the multiboot modules.
Outcome classify_guest(Run& r) {
  const RunOptions& o = r.o;
  // A Xen PV kernel (Xen ELF notes) boots under the hypervisor; a multiboot kernel on the bare PC, unless
  // --pv asks for the hypervisor (an image may carry both entries).
  r.boot_image.emplace(BootImage{r.image_path, std::move(r.bytes), r.rom_boot, o.load_addr, o.entry, o.cmdline, o.pv});
  r.boot_image->firmware_state = o.firmware_state;
  std::string boot_error;
  r.kind = classify_image(*r.boot_image, boot_error);
  if (!r.kind) return fail(boot_error);
  r.pv = r.kind->pv;
  const bool pv = r.pv;
  if (o.hv_layout != "shared" && !pv) return fail("--hv-layout applies to paravirtual guests only");
  if (o.pv_pages && !pv) return fail("--pv-pages applies to paravirtual guests only (this one runs on the bare PC)");
  if (pv && o.cmdline.size() >= xen::kMaxGuestCmdline)
    return fail(fmt::format("--cmdline: {} bytes; a PV kernel's start_info holds at most {}", o.cmdline.size(),
                            xen::kMaxGuestCmdline - 1));
  if (pv && o.entry)
    return fail(fmt::format("--entry: '{}' boots as a PV kernel, whose entry is its Xen ENTRY note", o.image));
  if (pv && (!o.initrd.empty() || o.pc_testdev || o.serial != "stdio" || o.debugcon != "stdio" ||
             o.debug_exit != RunOptions{}.debug_exit))
    return fail("--initrd, --serial, --debugcon, --debug-exit and --pc-testdev apply to the native PC, not to a paravirtual guest");
  return kGoOn;
}

// Boots the guest: PV domains under the hypervisor (with their console, log, disks and vifs), or the kernel,
// binary or ROM on the bare PC (with its console files, isa-debug-exit and modules).
Outcome boot_guest(Run& r) {
  const RunOptions& o = r.o;
  u16 exit_base = DebugExit::kPort;
  u32 exit_size = DebugExit::kPorts;
  std::string console_error;
  if (!parse_debug_exit(o.debug_exit, exit_base, exit_size, console_error)) return fail(console_error);
  r.serial_out = open_console("--serial", o.serial, console_error);
  if (!r.serial_out) return fail(console_error);
  r.debugcon_out = open_console("--debugcon", o.debugcon, console_error);
  if (!r.debugcon_out) return fail(console_error);
  if (!o.initrd.empty()) {
    for (const std::string& item : split_initrd_list(o.initrd)) {
      const std::string file = item.substr(0, item.find(' '));
      if (file.empty()) return fail(fmt::format("--initrd '{}': an empty module name", o.initrd));
      auto data = read_input_file(file, kMaxImageBytes, r.read_error);
      if (!data) return fail(fmt::format("--initrd: {}", r.read_error));
      r.modules.push_back({std::move(*data), item});
    }
  }

  const bool pv = r.pv;
  std::string boot_error;
  if ((!o.disks.empty() || !o.vifs.empty() || !o.vif_pcap.empty()) && !pv)
    return fail("--disk, --vif and --vif-pcap apply to paravirtual guests only");
  if (!o.vif_pcap.empty() && o.vifs.empty()) return fail("--vif-pcap needs at least one --vif");
  if (!o.hv_log.empty() && !pv) return fail("--hv-log applies to paravirtual guests only");
  if (pv) {
    if (!o.hv_log.empty()) {
      r.hv_log_file.reset(std::fopen(o.hv_log.c_str(), "w"));
      if (!r.hv_log_file) return fail(fmt::format("cannot write the hypervisor log to '{}'", o.hv_log));
    }
    PvPlatformOptions pvo;
    pvo.layout = o.hv_layout == "separate" ? hv::Layout::Separate : hv::Layout::Shared;
    pvo.nr_pages = o.pv_pages.value_or(0);
    pvo.cpu_hz = r.cpu_mhz * 1'000'000;
    pvo.wallclock_epoch = o.rtc == "host" ? i64(std::time(nullptr)) : CmosRtc::kSosp2003;
    pvo.console_sink = &stdout_chars;
    pvo.console_input = &stdin_byte;
    pvo.log_sink = &log_chars;
    pvo.log_context = r.hv_log_file ? r.hv_log_file.get() : stderr;
    pvo.disks = o.disks;
    pvo.vifs = o.vifs;
    pvo.vif_pcap = o.vif_pcap;
    if (r.domain_specs.size() > 1) {
      if (!boot_domains(r.sys, r.domain_set, *r.boot_image, *r.kind, r.domain_specs, r.bvt, std::move(r.control), pvo,
                        boot_error))
        return fail(boot_error);
    } else if (!boot_pv(r.sys, *r.boot_image, *r.kind, pvo, boot_error)) {
      return fail(boot_error);
    }
  } else {
    PcOptions pc;
    pc.console = r.serial_out->sink();
    pc.debugcon = r.debugcon_out->sink();
    pc.serial_input = stdin_byte;
    pc.rtc = o.rtc == "host" ? RtcMode::Host : RtcMode::Fixed;
    pc.cpu_hz = r.cpu_mhz * 1'000'000;
    pc.debug_exit_base = exit_base;
    pc.debug_exit_size = exit_size;
    pc.pc_testdev = o.pc_testdev;
    if (!boot_native(r.sys, *r.boot_image, pc, r.modules, boot_error)) return fail(boot_error);
  }
  r.hyp = r.sys.hypervisor.get();
  r.sched = r.domain_set.scheduler.get();
  return kGoOn;
}

// The debugger's view of the guest, the measurement ports, the flush log's hand-over to the run's tracer, the
// limits and the report file.
Outcome wire_instruments(Run& r) {
  const RunOptions& o = r.o;
  r.dbg.exit_status = [&r](StopReason why) { return r.exit_status(why, false); };
  r.dbg.hypervisor = r.hyp;
  if (r.dbg.trace.hypercall && !r.hyp)
    return fail("--trace hypercall needs a paravirtual guest (this one runs on the bare PC, without a hypervisor)");

  // The measurement ports (kit/measure.h), on every run: a lab instrument, not a PC device.
  try {
    if (!o.no_measure_ports) r.measure.emplace(*r.m, r.hyp ? &r.hyp->stats() : nullptr);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  if (r.flush_log) {
    r.flush_log->chain(FlushObserver{});  // the run's tracer takes over the tlb lines
    r.dbg.flush_sink = r.flush_log->observer();
  }

  if (r.max_insns) r.lim.max_instructions = r.max_insns;
  if (r.max_cycles) r.lim.max_cycles = r.max_cycles;

  // The report file is opened before the run, so a path that cannot be written fails at once (exit 2)
  // instead of after the whole run. With --report json and no file, stdout carries the JSON object alone and
  // the guest's console goes to stderr.
  if (!o.report_file.empty()) {
    r.report_file.reset(std::fopen(o.report_file.c_str(), "w"));
    if (!r.report_file)
      return fail(fmt::format("cannot write report to '{}': {}", o.report_file, std::strerror(errno)));
  } else if (o.report == "json" && !o.quiet) {
    console_out = stderr;
  }
  return kGoOn;
}

// The run, under the debugger session (gdb stub and tracer when asked for), timed on the host's clock.
Outcome run_guest(Run& r) {
  auto t0 = std::chrono::steady_clock::now();
  r.why = run_with_debugger(*r.m, r.lim, r.dbg, r.dbg_out);
  auto t1 = std::chrono::steady_clock::now();
  r.wall_seconds = std::chrono::duration<double>(t1 - t0).count();
  if (!r.dbg_out.error.empty()) {
    print_err("ring1: --gdb: {}\n", r.dbg_out.error);
    return kExitHostError;
  }
  return kGoOn;
}

// After the run: every output flushed and checked, the report written, a line for a crashed or stuck guest,
// and ring1's exit status.
int finish_run(Run& r) {
  const RunOptions& o = r.o;
  Machine& m = *r.m;
  hv::Hypervisor* hyp = r.hyp;
  hv::DomainScheduler* sched = r.sched;
  const StopReason why = r.why;
  // Output that could not be written (a full disk, /dev/full) ends the run with the host-error status and
  // a line saying what was lost, rather than a silent success.
  std::string write_error;
  if (r.trace_file && !write_all(r.trace_file.get(), ""))
    write_error = fmt::format("cannot write trace to '{}': {}", o.trace_file, std::strerror(errno));
  if (r.measure) r.measure->finish();
  if (r.flush_log && !r.flush_log->finish() && write_error.empty())
    write_error = fmt::format("cannot write the flush log to '{}': {}", o.flush_log, std::strerror(errno));

  std::fflush(console_out);  // the console first, then the report

  const std::optional<PcPlatform>& platform = r.sys.platform;
  const std::optional<u64> guest_exit = platform ? platform->exit_status() : std::nullopt;
  if (r.serial_out->file && !write_all(r.serial_out->file.get(), "") && write_error.empty())
    write_error = fmt::format("cannot write --serial '{}': {}", o.serial, std::strerror(errno));
  if (r.debugcon_out->file && !write_all(r.debugcon_out->file.get(), "") && write_error.empty())
    write_error = fmt::format("cannot write --debugcon '{}': {}", o.debugcon, std::strerror(errno));
  RunSummary s;
  s.reason = why;
  s.wall_seconds = r.wall_seconds;
  s.image = r.image_path;
  s.guest_exit_status = guest_exit;
  s.hypervisor = hyp;
  if (sched) sched->settle();
  s.domains = sched;
  s.io = r.sys.io.get();
  s.killed = r.dbg_out.killed;
  s.measure = r.measure ? &*r.measure : nullptr;
  s.config.platform = r.pv ? "pv" : "pc";
  s.config.hv_layout = r.pv ? o.hv_layout : "";
  s.config.memory_bytes = r.mem;
  s.config.cpu_mhz = r.pv ? 0 : r.cpu_mhz;
  s.config.max_instructions = r.max_insns;
  s.config.max_cycles = r.max_cycles;
  if (r.report_file || !o.quiet) {
    const std::string text = o.report == "json" ? report_json(m, s) : report_text(m, s);
    if (r.report_file) {
      if (!write_all(r.report_file.get(), text))
        write_error = fmt::format("cannot write report to '{}': {}", o.report_file, std::strerror(errno));
    } else {
      std::fputs(text.c_str(), stdout);
    }
  }
  if (!write_all(stdout, "") && write_error.empty())
    write_error = fmt::format("cannot write to stdout: {}", std::strerror(errno));
  if (sched) {
    for (u32 i = 0; i < sched->count(); ++i) {
      const hv::Hypervisor& d = sched->domain(i);
      if (d.state() == hv::DomainState::Crashed)
        print_err("ring1: domain {} crashed: {}\n", d.domain().id.value, d.crash_message());
      else if (d.state() == hv::DomainState::Blocked)
        print_err("ring1: domain {} blocked for good: {}\n", d.domain().id.value, d.crash_message());
    }
  } else if (hyp && why == StopReason::Requested && hyp->state() == hv::DomainState::Crashed)
    print_err("ring1: domain crashed: {}\n", hyp->crash_message());
  else if (!sched && hyp && hyp->state() == hv::DomainState::Blocked)
    print_err("ring1: domain blocked for good: {}\n", hyp->crash_message());
  else if (why == StopReason::UnhandledFault)
    print_err("ring1: guest crashed: {}\n", describe_fault(m));
  else if (why == StopReason::TripleFault)
    print_err("ring1: guest crashed: {}\n", describe_triple_fault(m));
  else if (why == StopReason::HostError || why == StopReason::NotModelled || why == StopReason::Ring1Bug)
    print_err("ring1: {}\n", m.cpu().host_error());
  if (!write_error.empty()) {
    print_err("ring1: {}\n", escape_control(write_error));
    return kExitHostError;
  }
  return r.exit_status(why, r.dbg_out.killed);
}

}  // namespace

int run_command(const RunOptions& given) {
  Run r(given);
  for (Outcome (*stage)(Run&) : {check_options, build_machine, classify_guest, boot_guest, wire_instruments, run_guest})
    if (Outcome end = stage(r)) return *end;
  return finish_run(r);
}

}  // namespace ring1
