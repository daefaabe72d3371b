// Preemptible hypercalls, after Xen's hypercall_preempt_check and hypercall_create_continuation
// (xen/arch/x86/domain.c; mm.c do_mmu_update's MMU_UPDATE_PREEMPTED; common/multicall.c). A hypercall that
// has a long list to work through stops after a bounded amount of work and leaves the guest's EIP on its
// `int $0x82` with the arguments updated to the rest of the list, so the guest re-executes it: it still sees
// one hypercall, with its `done` count right, while the run loop gets its turn between the pieces (limits,
// the debugger, later other domains). Xen's check is "a softirq is pending", a matter of wall-clock time;
// ring1's is a fixed amount of work per entry, so where a call is split is deterministic.
#pragma once
#include <array>
#include <optional>

#include "common/types.h"

namespace ring1::hv {

// A hypercall to make again: its number and its first `nargs` arguments (EBX, ECX, EDX, ESI, EDI).
struct Continuation {
  u32 nr = 0;
  std::array<u32, 5> args{};
  u32 nargs = 0;
};

class Preemption {
 public:
  // Work one entry into the hypervisor may do before the rest must wait for a continuation, in requests
  // (mmu_update requests, mmuext_op operations, multicall entries). 2048 is XenoLinux's largest batch (and
  // the kit's), so such a batch of plain updates is never split. A request that validates or tears down
  // tables counts one more for every kEntriesPerRequest entries it checked, so a list of requests that each
  // validate a whole table is split as early, in host time, as a list of plain ones.
  static constexpr u32 kRequestsPerEntry = 2048;
  static constexpr u32 kEntriesPerRequest = 64;
  static constexpr u32 work_of(u64 entries_checked) {
    return 1 + static_cast<u32>(entries_checked / kEntriesPerRequest);
  }

  // A hypercall entry begins: a fresh budget. `eip` is the return address of its `int $0x82`; the entry is
  // the re-execution of a continuation if the last one left the guest at that very instruction and call.
  void enter(u32 nr, u32 eip) {
    work_ = 0;
    resumed_ = pending_ && nr == pending_nr_ && eip == pending_eip_;
    pending_ = false;
  }
  bool resumed() const { return resumed_; }
  // Xen's hypercall_preempt_check: true once this entry has done its share of work.
  bool check() const { return work_ >= kRequestsPerEntry; }
  void did_work(u32 requests = 1) { work_ += requests; }
  u32 work() const { return work_; }

  // The guest was left to re-execute call `nr` whose `int $0x82` returns to `eip`.
  void note_continuation(u32 nr, u32 eip) {
    pending_ = true;
    pending_nr_ = nr;
    pending_eip_ = eip;
    ++continuations_;
  }
  // Inside a multicall a preempted call's continuation goes back into its entry (Xen: MCSF_call_preempted).
  void defer_subcall(const Continuation& c) { subcall_ = c; }
  std::optional<Continuation> take_subcall() {
    std::optional<Continuation> c = subcall_;
    subcall_.reset();
    return c;
  }

  u64 continuations() const { return continuations_; }  // hypercalls left to be made again, for the report

 private:
  u32 work_ = 0;
  bool pending_ = false, resumed_ = false;
  u32 pending_nr_ = 0, pending_eip_ = 0;
  std::optional<Continuation> subcall_;
  u64 continuations_ = 0;
};

}  // namespace ring1::hv
