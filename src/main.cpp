// The ring1 command line (CLI11): the options of `ring1 run`, `ring1 vectors`, `ring1 experiment` and
// `ring1 sweep`, and nothing else. Each command lives in src/cli (run_command.h, vectors_command.h) or
// src/experiment/cli; this file only parses and hands the options over.
// `ring1 run IMAGE` loads a guest on the PC platform (an ELF multiboot kernel, or a raw flat binary with
// --load-addr), runs it, and reports what it cost.
// Exit status: the guest's isa-debug-exit status when it wrote one; 0 when the guest halts cleanly; ring1's
// own outcomes use even numbers so that they never collide with a guest's isa-debug-exit status
// ((value << 1) | 1, always odd):
//   2 bad input or usage, 116 the guest used something ring1 does not model, 118 a bug in ring1 (one of its
//   own checks failed), 120 the guest crashed (an exception with nowhere to go), 122 killed from the debugger,
//   124 an instruction or cycle limit was reached, 126 a host-side error (e.g. code fetched from unassigned
//   memory).
#include <exception>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/print_err.h"
#include "cli/run_command.h"
#include "cli/run_options.h"
#include "cli/vectors_command.h"
#include "cpu/cpu_model.h"
#include "experiment/cli/experiment_command.h"
#include "machine/exit_status.h"

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
                  "PV: a block device served from a host image FILE[,ro][,domain=N] (512-byte sectors; writes go to "
                  "the file unless ro; domain 1 unless domain= says otherwise); repeat for more")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run->add_option("--vif", o.vifs,
                  "PV: a network device on the run's virtual switch, [domain=N][,mac=XX:XX:XX:XX:XX:XX] (default "
                  "domain 1 and 00:16:3e:00:DOM:INDEX); repeat for more (give IMAGE first: a bare --vif takes no value)")
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
