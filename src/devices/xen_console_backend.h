// The back end of a Xen PV console (xen/include/public/io/console.h, struct xencons_interface): what
// xenconsoled does for a domU in dom0. The guest writes its output into the ring's `out` half and notifies
// its console event channel; the back end copies out[out_cons..out_prod) to the console and advances
// out_cons. Input goes the other way: bytes from the host (stdin in the CLI) into `in`, in_prod advanced, and
// the guest notified. The rings' indexes are free-running u32s masked by the ring size (MASK_XENCONS_IDX).
// The back end knows nothing of event channels: the hypervisor calls drain() on the guest's notification and
// feed() when it looks for input, and notifies the guest when feed() says it added bytes.
#pragma once
#include <cstddef>

#include "cpu/types.h"
#include "mmu/physical_memory.h"

namespace ring1 {

class XenConsoleBackend {
 public:
  // Where the guest's output goes; where input comes from (the next byte, or -1 for none now).
  using Sink = void (*)(void* context, const char* s, std::size_t n);
  using Source = int (*)();

  explicit XenConsoleBackend(PhysicalMemory& ram) : ram_(ram) {}

  void attach(u32 ring_ma) { ring_ = ring_ma; }
  bool attached() const { return ring_ != 0; }
  void set_sink(Sink sink, void* context) {
    sink_ = sink;
    sink_ctx_ = context;
  }
  void set_source(Source source) { source_ = source; }

  // Copies the guest's pending output to the sink; returns the number of bytes taken.
  u32 drain();
  // Moves available input bytes into the `in` ring while it has room; returns how many were added.
  u32 feed();

  u64 bytes_out() const { return bytes_out_; }
  u64 bytes_in() const { return bytes_in_; }

 private:
  PhysicalMemory& ram_;
  u32 ring_ = 0;
  Sink sink_ = nullptr;
  void* sink_ctx_ = nullptr;
  Source source_ = nullptr;
  u64 bytes_out_ = 0, bytes_in_ = 0;
};

}  // namespace ring1
