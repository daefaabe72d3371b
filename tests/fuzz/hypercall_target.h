// The PV hypercall fuzzing target: one input is a sequence of hypercalls that a ring-1 guest kernel makes,
// one after another, in a freshly built domain (the kernel given at start-up, normally tests/hypervisor's
// pv_hello.elf). Each 40-byte record picks the hypercall number and five arguments from palettes of values a
// hostile guest would try (its own and the hypervisor's addresses, machine frames and page-table entries of
// its memory, huge counts, selectors, raw words) and fills a scratch page with request words from the same
// palettes, then executes `int $0x82` on the emulated CPU: the whole path (gate, stub, VMCALL, dispatcher,
// handler, bounce or IRET) runs as for a real guest. Whatever the arguments, ring1 must answer with Xen's
// error, a bounce or a crashed domain: never an escaping exception, a ring1-bug stop or a host error.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/types.h"

namespace ring1::fuzz {

class HypercallTarget {
 public:
  // `kernel`: the bytes of a PV kernel whose entry page may be overwritten with the call instruction.
  // `separate`: the hypervisor in its own address space (--hv-layout separate), else the shared layout.
  HypercallTarget(std::vector<u8> kernel, bool separate);
  ~HypercallTarget();
  // False (with `error`) if the kernel does not boot as a PV domain.
  bool usable(std::string& error);
  std::string run(std::span<const u8> input);
  u64 hypercalls_made() const { return calls_; }
  u64 returned() const { return returned_; }       // calls that came back to the instruction after the call
  u64 crashed() const { return crashed_; }         // inputs whose domain the hypervisor crashed
  u64 errors() const { return errors_; }           // calls that returned a negative (Xen error) EAX

  static constexpr size_t kRecordBytes = 40;
  static constexpr size_t kMaxRecords = 16;

 private:
  std::vector<u8> kernel_;
  bool separate_;
  u64 calls_ = 0, returned_ = 0, crashed_ = 0, errors_ = 0;
};

}  // namespace ring1::fuzz
