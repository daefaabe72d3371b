// The devices' report section (see the header).
#include "hypervisor/io_report.h"

#include <fmt/format.h>

#include "hypervisor/io_devices.h"

namespace ring1::hv {
namespace {

// Cycles per unit with two decimals, as the other reports print ratios.
std::string per(u64 cycles, u64 n) {
  if (n == 0) return "-";
  const u64 hundredths = (cycles * 100 + n / 2) / n;
  return fmt::format("{}.{:02}", hundredths / 100, hundredths % 100);
}

}  // namespace

std::string io_report_text(const IoDevices& io) {
  if (!io.nr_vbds() && !io.nr_vifs()) return "";
  std::string out = "  devices:       (back ends in domain 0; their work is charged to the modelled clock, in ring 0)\n";
  for (u32 i = 0; i < io.nr_vbds(); ++i) {
    const BlkifStats& b = io.vbd(i).stats();
    const DiskImage& d = io.disk(i);
    out += fmt::format(
        "    vbd {}/{} xvd{} {}, {} sectors: {} requests ({} reads, {} writes, {} barriers, {} flushes); {} sectors "
        "read, {} written; {} errors\n",
        io.vbd_domain(i), io.vbd_index(i), char('a' + io.vbd_index(i) % 26), d.read_only() ? "ro" : "rw", d.sectors(),
        b.requests, b.reads, b.writes, b.barriers, b.flushes, b.sectors_read, b.sectors_written, b.errors);
    out += fmt::format(
        "               {} notifications served, {} sent; at most {} requests per notification; {} broken rings; "
        "{} cycles\n",
        b.kicks, b.notifications, b.max_batch, b.protocol_errors, b.cycles);
  }
  if (io.nr_vifs()) {
    const SwitchStats& sw = io.virtual_switch().stats();
    out += fmt::format("    switch:      {} frames ({} bytes) in; {} to a learned port, {} flooded, {} filtered; {} "
                       "deliveries\n",
                       sw.frames, sw.bytes, sw.unicast, sw.flooded, sw.filtered, sw.deliveries);
  }
  for (u32 i = 0; i < io.nr_vifs(); ++i) {
    const NetifStats& n = io.vif(i).stats();
    out += fmt::format("    vif {}/{} {}: {}; sent {} frames ({} bytes, {} errors), received {} ({} bytes, {} dropped, "
                       "{} errors)\n",
                       io.vif_config(i).domain, io.vif_devid(i), format_mac(io.vif_config(i).mac),
                       io.vif(i).connected() ? "connected" : "not connected", n.tx_packets, n.tx_bytes, n.tx_errors,
                       n.rx_packets, n.rx_bytes, n.rx_dropped, n.rx_errors);
    out += fmt::format("               {} notifications served, {} sent; at most {} slots per notification; {} broken "
                       "rings; {} cycles, {} per frame\n",
                       n.kicks, n.notifications, n.max_tx_batch, n.protocol_errors, n.cycles,
                       per(n.cycles, n.tx_packets + n.rx_packets));
  }
  return out;
}

std::string io_report_json(const IoDevices& io) {
  std::string vbds, vifs;
  for (u32 i = 0; i < io.nr_vbds(); ++i) {
    const BlkifStats& b = io.vbd(i).stats();
    const DiskImage& d = io.disk(i);
    vbds += fmt::format(
        R"({}{{"index":{},"domain":{},"devid":{},"read_only":{},"sectors":{},"requests":{},"reads":{},"writes":{},)"
        R"("barriers":{},"flushes":{},"sectors_read":{},"sectors_written":{},"errors":{},"notifications_served":{},)"
        R"("notifications_sent":{},"max_batch":{},"broken_rings":{},"cycles":{}}})",
        vbds.empty() ? "" : ",", i, io.vbd_domain(i), io.vbd_index(i), d.read_only(), d.sectors(), b.requests, b.reads,
        b.writes, b.barriers, b.flushes, b.sectors_read, b.sectors_written, b.errors, b.kicks, b.notifications,
        b.max_batch, b.protocol_errors, b.cycles);
  }
  for (u32 i = 0; i < io.nr_vifs(); ++i) {
    const NetifStats& n = io.vif(i).stats();
    vifs += fmt::format(
        R"({}{{"index":{},"domain":{},"devid":{},"mac":"{}","connected":{},"tx_packets":{},"tx_bytes":{},)"
        R"("tx_errors":{},"rx_packets":{},"rx_bytes":{},"rx_dropped":{},"rx_errors":{},"notifications_served":{},)"
        R"("notifications_sent":{},"max_batch":{},"broken_rings":{},"cycles":{}}})",
        vifs.empty() ? "" : ",", i, io.vif_config(i).domain, io.vif_devid(i), format_mac(io.vif_config(i).mac),
        io.vif(i).connected(), n.tx_packets, n.tx_bytes, n.tx_errors, n.rx_packets, n.rx_bytes, n.rx_dropped,
        n.rx_errors, n.kicks, n.notifications, n.max_tx_batch, n.protocol_errors, n.cycles);
  }
  const SwitchStats& sw = io.virtual_switch().stats();
  return fmt::format(R"({{"vbds":[{}],"vifs":[{}],"switch":{{"frames":{},"bytes":{},"unicast":{},"flooded":{},)"
                     R"("filtered":{},"deliveries":{}}}}})",
                     vbds, vifs, sw.frames, sw.bytes, sw.unicast, sw.flooded, sw.filtered, sw.deliveries);
}

}  // namespace ring1::hv
