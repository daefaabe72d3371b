// The ring1 command line (CLI11). `ring1 run IMAGE` loads a guest on the PC platform (an ELF multiboot kernel,
// or a raw flat binary with --load-addr), runs it, and reports what it cost.
// Exit status: the guest's isa-debug-exit status when it wrote one; 0 when the guest halts cleanly; ring1's
// own outcomes use even numbers so that they never collide with a guest's isa-debug-exit status
// ((value << 1) | 1, always odd):
//   2 bad input or usage, 116 the guest used something ring1 does not model, 118 a bug in ring1 (one of its
//   own checks failed), 120 the guest crashed (an exception with nowhere to go), 122 killed from the debugger,
//   124 an instruction or cycle limit was reached, 126 a host-side error (e.g. code fetched from unassigned
//   memory).
#include <sys/stat.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <functional>
#include <sstream>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/parse_count.h"
#include "debugger/session.h"
#include "loaders/elf32.h"
#include "hypervisor/domain_spec.h"
#include "machine/boot.h"
#include "machine/boot_domains.h"
#include "machine/exit_status.h"
#include "experiment/cli/experiment_command.h"
#include "machine/flush_log.h"
#include "machine/input_file.h"
#include "machine/machine.h"
#include "machine/measure_ports.h"
#include "machine/report.h"
#include "vectors/vector_runner.h"

namespace ring1 {
namespace {


struct RunOptions {
  std::string image;
  std::string memory = "128M";
  std::optional<u32> load_addr;
  std::optional<u32> entry;
  std::string cmdline;
  std::string rtc = "fixed";
  // Counts are read as text and parsed strictly (parse_count): CLI11 would take "-1" as 2^64 - 1.
  std::string cpu_mhz = std::to_string(PcOptions::kDefaultCpuHz / 1'000'000);
  std::string max_instructions;
  std::string max_cycles;
  std::string cost_profile = "p3";
  std::string tlb = "untagged";
  std::string engine = "interp";
  std::string tlb_profile = "p3";
  std::string tlb_geometry;
  std::string flush_log;
  bool no_measure_ports = false;
  std::string cpu = "p6";
  std::string report = "text";
  std::string report_file;
  bool quiet = false;
  std::optional<u16> gdb_port;
  bool gdb_wait = false;
  std::string trace;
  std::string trace_file;
  bool pv = false;
  std::string hv_layout = "shared";
  std::optional<u32> pv_pages;
  std::string initrd;               // QEMU's -initrd: "FILE [ARGS],FILE [ARGS]" multiboot modules
  std::string bios;                 // QEMU's -bios: a ROM image started at the reset vector
  std::string serial = "stdio";     // QEMU's -serial: where COM1's output goes
  std::string debugcon = "stdio";   // QEMU's -debugcon: where port 0xE9's output goes
  std::string debug_exit = "iobase=0xf4,iosize=0x04";  // QEMU's -device isa-debug-exit,...
  std::string hv_log;
  bool pc_testdev = false;                              // QEMU's -device pc-testdev
  bool firmware_state = false;  // start a kernel with the PICs, PIT and IVT as SeaBIOS leaves them
  std::vector<std::string> domains;  // --domain KERNEL[,memory=MiB,...]: several PV domains (docs/domains.md)
  std::string bvt;                   // --bvt mcu=CYCLES,allow=CYCLES
  std::string control;               // --control "at CYCLE OP DOMID; ...": domain 0's operations
  std::vector<std::string> disks;  // --disk FILE[,ro]: block devices (xl's disk lines)
  std::vector<std::string> vifs;   // --vif [mac=MAC]: network devices on the virtual switch
  std::string vif_pcap;            // --vif-pcap FILE: every switched frame
};

// ring1's own lines on stderr go through fputs: fmt::print would throw on a write error (stderr on a full
// disk), and nothing must throw out of a run.
template <class... Args>
void print_err(fmt::format_string<Args...> f, Args&&... args) {
  std::fputs(fmt::format(f, std::forward<Args>(args)...).c_str(), stderr);
}

// One line on stderr, with any control byte in it (from a file name, a cost file's line, a kernel's Xen
// notes) escaped, so the message stays one printable line.
int fail(const std::string& msg) {
  print_err("ring1: {}\n", escape_control(msg));
  return kExitBadInput;
}


// Where the guest's console goes: stdout, or stderr when stdout carries the JSON report (docs/reports.md).
std::FILE* console_out = stdout;

// COM1's input in the CLI: stdin, but only when it is a pipe or a regular file (never a terminal, whose
// reads would wait for a person). A read never blocks: a pipe with nothing written yet, like a file or a pipe
// at its end, means "no byte now".
int stdin_byte() {
  static const bool usable = [] {
    struct stat st {};
    return fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode));
  }();
  static bool at_end = false;
  if (!usable || at_end) return -1;
  pollfd p{0, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) return -1;
  unsigned char b;
  const ssize_t n = ::read(0, &b, 1);
  if (n == 1) return b;
  if (n == 0) at_end = true;
  return -1;
}

// Console bytes go to stdout as the guest produces them (flushed at each line end and at the end of the run).
void stdout_byte(u8 b) {
  std::fputc(b, console_out);
  if (b == '\n') std::fflush(console_out);
}
void stdout_chars(void*, const char* s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) stdout_byte(static_cast<u8>(s[i]));
}
// The hypervisor's own log (console_io output, "(d1) ..."): stderr or the --hv-log file.
void log_chars(void* file, const char* s, std::size_t n) {
  std::fwrite(s, 1, n, static_cast<std::FILE*>(file));
  std::fflush(static_cast<std::FILE*>(file));
}

// Writes `text` to `f` and flushes it; false (errno set) if any of it could not be written.
bool write_all(std::FILE* f, const std::string& text) {
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  return std::fflush(f) == 0 && wrote && !std::ferror(f);
}

// A console destination for --serial / --debugcon: "stdio" (stdout, as the guest writes) or a file.
struct ConsoleFile {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{nullptr, &std::fclose};
  std::function<void(u8)> sink() {
    if (!file) return stdout_byte;
    std::FILE* f = file.get();
    return [f](u8 b) { std::fputc(b, f); };
  }
};

// "stdio" or a path opened for writing; nullopt (with the message in `err`) if the file cannot be written.
std::optional<ConsoleFile> open_console(const std::string& option, const std::string& where, std::string& err) {
  ConsoleFile c;
  if (where == "stdio") return c;
  if (where.empty()) {
    err = fmt::format("{} needs FILE or stdio", option);
    return std::nullopt;
  }
  c.file.reset(std::fopen(where.c_str(), "wb"));
  if (!c.file) {
    err = fmt::format("{}: cannot write '{}'", option, where);
    return std::nullopt;
  }
  return c;
}

// "iobase=0xf4,iosize=0x04" (either key may be left out; numbers in C notation).
bool parse_debug_exit(const std::string& text, u16& base, u32& size, std::string& err) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    if (eq == std::string::npos || (key != "iobase" && key != "iosize")) {
      err = fmt::format("--debug-exit '{}': expected iobase=PORT,iosize=N", text);
      return false;
    }
    const std::string num = item.substr(eq + 1);
    char* end = nullptr;
    errno = 0;
    const unsigned long v = std::strtoul(num.c_str(), &end, 0);
    if (num.empty() || *end || errno || v > 0xFFFF || (key == "iosize" && (v == 0 || v > 4))) {
      err = fmt::format("--debug-exit: {} '{}' is not a {}", key, num,
                        key == "iobase" ? "port (0..0xffff)" : "size of 1 to 4 ports");
      return false;
    }
    if (key == "iobase") base = u16(v);
    else size = u32(v);
  }
  if (u32(base) + size > 0x10000) {
    err = fmt::format("--debug-exit: ports {:#x}+{} run past 0xffff", base, size);
    return false;
  }
  return true;
}

int run_command(const RunOptions& given) {
  RunOptions o = given;
  // --domain: the first kernel takes IMAGE's place (and every check IMAGE gets); the others are built after
  // it (machine/boot_domains.h).
  std::vector<hv::DomainSpec> domain_specs;
  hv::BvtConfig bvt;
  if (!o.domains.empty()) {
    if (!o.image.empty()) return fail("give the kernels either as IMAGE or as --domain, not both");
    for (const std::string& d : o.domains) {
      std::string error;
      auto spec = hv::parse_domain_spec(d, error);
      if (!spec) return fail(error);
      domain_specs.push_back(std::move(*spec));
    }
    if (o.pv_pages) return fail("--pv-pages: with --domain, give each domain its memory=MiB");
    if (domain_specs[0].cmdline) {
      if (!o.cmdline.empty()) return fail("--cmdline and the first --domain's cmdline= are both given");
      o.cmdline = *domain_specs[0].cmdline;
    }
    if (domain_specs.size() > 1 && (o.gdb_port || o.trace.find("hypercall") != std::string::npos))
      return fail("--gdb and --trace hypercall follow one domain; with several domains they are not available");
    if (domain_specs.size() == 1 && domain_specs[0].memory_mib) o.pv_pages = *domain_specs[0].memory_mib * 256;
    o.image = domain_specs[0].kernel;
    o.pv = true;
  }
  if (!o.bvt.empty()) {
    if (domain_specs.size() < 2) return fail("--bvt applies to several domains (--domain given twice or more)");
    std::string error;
    auto c = hv::parse_bvt_config(o.bvt, error);
    if (!c) return fail(error);
    bvt = *c;
  }
  std::vector<hv::ControlEvent> control;
  if (!o.control.empty()) {
    if (domain_specs.size() < 2) return fail("--control applies to several domains (--domain given twice or more)");
    std::string error;
    auto c = hv::parse_control_timeline(o.control, error);
    if (!c) return fail(error);
    control = std::move(*c);
  }
  const bool rom_boot = !o.bios.empty();
  if (rom_boot && !o.image.empty())
    return fail("--bios boots the ROM at the reset vector: give either an IMAGE or --bios, not both");
  if (!rom_boot && o.image.empty()) return fail("an IMAGE to run is required (or --bios ROM)");
  const std::string& image_path = rom_boot ? o.bios : o.image;
  std::string read_error;
  auto image = read_input_file(image_path, kMaxImageBytes, read_error);
  if (!image) return fail(read_error);
  std::vector<u8> bytes = std::move(*image);
  if (bytes.empty()) return fail(fmt::format("'{}' is empty", image_path));
  if (rom_boot && (o.load_addr || o.entry || !o.initrd.empty() || !o.cmdline.empty() || o.pv))
    return fail("--bios starts the ROM at F000:FFF0: --load-addr, --entry, --initrd, --cmdline and --pv do not apply");
  if (o.firmware_state && (rom_boot || o.pv))
    return fail("--firmware-state stands in for the firmware of a native loaded kernel: not with --bios or --pv");

  // Counts: strictly unsigned, and never 0 (a limit of 0 would read as "no limit" and be ignored).
  const auto max_insns = o.max_instructions.empty() ? std::optional<u64>(0) : parse_count(o.max_instructions, ~u64(0));
  if (!max_insns || (!o.max_instructions.empty() && *max_insns == 0))
    return fail(fmt::format("--max-instructions '{}' is not a count from 1 to 2^64-1", o.max_instructions));
  const auto max_cycles = o.max_cycles.empty() ? std::optional<u64>(0) : parse_count(o.max_cycles, ~u64(0));
  if (!max_cycles || (!o.max_cycles.empty() && *max_cycles == 0))
    return fail(fmt::format("--max-cycles '{}' is not a count from 1 to 2^64-1", o.max_cycles));
  const auto cpu_mhz = parse_count(o.cpu_mhz, 100'000);
  if (!cpu_mhz || *cpu_mhz == 0) return fail(fmt::format("--cpu-mhz '{}' is not a number from 1 to 100000", o.cpu_mhz));
  if (o.pv_pages && *o.pv_pages == 0) return fail("--pv-pages 0: a domain needs at least one page");
  if (!o.trace_file.empty() && o.trace.empty()) return fail("--trace-file needs --trace LIST (nothing would be traced)");
  if (o.quiet && o.report != "text" && o.report_file.empty())
    return fail("--report json with --quiet and no --report-file: the report would be written nowhere");
  if (o.pv && o.load_addr) return fail("--pv and --load-addr: a PV kernel is an ELF with Xen notes, not a raw binary");
  if (o.load_addr && !o.cmdline.empty())
    return fail("--cmdline with --load-addr: a raw binary has no boot loader to hand it a command line");

  DebugOptions dbg;
  dbg.gdb_port = o.gdb_port;
  dbg.gdb_wait = o.gdb_wait;
  if (o.gdb_wait && !o.gdb_port) return fail("--gdb-wait needs --gdb PORT");
  if (!o.trace.empty()) {
    std::string err;
    auto set = parse_trace_set(o.trace, err);
    if (!set) return fail(err);
    dbg.trace = *set;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> trace_file(nullptr, &std::fclose);
  if (!o.trace_file.empty()) {
    trace_file.reset(std::fopen(o.trace_file.c_str(), "w"));
    if (!trace_file) return fail(fmt::format("cannot write trace to '{}': {}", o.trace_file, std::strerror(errno)));
    dbg.trace_out = trace_file.get();
  }

  auto mem = parse_size(o.memory);
  if (!mem) return fail(fmt::format("--memory '{}' is not a size (examples: 128M, 1G, 65536K)", o.memory));
  // A 32-bit PC can address at most 4 GiB; below 1 MiB nothing useful boots. Anything else is a typo.
  if (*mem < (1u << 20) || *mem > (u64(3) << 30))
    return fail(fmt::format("--memory {} is outside 1M..3G", o.memory));
  if (o.load_addr && !o.initrd.empty()) return fail("--initrd loads multiboot modules: it needs an ELF multiboot kernel, not --load-addr");
  if (o.load_addr && u64(*o.load_addr) + bytes.size() > *mem)
    return fail(fmt::format("'{}' ({} bytes at {:#x}) does not fit in {} of RAM", o.image, bytes.size(),
                            *o.load_addr, o.memory));
  if (!rom_boot && !o.load_addr && !is_elf(bytes))
    return fail(fmt::format("'{}' is not an ELF file (a raw binary needs --load-addr)", o.image));

  MachineConfig cfg;
  cfg.memory_bytes = *mem;
  cfg.cost_profile = o.cost_profile;
  cfg.tlb_profile = o.tlb_profile;
  cfg.tlb_geometry = o.tlb_geometry;
  cfg.tlb_mode = o.tlb == "tagged" ? TlbMode::Tagged : TlbMode::Untagged;
  cfg.cpu_model = parse_cpu_model(o.cpu).value_or(kDefaultCpuModel);  // CLI11 has checked the name
  cfg.engine = o.engine == "jit" ? MachineConfig::Engine::Jit : MachineConfig::Engine::Interp;
  System sys;
  try {
    sys.machine = std::make_unique<Machine>(cfg);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  Machine* m = sys.machine.get();
  // The tracer's TLB lines from the start, so that the flushes a PV domain's builder makes (CR0, CR4, CR3,
  // counted in the report) are traced too; the run's tracer takes over when the run starts.
  std::optional<Tracer> boot_tracer;
  if (dbg.trace.tlb) {
    boot_tracer.emplace(*m, dbg.trace, dbg.trace_out);
    m->mmu().flush_observer = FlushObserver{
        [](void* t, FlushCause cause, u32 dropped, u32 lin) { static_cast<Tracer*>(t)->tlb_flush(cause, dropped, lin); },
        &*boot_tracer};
  }
  // The flush log from the start too, for the same reason; it forwards to the boot tracer.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> flush_log_file(nullptr, &std::fclose);
  std::optional<FlushLog> flush_log;
  if (!o.flush_log.empty()) {
    flush_log_file.reset(std::fopen(o.flush_log.c_str(), "w"));
    if (!flush_log_file)
      return fail(fmt::format("cannot write the flush log to '{}': {}", o.flush_log, std::strerror(errno)));
    flush_log.emplace(*m, flush_log_file.get());
    flush_log->chain(m->mmu().flush_observer);
    m->mmu().flush_observer = flush_log->observer();
  }
  // A Xen PV kernel (Xen ELF notes) boots under the hypervisor; a multiboot kernel on the bare PC, unless
  // --pv asks for the hypervisor (an image may carry both entries).
  BootImage boot_image{image_path, std::move(bytes), rom_boot, o.load_addr, o.entry, o.cmdline, o.pv};
  boot_image.firmware_state = o.firmware_state;
  std::string boot_error;
  const std::optional<ImageKind> kind = classify_image(boot_image, boot_error);
  if (!kind) return fail(boot_error);
  const bool pv = kind->pv;
  if (o.hv_layout != "shared" && !pv) return fail("--hv-layout applies to paravirtual guests only");
  if (o.pv_pages && !pv) return fail("--pv-pages applies to paravirtual guests only (this one runs on the bare PC)");
  if (pv && o.cmdline.size() >= xen::kMaxGuestCmdline)
    return fail(fmt::format("--cmdline: {} bytes; a PV kernel's start_info holds at most {}", o.cmdline.size(),
                            xen::kMaxGuestCmdline - 1));
  if (pv && o.entry)
    return fail(fmt::format("--entry: '{}' boots as a PV kernel, whose entry is its Xen ENTRY note", o.image));
  if (pv && (!o.initrd.empty() || o.pc_testdev || o.serial != "stdio" || o.debugcon != "stdio" || o.debug_exit != RunOptions{}.debug_exit))
    return fail("--initrd, --serial, --debugcon, --debug-exit and --pc-testdev apply to the native PC, not to a paravirtual guest");
  u16 exit_base = DebugExit::kPort;
  u32 exit_size = DebugExit::kPorts;
  std::string console_error;
  if (!parse_debug_exit(o.debug_exit, exit_base, exit_size, console_error)) return fail(console_error);
  auto serial_out = open_console("--serial", o.serial, console_error);
  if (!serial_out) return fail(console_error);
  auto debugcon_out = open_console("--debugcon", o.debugcon, console_error);
  if (!debugcon_out) return fail(console_error);
  std::vector<MultibootModule> modules;
  if (!o.initrd.empty()) {
    for (const std::string& item : split_initrd_list(o.initrd)) {
      const std::string file = item.substr(0, item.find(' '));
      if (file.empty()) return fail(fmt::format("--initrd '{}': an empty module name", o.initrd));
      auto data = read_input_file(file, kMaxImageBytes, read_error);
      if (!data) return fail(fmt::format("--initrd: {}", read_error));
      modules.push_back({std::move(*data), item});
    }
  }

  Cpu& cpu = m->cpu();
  DomainSet domain_set;  // several domains: the scheduler over them (domain 1 is sys.hypervisor)
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> hv_log_file(nullptr, &std::fclose);
  if ((!o.disks.empty() || !o.vifs.empty() || !o.vif_pcap.empty()) && !pv)
    return fail("--disk, --vif and --vif-pcap apply to paravirtual guests only");
  if (!o.vif_pcap.empty() && o.vifs.empty()) return fail("--vif-pcap needs at least one --vif");
  if (!o.hv_log.empty() && !pv) return fail("--hv-log applies to paravirtual guests only");
  if (pv) {
    if (!o.hv_log.empty()) {
      hv_log_file.reset(std::fopen(o.hv_log.c_str(), "w"));
      if (!hv_log_file) return fail(fmt::format("cannot write the hypervisor log to '{}'", o.hv_log));
    }
    PvPlatformOptions pvo;
    pvo.layout = o.hv_layout == "separate" ? hv::Layout::Separate : hv::Layout::Shared;
    pvo.nr_pages = o.pv_pages.value_or(0);
    pvo.cpu_hz = *cpu_mhz * 1'000'000;
    pvo.wallclock_epoch = o.rtc == "host" ? i64(std::time(nullptr)) : CmosRtc::kSosp2003;
    pvo.console_sink = &stdout_chars;
    pvo.console_input = &stdin_byte;
    pvo.log_sink = &log_chars;
    pvo.log_context = hv_log_file ? hv_log_file.get() : stderr;
    pvo.disks = o.disks;
    pvo.vifs = o.vifs;
    pvo.vif_pcap = o.vif_pcap;
    if (domain_specs.size() > 1) {
      if (!o.disks.empty() || !o.vifs.empty())
        return fail("--disk and --vif serve one domain; with several --domain they are not supported yet");
      if (!boot_domains(sys, domain_set, boot_image, *kind, domain_specs, bvt, std::move(control), pvo, boot_error))
        return fail(boot_error);
    } else if (!boot_pv(sys, boot_image, *kind, pvo, boot_error)) {
      return fail(boot_error);
    }
  } else {
    PcOptions pc;
    pc.console = serial_out->sink();
    pc.debugcon = debugcon_out->sink();
    pc.serial_input = stdin_byte;
    pc.rtc = o.rtc == "host" ? RtcMode::Host : RtcMode::Fixed;
    pc.cpu_hz = *cpu_mhz * 1'000'000;
    pc.debug_exit_base = exit_base;
    pc.debug_exit_size = exit_size;
    pc.pc_testdev = o.pc_testdev;
    if (!boot_native(sys, boot_image, pc, modules, boot_error)) return fail(boot_error);
  }
  const std::optional<PcPlatform>& platform = sys.platform;
  hv::Hypervisor* hyp = sys.hypervisor.get();

  // ring1's exit status for a run that ended with `why`: what run_command returns and what the gdb stub
  // reports to a client when the guest ends (its `W` packet).
  hv::DomainScheduler* sched = domain_set.scheduler.get();
  auto exit_status = [&](StopReason why, bool killed) {
    if (sched && why == StopReason::Requested && sched->any_crashed()) return kExitGuestCrash;
    return sys.exit_status(why, killed);
  };
  dbg.exit_status = [&](StopReason why) { return exit_status(why, false); };
  dbg.hypervisor = hyp;
  if (dbg.trace.hypercall && !hyp)
    return fail("--trace hypercall needs a paravirtual guest (this one runs on the bare PC, without a hypervisor)");

  // The measurement ports (kit/measure.h), on every run: a lab instrument, not a PC device.
  std::optional<MeasurePorts> measure;
  try {
    if (!o.no_measure_ports) measure.emplace(*m, hyp ? &hyp->stats() : nullptr);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  if (flush_log) {
    flush_log->chain(FlushObserver{});  // the run's tracer takes over the tlb lines
    dbg.flush_sink = flush_log->observer();
  }

  RunLimits lim;
  if (*max_insns) lim.max_instructions = *max_insns;
  if (*max_cycles) lim.max_cycles = *max_cycles;

  // The report file is opened before the run, so a path that cannot be written fails at once (exit 2)
  // instead of after the whole run. With --report json and no file, stdout carries the JSON object alone and
  // the guest's console goes to stderr.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> report_file(nullptr, &std::fclose);
  if (!o.report_file.empty()) {
    report_file.reset(std::fopen(o.report_file.c_str(), "w"));
    if (!report_file) return fail(fmt::format("cannot write report to '{}': {}", o.report_file, std::strerror(errno)));
  } else if (o.report == "json" && !o.quiet) {
    console_out = stderr;
  }
  auto t0 = std::chrono::steady_clock::now();
  DebugOutcome dbg_out;
  StopReason why = run_with_debugger(*m, lim, dbg, dbg_out);
  auto t1 = std::chrono::steady_clock::now();
  if (!dbg_out.error.empty()) {
    print_err("ring1: --gdb: {}\n", dbg_out.error);
    return kExitHostError;
  }
  // Output that could not be written (a full disk, /dev/full) ends the run with the host-error status and
  // a line saying what was lost, rather than a silent success.
  std::string write_error;
  if (trace_file && !write_all(trace_file.get(), ""))
    write_error = fmt::format("cannot write trace to '{}': {}", o.trace_file, std::strerror(errno));
  if (measure) measure->finish();
  if (flush_log && !flush_log->finish() && write_error.empty())
    write_error = fmt::format("cannot write the flush log to '{}': {}", o.flush_log, std::strerror(errno));

  std::fflush(console_out);  // the console first, then the report

  const std::optional<u64> guest_exit = platform ? platform->exit_status() : std::nullopt;
  if (serial_out->file && !write_all(serial_out->file.get(), "") && write_error.empty())
    write_error = fmt::format("cannot write --serial '{}': {}", o.serial, std::strerror(errno));
  if (debugcon_out->file && !write_all(debugcon_out->file.get(), "") && write_error.empty())
    write_error = fmt::format("cannot write --debugcon '{}': {}", o.debugcon, std::strerror(errno));
  RunSummary s;
  s.reason = why;
  s.wall_seconds = std::chrono::duration<double>(t1 - t0).count();
  s.image = image_path;
  s.guest_exit_status = guest_exit;
  s.hypervisor = hyp;
  if (sched) sched->settle();
  s.domains = sched;
  s.killed = dbg_out.killed;
  s.measure = measure ? &*measure : nullptr;
  s.config.platform = pv ? "pv" : "pc";
  s.config.hv_layout = pv ? o.hv_layout : "";
  s.config.memory_bytes = *mem;
  s.config.cpu_mhz = pv ? 0 : *cpu_mhz;
  s.config.max_instructions = *max_insns;
  s.config.max_cycles = *max_cycles;
  if (report_file || !o.quiet) {
    const std::string text = o.report == "json" ? report_json(*m, s) : report_text(*m, s);
    if (report_file) {
      if (!write_all(report_file.get(), text))
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
    print_err("ring1: guest crashed: {}\n", describe_fault(*m));
  else if (why == StopReason::TripleFault)
    print_err("ring1: guest crashed: {}\n", describe_triple_fault(*m));
  else if (why == StopReason::HostError || why == StopReason::NotModelled || why == StopReason::Ring1Bug)
    print_err("ring1: {}\n", cpu.host_error());
  if (!write_error.empty()) {
    print_err("ring1: {}\n", escape_control(write_error));
    return kExitHostError;
  }
  return exit_status(why, dbg_out.killed);
}

// `ring1 vectors FILE`: one line per failing test, then the counts. Exit status 0 when every test passed,
// 1 when any failed, 2 for a file that cannot be read or parsed.
int vectors_command(const VectorOptions& o, const std::string& mask_text) {
  VectorOptions opts = o;
  if (!mask_text.empty()) {
    char* end = nullptr;
    errno = 0;
    const unsigned long v = std::strtoul(mask_text.c_str(), &end, 16);
    if (errno || end == mask_text.c_str() || *end || v > 0xFFFFFFFFul)
      return fail(fmt::format("--flags-mask '{}' is not a 32-bit hexadecimal number", mask_text));
    opts.flags_mask = u32(v);
  }
  VectorSummary s;
  try {
    s = run_vectors(opts, [](const std::string& line) { fmt::print("{}\n", line); });
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  fmt::print("{} passed, {} failed\n", s.passed, s.failed);
  return s.failed ? 1 : 0;
}

}  // namespace
}  // namespace ring1

int main(int argc, char** argv) {
  using namespace ring1;
  spdlog::set_pattern("ring1: %l: %v");
  CLI::App app{
      "ring1: an instruction-level IA-32 system emulator that models the paravirtual machine of\n"
      "\"Xen and the Art of Virtualization\" (SOSP 2003), with a modelled TLB and an exact cycle count."};
  app.set_version_flag("--version", std::string("ring1 ") + RING1_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  ring1 run build/release/examples/hello.elf            a multiboot kernel on the bare emulated PC\n"
      "  ring1 run kernel.elf --pv --tlb tagged --report json  a PV kernel under the hypervisor, JSON report\n"
      "  ring1 run kernel.elf --trace ring --gdb 1234 --gdb-wait   trace transitions, wait for gdb\n"
      "See `ring1 run --help` for every option and the exit statuses.");

  RunOptions o;
  auto* run = app.add_subcommand("run", "Load a guest image, run it, and print a report of what it cost.");
  run->add_option("image", o.image,
                  "Guest image: an ELF multiboot kernel (loaded as qemu -kernel does), a Xen PV kernel (an ELF "
                  "with Xen notes, booted under the hypervisor), or a raw flat binary with --load-addr (not with "
                  "--bios)");
  run->add_option("--memory", o.memory, "Guest RAM size, e.g. 128M, 1G")->capture_default_str();
  run->add_option("--load-addr", o.load_addr,
                  "Load IMAGE as a raw flat binary at this physical address (flat 32-bit protected mode, no "
                  "multiboot)");
  run->add_option("--entry", o.entry, "Entry EIP (default: the load address, or the ELF entry point)");
  run->add_option("--cmdline", o.cmdline,
                  "Kernel command line: a multiboot kernel receives \"IMAGE ARGS\", as under QEMU; a PV kernel "
                  "gets ARGS in start_info");
  run->add_option("--rtc", o.rtc,
                                  "CMOS clock, and a PV domain's wall clock: fixed (2003-10-19 00:00:00 plus modelled time) or host")
                      ->check(CLI::IsMember({"fixed", "host"}))
                      ->capture_default_str();
  run->add_option("--cpu-mhz", o.cpu_mhz,
                                      "Modelled CPU clock in MHz (1..100000): converts PIT, RTC and a PV domain's "
                                      "virtual time to cycles")
                          ->capture_default_str();
  run->add_option("--max-instructions", o.max_instructions, "Stop after N instructions, N >= 1 (exit status 124)");
  run->add_option("--max-cycles", o.max_cycles, "Stop after N modelled cycles, N >= 1 (exit status 124)");
  run->add_option("--cost-profile", o.cost_profile,
                  "Cycle-cost profile: a name (p3) or a file of `key = cycles` lines overriding p3")
      ->capture_default_str();
  run->add_option("--tlb", o.tlb, "TLB kind: untagged (x86: a CR3 write flushes) or tagged (ASID-like)")
      ->check(CLI::IsMember({"untagged", "tagged"}))
      ->capture_default_str();
  run->add_option("--tlb-profile", o.tlb_profile, "TLB geometry: p3 (Pentium III), p4 (Pentium 4/Xeon), tiny")
      ->capture_default_str();
  run->add_option("--tlb-geometry", o.tlb_geometry,
                  "What-if TLB: the 4 KiB ITLB and DTLB arrays over --tlb-profile, as itlb=ENTRIESxWAYS,"
                  "dtlb=ENTRIESxWAYS,policy=lru|fifo (each key optional; powers of two, ways <= entries <= 4096)");
  run->add_option("--flush-log", o.flush_log,
                  "Write every TLB flush as a CSV row: cause, ring and EIP, entries dropped, and the TLB misses "
                  "until the next flush (docs/experiment.md)");
  run->add_flag("--no-measure-ports", o.no_measure_ports,
                "Leave the measurement ports (0x710-0x71b, kit/measure.h) off: the bare PC as QEMU models it");
  run->add_option("--cpu", o.cpu,
                  "Processor generation whose undefined flags, CPUID and paging details ring1 follows: 386, 486 "
                  "or p6 (docs/cpu-model.md)")
      ->check(CLI::IsMember({"386", "486", "p6"}))
      ->capture_default_str();
  run->add_option("--engine", o.engine,
                  "Execution tier: interp (the interpreter) or jit (hot blocks translated to host code; the "
                  "interpreter still single-steps, stops at breakpoints and traces). Counts are identical "
                  "(docs/speed.md)")
      ->check(CLI::IsMember({"interp", "jit"}))
      ->capture_default_str();
  run->add_option("--report", o.report, "Report format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  run->add_option("--report-file", o.report_file,
                  "Write the report to this file instead of stdout (opened before the run; written with --quiet too)");
  run->add_flag("--quiet", o.quiet, "No report on stdout: stdout carries only the guest's console");
  run->add_option("--gdb", o.gdb_port,
                  "Serve the GDB remote protocol on 127.0.0.1:PORT (0: any free port, printed on stderr)");
  run->add_flag("--gdb-wait", o.gdb_wait, "With --gdb: do not start the guest until gdb attaches and continues");
  run->add_option("--trace", o.trace, "Trace events, a comma list of: ring, fault, tlb, io, insn, hypercall (a PV guest's hypercalls and "
                  "bounced exceptions), sensitive (sensitive but unprivileged instructions run deprivileged)");
  run->add_option("--trace-file", o.trace_file, "Write the trace here instead of stderr");
  run->add_flag("--pv", o.pv,
                "Boot the image under the hypervisor as a Xen PV guest (the default for a kernel with Xen ELF "
                "notes and no multiboot header)");
  run->add_option("--hv-layout", o.hv_layout,
                  "Where the hypervisor lives: shared (the paper's: top 64 MB of every address space) or separate "
                  "(its own page directory: every entry and exit reloads CR3)")
      ->check(CLI::IsMember({"shared", "separate"}))
      ->capture_default_str();
  run->add_option("--hv-log", o.hv_log,
                  "PV: write the hypervisor's log (the guest's console_io lines, \"(d1) ...\") to this file "
                  "instead of stderr");
  run->add_option("--domain", o.domains,
                  "A PV domain: KERNEL[,memory=MiB][,weight=N][,warp=CYCLES][,warp-limit=CYCLES][,unwarp=CYCLES]"
                  "[,cmdline=TEXT] (cmdline last); repeat for several domains, ids 1, 2, ... in order, scheduled by "
                  "BVT (docs/domains.md). Replaces IMAGE");
  run->add_option("--bvt", o.bvt,
                  "Several domains: BVT's minimum charging unit and context-switch allowance, mcu=CYCLES,allow=CYCLES "
                  "(default mcu=1000,allow=50000)");
  run->add_option("--control", o.control,
                  "Several domains: domain 0's operations at modelled cycles, \"at CYCLE OP DOMID; ...\" with OP "
                  "pause, unpause or destroy (results in the report)");
  run->add_option("--disk", o.disks,
                  "PV: a block device served from a host image FILE[,ro] (512-byte sectors; writes go to the file "
                  "unless ro); repeat for more")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run->add_option("--vif", o.vifs,
                  "PV: a network device on the run's virtual switch, [mac=XX:XX:XX:XX:XX:XX] (default "
                  "00:16:3e:00:DOM:INDEX); repeat for more (give IMAGE first: a bare --vif takes no value)")
      ->expected(0, 1)
      ->default_str("default")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run->add_option("--vif-pcap", o.vif_pcap, "PV: write every frame the virtual switch carries to FILE (pcap)");
  run->add_option("--pv-pages", o.pv_pages, "Memory of a PV domain in 4 KiB pages (default: all the hypervisor leaves)");
  run->add_option("--initrd", o.initrd,
                  "Multiboot modules, as QEMU's -initrd: \"FILE [ARGS],FILE [ARGS]\" (',,' is a literal comma); "
                  "each module's string is \"FILE ARGS\"");
  run->add_option("--bios", o.bios,
                  "Boot a ROM image (64 KiB..1 MiB, a multiple of 64 KiB) at the reset vector instead of IMAGE, as "
                  "QEMU's -bios: mapped to end at 0xFFFFFFFF, its last 128 KiB also to end at 0xFFFFF");
  run->add_option("--serial", o.serial, "Where COM1's output goes: stdio or FILE (QEMU's -serial)")
      ->capture_default_str();
  run->add_option("--debugcon", o.debugcon, "Where port 0xE9's output goes: stdio or FILE (QEMU's -debugcon)")
      ->capture_default_str();
  run->add_option("--debug-exit", o.debug_exit,
                  "isa-debug-exit's ports, as QEMU's -device isa-debug-exit,iobase=PORT,iosize=N (N 1..4)")
      ->capture_default_str();
  run->add_flag("--pc-testdev", o.pc_testdev,
                "Attach QEMU's pc-testdev (-device pc-testdev): ports 0xE0-0xEB, IRQ-line ports 0x2000-0x2017, "
                "64 KiB of scratch MMIO at 0xFF000000");
  run->add_flag("--firmware-state", o.firmware_state,
                "Start a loaded kernel as SeaBIOS leaves QEMU's PC: PICs at vectors 0x08/0x70 with its masks, the "
                "PIT at 18.2 Hz, a real-mode IVT whose IRQ entries acknowledge the PIC (no BIOS services)");
  run->footer(
      "Devices: COM1 16550 UART (console on stdout; input from stdin when it is a pipe or file), port 0xE9\n"
      "debug console, isa-debug-exit at 0xF4, 8259A PIC pair, 8254 PIT, MC146818 CMOS/RTC, port 0x92, local\n"
      "APIC at 0xFEE00000, QEMU's fw_cfg at 0x510/0x511 (docs/pc-machine.md).\n"
      "Exit status: the guest's isa-debug-exit status ((value << 1) | 1, odd) when it wrote one; 0 guest halted;\n"
      "a PV domain's poweroff or reboot 0; 2 bad input; 116 the guest used something ring1 does not model (the\n"
      "message names it); 118 a bug in ring1 (an internal check failed); 120 guest crashed (triple fault,\n"
      "unhandled exception, crashed domain); 122 killed from the debugger; 124 instruction/cycle limit reached\n"
      "(the instruction limit counts steps: instructions, faults and interrupts delivered, REP elements, halted\n"
      "waits); 126 host-side error.");

  VectorOptions vo;
  std::string vectors_cpu = "p6", flags_mask;
  auto* vectors = app.add_subcommand(
      "vectors", "Run per-instruction test vectors (SingleStepTests' JSON format, real mode) and compare.");
  vectors->add_option("file", vo.file, "A JSON array of tests, plain or gzip-compressed (.json or .json.gz)")
      ->required();
  vectors->add_option("--flags-mask", flags_mask,
                      "EFLAGS bits (hexadecimal) not compared: the instructions' undefined flags; also masked in "
                      "the flags image an exception pushes (the test's flag_address)");
  vectors->add_option("--cpu", vectors_cpu, "Processor generation: 386, 486 or p6")
      ->check(CLI::IsMember({"386", "486", "p6"}))
      ->capture_default_str();
  vectors->footer("Exit status: 0 every test passed; 1 a test failed; 2 the file cannot be read or parsed.");

  ExperimentCommands experiment_cmds = add_experiment_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return fail(fmt::format("{} (see ring1 run --help)", e.what()));
  }
  // No exception leaves ring1 (DESIGN.md, "Failure channels"): one that reaches here escaped every module's
  // handling, before the guest ran or after it stopped (the run loop reports its own with guest context).
  try {
    if (auto status = run_experiment_commands(experiment_cmds, argv[0])) return *status;
    if (vectors->parsed()) {
      vo.model = parse_cpu_model(vectors_cpu).value_or(kDefaultCpuModel);
      return vectors_command(vo, flags_mask);
    }
    return run_command(o);
  } catch (const std::exception& e) {
    print_err("ring1: internal error: {}\nring1: this is a bug in ring1, not in the guest or the input: "
              "please report it with the image and the command line\n", e.what());
  } catch (...) {
    print_err("ring1: internal error: an unknown exception\nring1: this is a bug in ring1\n");
  }
  return kExitRing1Bug;
}
