// The devices' report (see the header).
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

std::string json_escaped(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') out += fmt::format("\\{}", ch);
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\u{:04x}", c);
    else out += ch;
  }
  return out + "\"";
}

}  // namespace

std::string io_report_text(const IoDevices& io) {
  const SwitchStats& sw = io.virtual_switch().stats();
  std::string out = fmt::format("  devices:       {} vif(s), {} vbd(s)\n", io.nr_vifs(), io.nr_vbds());
  if (io.nr_vifs())
    out += fmt::format("    switch:      {} frames ({} bytes) in; {} to a learned port, {} flooded, {} filtered; {} "
                       "deliveries\n",
                       sw.frames, sw.bytes, sw.unicast, sw.flooded, sw.filtered, sw.deliveries);
  for (u32 i = 0; i < io.nr_vifs(); ++i) {
    const NetifStats& s = io.vif(i).stats();
    const u64 frames = s.tx_packets + s.rx_packets;
    out += fmt::format("    vif {}/{} {}: {}; {} kicks, {} notifications to the front end, {} protocol errors\n",
                       io.vif_config(i).domain, io.vif_devid(i), format_mac(io.vif_config(i).mac),
                       io.vif(i).connected() ? "connected" : "not connected", s.kicks, s.notifications,
                       s.protocol_errors);
    out += fmt::format("      tx {} frames ({} bytes), {} errors, at most {} slots per kick; rx {} frames ({} bytes), "
                       "{} dropped, {} errors\n",
                       s.tx_packets, s.tx_bytes, s.tx_errors, s.max_tx_batch, s.rx_packets, s.rx_bytes, s.rx_dropped,
                       s.rx_errors);
    out += fmt::format("      back end: {} cycles, {} per frame\n", s.cycles, per(s.cycles, frames));
  }
  for (u32 i = 0; i < io.nr_vbds(); ++i) {
    const BlkifStats& s = io.vbd(i).stats();
    out += fmt::format("    vbd {}/{} {}: {} kicks, {} requests ({} reads, {} writes), {} errors, at most {} per "
                       "kick; back end {} cycles, {} per request\n",
                       io.vbd_domain(i), IoDevices::vbd_devid(io.vbd_index(i)), io.disk(i).path(), s.kicks, s.requests,
                       s.reads, s.writes, s.errors, s.max_batch, s.cycles, per(s.cycles, s.requests));
  }
  return out;
}

std::string io_report_json(const IoDevices& io) {
  const SwitchStats& sw = io.virtual_switch().stats();
  std::string out = fmt::format(R"({{"switch":{{"frames":{},"bytes":{},"unicast":{},"flooded":{},"filtered":{},)"
                                R"("deliveries":{}}},"vifs":[)",
                                sw.frames, sw.bytes, sw.unicast, sw.flooded, sw.filtered, sw.deliveries);
  for (u32 i = 0; i < io.nr_vifs(); ++i) {
    const NetifStats& s = io.vif(i).stats();
    out += fmt::format(
        R"({}{{"domain":{},"devid":{},"mac":"{}","connected":{},"kicks":{},"tx_packets":{},"tx_bytes":{},)"
        R"("tx_errors":{},"max_tx_batch":{},"rx_packets":{},"rx_bytes":{},"rx_dropped":{},"rx_errors":{},)"
        R"("notifications":{},"protocol_errors":{},"cycles":{}}})",
        i ? "," : "", io.vif_config(i).domain, io.vif_devid(i), format_mac(io.vif_config(i).mac),
        io.vif(i).connected() ? "true" : "false", s.kicks, s.tx_packets, s.tx_bytes, s.tx_errors, s.max_tx_batch,
        s.rx_packets, s.rx_bytes, s.rx_dropped, s.rx_errors, s.notifications, s.protocol_errors, s.cycles);
  }
  out += R"(],"vbds":[)";
  for (u32 i = 0; i < io.nr_vbds(); ++i) {
    const BlkifStats& s = io.vbd(i).stats();
    out += fmt::format(R"({}{{"domain":{},"devid":{},"path":{},"kicks":{},"requests":{},"reads":{},"writes":{},)"
                       R"("errors":{},"max_batch":{},"notifications":{},"protocol_errors":{},"cycles":{}}})",
                       i ? "," : "", io.vbd_domain(i), IoDevices::vbd_devid(io.vbd_index(i)),
                       json_escaped(io.disk(i).path()), s.kicks, s.requests, s.reads, s.writes, s.errors, s.max_batch,
                       s.notifications, s.protocol_errors, s.cycles);
  }
  return out + "]}";
}

}  // namespace ring1::hv
