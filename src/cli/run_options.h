// `ring1 run`'s options as CLI11 fills them in (main.cpp defines the flags). Counts stay text here: they are
// read strictly by parse_count in run_command, because CLI11 would take "-1" as 2^64 - 1.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/types.h"
#include "devices/pc_platform.h"

namespace ring1 {

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
  std::vector<std::string> disks;  // --disk FILE[,ro][,domain=N]: block devices (xl's disk lines)
  std::vector<std::string> vifs;   // --vif [domain=N][,mac=MAC]: network devices on the virtual switch
  std::string vif_pcap;            // --vif-pcap FILE: every switched frame
};

}  // namespace ring1
