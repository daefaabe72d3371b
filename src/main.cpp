// The ring1 command line (CLI11). `ring1 run IMAGE` loads a guest on the PC platform (an ELF multiboot kernel,
// or a raw flat binary with --load-addr), runs it, and reports what it cost.
// Exit status: the guest's isa-debug-exit status when it wrote one; 0 when the guest halts cleanly; ring1's
// own outcomes use even numbers so that they never collide with a guest's isa-debug-exit status
// ((value << 1) | 1, always odd):
//   2 bad input or usage, 120 the guest crashed (an exception with nowhere to go), 124 an instruction or
//   cycle limit was reached, 126 a host-side error (e.g. code fetched from unassigned memory).
#include <sys/stat.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "debugger/session.h"
#include "devices/elf32.h"
#include "devices/multiboot_loader.h"
#include "devices/pc_platform.h"
#include "hypervisor/domain_builder.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_elf_notes.h"
#include "machine/machine.h"
#include "machine/report.h"

namespace ring1 {
namespace {

constexpr int kExitBadInput = 2;
constexpr int kExitGuestCrash = 120;
constexpr int kExitLimit = 124;
constexpr int kExitHostError = 126;
constexpr int kExitKilled = 122;  // killed from the debugger

struct RunOptions {
  std::string image;
  std::string memory = "128M";
  std::optional<u32> load_addr;
  std::optional<u32> entry;
  std::string cmdline;
  std::string rtc = "fixed";
  u64 cpu_mhz = PcOptions::kDefaultCpuHz / 1'000'000;
  u64 max_instructions = 0;
  u64 max_cycles = 0;
  std::string cost_profile = "p3";
  std::string tlb = "untagged";
  std::string tlb_profile = "p3";
  std::string report = "text";
  std::string report_file;
  bool quiet = false;
  std::optional<u16> gdb_port;
  bool gdb_wait = false;
  std::string trace;
  std::string trace_file;
  bool pv = false;
  std::string hv_layout = "shared";
  u32 pv_pages = 0;
  std::string hv_log;
};

int fail(const std::string& msg) {
  fmt::print(stderr, "ring1: {}\n", msg);
  return kExitBadInput;
}

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
  std::fputc(b, stdout);
  if (b == '\n') std::fflush(stdout);
}
void stdout_chars(void*, const char* s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) stdout_byte(static_cast<u8>(s[i]));
}
// The hypervisor's own log (console_io output, "(d1) ..."): stderr or the --hv-log file.
void log_chars(void* file, const char* s, std::size_t n) {
  std::fwrite(s, 1, n, static_cast<std::FILE*>(file));
  std::fflush(static_cast<std::FILE*>(file));
}

int run_command(const RunOptions& o) {
  std::ifstream in(o.image, std::ios::binary);
  if (!in) return fail(fmt::format("cannot read '{}'", o.image));
  std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) return fail(fmt::format("'{}' is empty", o.image));

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
    if (!trace_file) return fail(fmt::format("cannot write trace to '{}'", o.trace_file));
    dbg.trace_out = trace_file.get();
  }

  auto mem = parse_size(o.memory);
  if (!mem) return fail(fmt::format("--memory '{}' is not a size (examples: 128M, 1G, 65536K)", o.memory));
  // A 32-bit PC can address at most 4 GiB; below 1 MiB nothing useful boots. Anything else is a typo.
  if (*mem < (1u << 20) || *mem > (u64(3) << 30))
    return fail(fmt::format("--memory {} is outside 1M..3G", o.memory));
  if (o.load_addr && u64(*o.load_addr) + bytes.size() > *mem)
    return fail(fmt::format("'{}' ({} bytes at {:#x}) does not fit in {} of RAM", o.image, bytes.size(),
                            *o.load_addr, o.memory));
  if (!o.load_addr && !is_elf(bytes))
    return fail(fmt::format("'{}' is not an ELF file (a raw binary needs --load-addr)", o.image));
  if (o.cpu_mhz == 0 || o.cpu_mhz > 100'000) return fail(fmt::format("--cpu-mhz {} is outside 1..100000", o.cpu_mhz));

  MachineConfig cfg;
  cfg.memory_bytes = *mem;
  cfg.cost_profile = o.cost_profile;
  cfg.tlb_profile = o.tlb_profile;
  cfg.tlb_mode = o.tlb == "tagged" ? TlbMode::Tagged : TlbMode::Untagged;
  std::unique_ptr<Machine> m;
  try {
    m = std::make_unique<Machine>(cfg);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  // A Xen PV kernel (Xen ELF notes) boots under the hypervisor; a multiboot kernel on the bare PC, unless
  // --pv asks for the hypervisor (an image may carry both entries).
  std::optional<Elf32Image> elf;
  std::optional<hv::XenGuestInfo> xen;
  if (!o.load_addr) {
    std::string error;
    elf = parse_elf32(bytes, error);
    if (!elf) return fail(fmt::format("'{}': {}", o.image, error));
    xen = hv::read_xen_guest_info(*elf, bytes, error);
    if (!error.empty()) return fail(fmt::format("'{}': {}", o.image, error));
  }
  if (o.pv && !xen) return fail(fmt::format("--pv: '{}' {}", o.image, hv::kNotAPvKernel));
  const bool pv = xen && (o.pv || !find_multiboot_header(bytes));
  if (o.hv_layout != "shared" && !pv) return fail("--hv-layout applies to paravirtual guests only");

  Cpu& cpu = m->cpu();
  std::optional<PcPlatform> platform;
  std::unique_ptr<hv::Hypervisor> hyp;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> hv_log_file(nullptr, &std::fclose);
  if (!o.hv_log.empty() && !pv) return fail("--hv-log applies to paravirtual guests only");
  if (pv) {
    try {
      hyp = std::make_unique<hv::Hypervisor>(*m, true, o.hv_layout == "separate" ? hv::Layout::Separate
                                                                                  : hv::Layout::Shared);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    hyp->set_console_sink(&stdout_chars, nullptr);
    hyp->set_console_input(&stdin_byte);
    if (!o.hv_log.empty()) {
      hv_log_file.reset(std::fopen(o.hv_log.c_str(), "w"));
      if (!hv_log_file) return fail(fmt::format("cannot write the hypervisor log to '{}'", o.hv_log));
    }
    hyp->set_log_sink(&log_chars, hv_log_file ? hv_log_file.get() : stderr);
    // Virtual time runs on the modelled clock; the wall clock's epoch is the CMOS clock's (--rtc).
    hyp->set_clock(o.cpu_mhz * 1'000'000, o.rtc == "host" ? i64(std::time(nullptr)) : CmosRtc::kSosp2003);
    hv::PvBootConfig boot;
    boot.cmdline = o.cmdline;
    boot.nr_pages = o.pv_pages;
    std::string error;
    if (!hv::build_pv_domain(*hyp, bytes, *elf, *xen, boot, error))
      return fail(fmt::format("'{}': {}", o.image, error));
  } else {
    PcOptions pc;
    pc.console = stdout_byte;
    pc.serial_input = stdin_byte;
    pc.rtc = o.rtc == "host" ? RtcMode::Host : RtcMode::Fixed;
    pc.cpu_hz = o.cpu_mhz * 1'000'000;
    platform.emplace(*m, pc);
    if (o.load_addr) {
      // A raw image runs in flat 32-bit protected mode at CPL 0, with the stack at the top of RAM.
      m->ram().write_bytes(*o.load_addr, bytes.data(), u32(bytes.size()));
      cpu.reset_flat32();
      cpu.eip = o.entry.value_or(*o.load_addr);
      cpu.gpr[ESP] = u32(*mem & ~u64(15));
    } else {
      // QEMU hands a multiboot kernel "KERNEL-FILE ARGS" as its command line (hw/i386/multiboot.c), as GRUB
      // passes the kernel's path first; ring1 does the same, so a kernel prints the same on both.
      std::string error;
      if (!load_multiboot(m->ram(), cpu, bytes, fmt::format("{} {}", o.image, o.cmdline), error))
        return fail(fmt::format("'{}': {}", o.image, error));
      if (o.entry) cpu.eip = *o.entry;
    }
  }

  // ring1's exit status for a run that ended with `why`: what run_command returns and what the gdb stub
  // reports to a client when the guest ends (its `W` packet).
  auto exit_status = [&](StopReason why, bool killed) -> int {
    const std::optional<u64> guest_exit = platform ? platform->exit_status() : std::nullopt;
    if (why == StopReason::Requested && guest_exit) return int(*guest_exit & 0xFF);
    if (hyp && why == StopReason::Requested && hyp->state() == hv::DomainState::Crashed) return kExitGuestCrash;
    switch (why) {
      case StopReason::Halted: return 0;
      case StopReason::UnhandledFault:
      case StopReason::TripleFault: return kExitGuestCrash;
      case StopReason::InsnLimit:
      case StopReason::CycleLimit: return kExitLimit;
      case StopReason::HostError: return kExitHostError;
      case StopReason::Requested: return killed ? kExitKilled : 0;
      default: return 0;
    }
  };
  dbg.exit_status = [&](StopReason why) { return exit_status(why, false); };
  dbg.hypervisor = hyp.get();
  if (dbg.trace.hypercall && !hyp)
    return fail("--trace hypercall needs a paravirtual guest (this one runs on the bare PC, without a hypervisor)");

  RunLimits lim;
  if (o.max_instructions) lim.max_instructions = o.max_instructions;
  if (o.max_cycles) lim.max_cycles = o.max_cycles;
  auto t0 = std::chrono::steady_clock::now();
  DebugOutcome dbg_out;
  StopReason why = run_with_debugger(*m, lim, dbg, dbg_out);
  auto t1 = std::chrono::steady_clock::now();
  if (!dbg_out.error.empty()) {
    fmt::print(stderr, "ring1: --gdb: {}\n", dbg_out.error);
    return kExitHostError;
  }
  if (trace_file) std::fflush(trace_file.get());

  std::fflush(stdout);  // the console first, then the report

  const std::optional<u64> guest_exit = platform ? platform->exit_status() : std::nullopt;
  RunSummary s{why, std::chrono::duration<double>(t1 - t0).count(), o.image, guest_exit, hyp.get()};
  if (!o.quiet) {
    std::string text = o.report == "json" ? report_json(*m, s) : report_text(*m, s);
    if (o.report_file.empty()) {
      fmt::print("{}", text);
    } else {
      std::ofstream out(o.report_file);
      if (!out) return fail(fmt::format("cannot write report to '{}'", o.report_file));
      out << text;
    }
  }
  std::fflush(stdout);
  if (hyp && why == StopReason::Requested && hyp->state() == hv::DomainState::Crashed)
    fmt::print(stderr, "ring1: domain crashed: {}\n", hyp->crash_message());
  else if (hyp && hyp->state() == hv::DomainState::Blocked)
    fmt::print(stderr, "ring1: domain blocked for good: {}\n", hyp->crash_message());
  else if (why == StopReason::UnhandledFault)
    fmt::print(stderr, "ring1: guest crashed: {}\n", describe_fault(*m));
  else if (why == StopReason::TripleFault)
    fmt::print(stderr, "ring1: guest crashed: {}\n", describe_triple_fault(*m));
  else if (why == StopReason::HostError)
    fmt::print(stderr, "ring1: {}\n", cpu.host_error());
  return exit_status(why, dbg_out.killed);
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
                  "with Xen notes, booted under the hypervisor), or a raw flat binary with --load-addr")
      ->required();
  run->add_option("--memory", o.memory, "Guest RAM size, e.g. 128M, 1G")->capture_default_str();
  run->add_option("--load-addr", o.load_addr,
                  "Load IMAGE as a raw flat binary at this physical address (flat 32-bit protected mode, no "
                  "multiboot)");
  run->add_option("--entry", o.entry, "Entry EIP (default: the load address, or the ELF entry point)");
  run->add_option("--cmdline", o.cmdline,
                  "Kernel command line: a multiboot kernel receives \"IMAGE ARGS\", as under QEMU; a PV kernel "
                  "gets ARGS in start_info");
  run->add_option("--rtc", o.rtc, "CMOS clock: fixed (2003-10-19 00:00:00 plus modelled time) or host")
      ->check(CLI::IsMember({"fixed", "host"}))
      ->capture_default_str();
  run->add_option("--cpu-mhz", o.cpu_mhz, "Modelled CPU clock in MHz: converts PIT and RTC time to cycles")
      ->capture_default_str();
  run->add_option("--max-instructions", o.max_instructions, "Stop after N instructions (exit status 124)");
  run->add_option("--max-cycles", o.max_cycles, "Stop after N modelled cycles (exit status 124)");
  run->add_option("--cost-profile", o.cost_profile,
                  "Cycle-cost profile: a name (p3) or a file of `key = cycles` lines overriding p3")
      ->capture_default_str();
  run->add_option("--tlb", o.tlb, "TLB kind: untagged (x86: a CR3 write flushes) or tagged (ASID-like)")
      ->check(CLI::IsMember({"untagged", "tagged"}))
      ->capture_default_str();
  run->add_option("--tlb-profile", o.tlb_profile, "TLB geometry: p3 (Pentium III), p4 (Pentium 4/Xeon), tiny")
      ->capture_default_str();
  run->add_option("--report", o.report, "Report format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  run->add_option("--report-file", o.report_file, "Write the report to this file instead of stdout");
  run->add_flag("--quiet", o.quiet, "No report: stdout carries only the guest's console");
  run->add_option("--gdb", o.gdb_port,
                  "Serve the GDB remote protocol on 127.0.0.1:PORT (0: any free port, printed on stderr)");
  run->add_flag("--gdb-wait", o.gdb_wait, "With --gdb: do not start the guest until gdb attaches and continues");
  run->add_option("--trace", o.trace, "Trace events, a comma list of: ring, fault, tlb, io, insn, hypercall (a PV guest's hypercalls and "
                  "bounced exceptions)");
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
  run->add_option("--pv-pages", o.pv_pages, "Memory of a PV domain in 4 KiB pages (default: all the hypervisor leaves)");
  run->footer(
      "Devices: COM1 16550 UART (console on stdout; input from stdin when it is a pipe or file), port 0xE9\n"
      "debug console, isa-debug-exit at 0xF4, 8259A PIC pair, 8254 PIT, MC146818 CMOS/RTC.\n"
      "Exit status: the guest's isa-debug-exit status ((value << 1) | 1, odd) when it wrote one; 0 guest halted;\n"
      "a PV domain's poweroff or reboot 0; 2 bad input; 120 guest crashed (triple fault, unhandled exception,\n"
      "crashed domain); 122 killed from the debugger; 124 instruction/cycle limit reached; 126 host-side error.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitBadInput;
  }
  return run_command(o);
}
