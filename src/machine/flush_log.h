// The flush log (`ring1 run --flush-log FILE.csv`): one CSV row per TLB flush the report counts, with its
// cause, the ring and EIP of the instruction that caused it (for a paravirtual guest's request, the
// hypervisor stub's VMCALL, as the tracer's tlb lines give it), the entries it dropped, and the TLB misses
// that followed it until the next flush (or the end of the run): the refills the flush made necessary,
// together with whatever new pages the guest touched meanwhile. A row is written when the next flush comes,
// so memory stays one row. Per cause, the row count and the dropped entries add up to the report's figures.
#pragma once
#include <cstdio>
#include <string>

#include "common/types.h"
#include "mmu/mmu.h"

namespace ring1 {

class Machine;

class FlushLog {
 public:
  // Writes the header line at once; `out` stays the caller's.
  FlushLog(Machine& m, std::FILE* out);

  // The MMU's flush hook (Mmu::flush_observer): forwards to `next` too (the tracer), if set.
  FlushObserver observer() { return FlushObserver{&FlushLog::on_flush, this}; }
  void chain(FlushObserver next) { next_ = next; }
  // The run is over: writes the last row. Returns false if any write failed.
  bool finish();
  u64 rows() const { return rows_; }

  static constexpr const char* kHeader =
      "seq,cycle,cause,ring,eip,addr,dropped,refill_misses,refill_itlb_misses,refill_dtlb_misses";

 private:
  static void on_flush(void* self, FlushCause cause, u32 dropped, u32 lin);
  void flush(FlushCause cause, u32 dropped, u32 lin);
  void write_open_row();

  Machine& m_;
  std::FILE* out_;
  FlushObserver next_;
  u64 rows_ = 0;
  bool ok_ = true;
  // The flush whose refill misses are still being counted.
  bool open_ = false;
  std::string open_prefix_;  // seq..dropped, already formatted
  u64 itlb_misses_at_ = 0, dtlb_misses_at_ = 0;
};

}  // namespace ring1
