// The port I/O dispatcher's cold side: claiming and releasing port ranges and listing the counters.
// The access path itself is inline in port_bus.h.
#include "mmu/port_bus.h"

#include <algorithm>

namespace ring1 {

PortBus::PortBus()
    : owner_(new u16[kPorts]), reads_(new u64[kPorts]()), writes_(new u64[kPorts]()) {
  std::fill(owner_.get(), owner_.get() + kPorts, kNone);
}

bool PortBus::attach(u16 first, u32 count, const PortHandler& h) {
  if (count == 0 || u32(first) + count > kPorts) return false;
  for (u32 p = first; p < u32(first) + count; ++p)
    if (owner_[p] != kNone) return false;
  // Handler slots are never reused, so an index in owner_ always names the handler that claimed it; the
  // table is bounded by kNone - 1 attachments, far beyond any machine's device count.
  if (handlers_.size() >= kNone) return false;
  const u16 index = static_cast<u16>(handlers_.size());
  handlers_.push_back(h);
  std::fill(owner_.get() + first, owner_.get() + first + count, index);
  return true;
}

void PortBus::detach(u16 first, u32 count) {
  const u32 end = std::min<u32>(u32(first) + count, kPorts);
  for (u32 p = first; p < end; ++p) owner_[p] = kNone;
}

std::vector<PortCount> PortBus::touched() const {
  std::vector<PortCount> out;
  for (u32 p = 0; p < kPorts; ++p)
    if (reads_[p] | writes_[p]) out.push_back({static_cast<u16>(p), reads_[p], writes_[p]});
  return out;
}

void PortBus::reset_counters() {
  std::fill(reads_.get(), reads_.get() + kPorts, u64(0));
  std::fill(writes_.get(), writes_.get() + kPorts, u64(0));
}

}  // namespace ring1
