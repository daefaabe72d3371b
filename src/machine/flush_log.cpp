// The flush log (flush_log.h).
#include "machine/flush_log.h"

#include <fmt/format.h>

#include "machine/machine.h"

namespace ring1 {

FlushLog::FlushLog(Machine& m, std::FILE* out) : m_(m), out_(out) {
  ok_ = std::fputs(kHeader, out_) >= 0 && std::fputc('\n', out_) != EOF;
}

void FlushLog::on_flush(void* self, FlushCause cause, u32 dropped, u32 lin) {
  auto* log = static_cast<FlushLog*>(self);
  log->flush(cause, dropped, lin);
  if (log->next_.flushed) log->next_.flushed(log->next_.context, cause, dropped, lin);
}

void FlushLog::write_open_row() {
  if (!open_) return;
  const MmuStats& st = m_.mmu().stats();
  const u64 i = st.itlb.misses - itlb_misses_at_, d = st.dtlb.misses - dtlb_misses_at_;
  const std::string line = fmt::format("{},{},{},{}\n", open_prefix_, i + d, i, d);
  if (std::fputs(line.c_str(), out_) < 0) ok_ = false;
  open_ = false;
}

void FlushLog::flush(FlushCause cause, u32 dropped, u32 lin) {
  write_open_row();
  const Cpu& c = m_.cpu();
  const MmuStats& st = m_.mmu().stats();
  // The address only for INVLPG, the one flush of a single page.
  open_prefix_ = fmt::format("{},{},{},{},{:#010x},{},{}", rows_, c.cycles, flush_cause_name(cause), c.cpl, c.eip,
                             cause == FlushCause::Invlpg ? fmt::format("{:#010x}", lin) : std::string(), dropped);
  itlb_misses_at_ = st.itlb.misses;
  dtlb_misses_at_ = st.dtlb.misses;
  open_ = true;
  ++rows_;
}

bool FlushLog::finish() {
  write_open_row();
  return ok_ && std::fflush(out_) == 0 && !std::ferror(out_);
}

}  // namespace ring1
