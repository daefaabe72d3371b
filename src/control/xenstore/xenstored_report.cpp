// The store daemon's report section (see the header).
#include "control/xenstore/xenstored_report.h"

#include <cerrno>

#include <fmt/format.h>

#include "control/xenstore/xenstored.h"

namespace ring1::xs {
namespace {

std::string by_type(const XenstoredStats& s, bool json) {
  std::string out;
  for (u32 t = 0; t <= kMsgTypes; ++t) {
    if (!s.requests[t]) continue;
    const std::string_view name = t < kMsgTypes ? msg_type_name(t) : std::string_view("unknown");
    out += json ? fmt::format(R"({}"{}":{})", out.empty() ? "" : ",", name, s.requests[t])
                : fmt::format("{}{} x{}", out.empty() ? "" : ", ", name, s.requests[t]);
  }
  return out;
}

std::string errors(const XenstoredStats& s, bool json) {
  std::string out;
  static constexpr int kErrnos[] = {EINVAL, EACCES, EEXIST, EISDIR, ENOENT, ENOMEM, ENOSPC, EIO,
                                    ENOTEMPTY, ENOSYS, EROFS, EBUSY, EAGAIN, EISCONN, E2BIG, EPERM};
  for (int e : kErrnos) {
    const u64 n = s.errors[error_slot(e)];
    if (!n) continue;
    out += json ? fmt::format(R"({}"{}":{})", out.empty() ? "" : ",", error_name(e), n)
                : fmt::format("{}{} x{}", out.empty() ? "" : ", ", error_name(e), n);
  }
  return out;
}

}  // namespace

std::string xenstored_report_text(const Xenstored& d) {
  const XenstoredStats& s = d.stats();
  if (!s.kicks) return {};
  std::string out = fmt::format("    xenstore:    domain 0 took {} notifications and {} cycles; guests asked {}; its own "
                                "services made {} requests\n",
                                s.kicks, s.cycles, by_type(s, false), s.local_requests);
  std::string err = errors(s, false);
  out += fmt::format("      {} bytes in, {} out; {} watch events ({} dropped); transactions {} started, {} "
                     "committed, {} refused (EAGAIN), {} aborted; errors {}; {} rings broken\n",
                     s.bytes_in, s.bytes_out, s.watch_events, s.watch_events_dropped, s.transactions_started,
                     s.transactions_committed, s.transactions_conflicted, s.transactions_aborted,
                     err.empty() ? "none" : err, s.broken_rings);
  return out;
}

std::string xenstored_report_json(const Xenstored& d) {
  const XenstoredStats& s = d.stats();
  return fmt::format(
      R"({{"notifications":{},"cycles":{},"requests":{{{}}},"local_requests":{},"errors":{{{}}},"bytes_in":{},"bytes_out":{},)"
      R"("watch_events":{},"watch_events_dropped":{},"transactions_started":{},"transactions_committed":{},)"
      R"("transactions_conflicted":{},"transactions_aborted":{},"broken_rings":{}}})",
      s.kicks, s.cycles, by_type(s, true), s.local_requests, errors(s, true), s.bytes_in, s.bytes_out, s.watch_events,
      s.watch_events_dropped, s.transactions_started, s.transactions_committed, s.transactions_conflicted,
      s.transactions_aborted, s.broken_rings);
}

}  // namespace ring1::xs
