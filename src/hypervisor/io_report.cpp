// The devices' report section (see the header).
#include "hypervisor/io_report.h"

#include <fmt/format.h>

#include "hypervisor/io_devices.h"

namespace ring1::hv {

std::string io_report_text(const IoDevices& io) {
  if (!io.nr_vbds() && !io.nr_vifs()) return "";
  std::string out = "  devices:       (back ends in domain 0; their work is charged to the modelled clock, in ring 0)\n";
  for (u32 i = 0; i < io.nr_vbds(); ++i) {
    const BlkifStats& b = io.vbd(i).stats();
    const DiskImage& d = io.disk(i);
    out += fmt::format(
        "    vbd {:<4} xvd{} {}, {} sectors: {} requests ({} reads, {} writes, {} barriers, {} flushes); {} sectors "
        "read, {} written; {} errors\n",
        i, char('a' + i % 26), d.read_only() ? "ro" : "rw", d.sectors(), b.requests, b.reads, b.writes, b.barriers,
        b.flushes, b.sectors_read, b.sectors_written, b.errors);
    out += fmt::format(
        "               {} notifications served, {} sent; at most {} requests per notification; {} broken rings; "
        "{} cycles\n",
        b.kicks, b.notifications, b.max_batch, b.protocol_errors, b.cycles);
  }
  for (u32 i = 0; i < io.nr_vifs(); ++i) {
    const NetifStats& n = io.vif(i).stats();
    out += fmt::format(
        "    vif {:<4} {}: sent {} packets ({} bytes, {} errors), received {} ({} bytes, {} dropped, {} errors)\n", i,
        format_mac(io.vif_config(i).mac), n.tx_packets, n.tx_bytes, n.tx_errors, n.rx_packets, n.rx_bytes,
        n.rx_dropped, n.rx_errors);
    out += fmt::format(
        "               {} notifications served, {} sent; at most {} slots per notification; {} broken rings; "
        "{} cycles\n",
        n.kicks, n.notifications, n.max_tx_batch, n.protocol_errors, n.cycles);
  }
  return out;
}

std::string io_report_json(const IoDevices& io) {
  std::string vbds, vifs;
  for (u32 i = 0; i < io.nr_vbds(); ++i) {
    const BlkifStats& b = io.vbd(i).stats();
    const DiskImage& d = io.disk(i);
    vbds += fmt::format(
        R"({}{{"index":{},"read_only":{},"sectors":{},"requests":{},"reads":{},"writes":{},"barriers":{},"flushes":{},)"
        R"("sectors_read":{},"sectors_written":{},"errors":{},"notifications_served":{},"notifications_sent":{},)"
        R"("max_batch":{},"broken_rings":{},"cycles":{}}})",
        vbds.empty() ? "" : ",", i, d.read_only(), d.sectors(), b.requests, b.reads, b.writes, b.barriers, b.flushes,
        b.sectors_read, b.sectors_written, b.errors, b.kicks, b.notifications, b.max_batch, b.protocol_errors, b.cycles);
  }
  for (u32 i = 0; i < io.nr_vifs(); ++i) {
    const NetifStats& n = io.vif(i).stats();
    vifs += fmt::format(
        R"({}{{"index":{},"mac":"{}","tx_packets":{},"tx_bytes":{},"tx_errors":{},"rx_packets":{},"rx_bytes":{},)"
        R"("rx_dropped":{},"rx_errors":{},"notifications_served":{},"notifications_sent":{},"max_batch":{},)"
        R"("broken_rings":{},"cycles":{}}})",
        vifs.empty() ? "" : ",", i, format_mac(io.vif_config(i).mac), n.tx_packets, n.tx_bytes, n.tx_errors,
        n.rx_packets, n.rx_bytes, n.rx_dropped, n.rx_errors, n.kicks, n.notifications, n.max_tx_batch,
        n.protocol_errors, n.cycles);
  }
  return fmt::format(R"({{"vbds":[{}],"vifs":[{}]}})", vbds, vifs);
}

}  // namespace ring1::hv
