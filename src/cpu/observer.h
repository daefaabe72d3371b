// What the debugger and the tracer see of the CPU: plain function pointers with a context, called only on
// cold paths (exception and interrupt delivery, IRET, far transfers through gates, port I/O), each behind one
// null check, so a CPU with nothing attached runs exactly as before. The CPU knows nothing of who listens.
#pragma once
#include <algorithm>
#include <vector>

#include "common/types.h"
#include "cpu/sensitive.h"

namespace ring1 {

// Why CPL changed (only transitions that change CPL are reported).
enum class TransitionCause : u8 {
  Exception, SoftwareInterrupt, ExternalInterrupt, Iret, FarCall, FarRet, TaskSwitch, Sysenter, Sysexit
};

struct RingTransition {
  Cycles cycle = 0;
  TransitionCause cause = TransitionCause::Exception;
  u8 vector = 0;  // for the three delivery causes
  u8 from_cpl = 0, to_cpl = 0;
  u16 from_cs = 0, to_cs = 0;
  u32 from_eip = 0;  // the instruction that caused it (or the boundary an external interrupt was taken at)
  u32 to_eip = 0;
};

// An exception the processor raised (not INT n/INT3/INTO, not an external interrupt), as it is delivered.
struct ExceptionEvent {
  Cycles cycle = 0;
  u8 vector = 0;
  bool has_error_code = false;
  u32 error_code = 0;
  u32 cr2 = 0;  // meaningful for #PF
  u32 eip = 0;  // the faulting instruction
  u8 cpl = 0;
};

struct CpuObserver {
  void (*ring_transition)(void* context, const RingTransition& t) = nullptr;
  void (*exception)(void* context, const ExceptionEvent& e) = nullptr;
  void (*port_access)(void* context, u16 port, u8 size, u32 value, bool write) = nullptr;
  // A sensitive instruction executed in a deprivileged ring (cpu/sensitive.h), after it completed.
  void (*sensitive)(void* context, const SensitiveEvent& e) = nullptr;
  void* context = nullptr;
};

// Instruction addresses (EIP) the run loop stops before: the debugger's breakpoints. No guest memory is
// written, so self-modifying code and the decode cache never see them.
class BreakpointSet {
 public:
  bool add(u32 eip) {
    auto it = std::lower_bound(eips_.begin(), eips_.end(), eip);
    if (it != eips_.end() && *it == eip) return false;
    eips_.insert(it, eip);
    return true;
  }
  bool remove(u32 eip) {
    auto it = std::lower_bound(eips_.begin(), eips_.end(), eip);
    if (it == eips_.end() || *it != eip) return false;
    eips_.erase(it);
    return true;
  }
  bool contains(u32 eip) const { return std::binary_search(eips_.begin(), eips_.end(), eip); }
  // Any breakpoint in [eip, eip + len)?
  bool any_in(u32 eip, u32 len) const {
    auto it = std::lower_bound(eips_.begin(), eips_.end(), eip);
    return it != eips_.end() && *it - eip < len;
  }
  bool empty() const { return eips_.empty(); }
  size_t size() const { return eips_.size(); }
  void clear() { eips_.clear(); }

 private:
  std::vector<u32> eips_;
};

}  // namespace ring1
