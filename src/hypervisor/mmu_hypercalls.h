// The page-table hypercalls: mmu_update, mmuext_op and update_va_mapping, with Xen's semantics (xen/arch/x86/
// mm.c: do_mmu_update, do_mmuext_op, do_update_va_mapping, Xen 3.0 non-PAE x86_32). Requests are processed
// in order; the first one that fails stops the batch with Xen's error code, everything before it stays done,
// the failing one changes nothing, and the number done is reported through the guest's `done` pointer.
//
// How the CPU integration calls them: the hypercall stub's host escape reads the arguments from EBX, ECX, EDX,
// ESI (as Xen's x86_32 entry does) and calls the handler with the running domain and an MmuGuestMemory over
// the CPU's MMU; it puts `rc` in EAX and then calls complete(), which does the TLB work in Xen's order (CR3
// load or flush, then single-entry flushes) and only then stores the done count, as Xen's
// process_deferred_ops precedes its __put_user(done). The handlers never touch the TLB themselves.
//
//   mmu_update(reqs=EBX, count=ECX, done=EDX, foreigndom=ESI)
//   mmuext_op(ops=EBX, count=ECX, done=EDX, foreigndom=ESI)
//   update_va_mapping(va=EBX, pte=ECX, flags=EDX)   non-PAE Xen 3.x (a PAE guest passes pte_lo, pte_hi, flags)
#pragma once
#include <array>
#include <optional>
#include <vector>

#include "hypervisor/domain.h"
#include "hypervisor/frame_table.h"
#include "hypervisor/guest_copy.h"
#include "hypervisor/mach_to_phys.h"
#include "hypervisor/preemption.h"
#include "mmu/mmu.h"

namespace ring1::hv {

// TLB work a hypercall asks of the CPU before the guest runs again.
struct TlbActions {
  // What each means is the same in every layout and TLB kind (docs/tlb-coherence.md):
  std::optional<Mfn> new_base;     // load CR3 with this page directory: the guest's MOV to CR3 (untagged: flushes
                                   // every non-global entry; tagged: switches to the directory's tag)
  bool flush_all = false;          // flush every non-global entry of every address space (Xen's deferred
                                   // DOP_FLUSH_TLB; its flush_tlb_local drops every PCID too)
  std::vector<LinearAddr> invlpg;  // single-entry flushes in the guest's current address space, in request order

  bool empty() const { return !new_base && !flush_all && invlpg.empty(); }
};

struct MmuOutcome {
  i32 rc = 0;  // what EAX gets: 0 or a negated xen::err value
  TlbActions tlb;
  std::optional<LinearAddr> done_ptr;  // where the done count goes (absent if the guest passed NULL)
  u32 done = 0;
  // Preempted (Preemption::check) before request `done`: the rest of the list, to continue with
  // (list, remaining | MMU_UPDATE_PREEMPTED, done, foreigndom), as Xen's do_mmu_update/do_mmuext_op do.
  bool preempted = false;
  LinearAddr rest{0};
  u32 remaining = 0;
};

// Requests per mmu_update / mmuext_op call, in power-of-two buckets: [0], [1], [2,3], [4,7], ... [4096, inf).
inline constexpr u32 kBatchBuckets = 14;
u32 batch_bucket(u32 count);

struct MmuCounters {
  u64 mmu_update_calls = 0, mmuext_op_calls = 0, update_va_mapping_calls = 0;
  std::array<u64, 4> mmu_update_by_cmd{};                     // MMU_NORMAL_PT_UPDATE .. MMU_PT_UPDATE_NO_TRANSLATE
  std::array<u64, xen::mmuext::kCount + 1> mmuext_by_cmd{};  // MMUEXT_*; the last counts unknown commands
  std::array<u64, kBatchBuckets> batch_sizes{};
  u64 requests_done = 0, requests_failed = 0;
  u64 flush_all_requested = 0, invlpg_requested = 0, new_base_requested = 0;
};

// Xen's set_foreigndom / get_pg_owner for an unprivileged caller: only the caller itself may be named, as
// DOMID_SELF or its own id (and, in foreigndom[31:16], as 0 or id + 1).
bool foreigndom_is_self(const Domain& d, u32 foreigndom);

class MmuHypercalls {
 public:
  MmuHypercalls(FrameTable& frames, MachToPhys& m2p) : frames_(frames), m2p_(m2p) {}

  MmuOutcome mmu_update(Domain& d, GuestMemory& mem, LinearAddr reqs, u32 count, LinearAddr done_ptr, u32 foreigndom);
  MmuOutcome mmuext_op(Domain& d, GuestMemory& mem, LinearAddr ops, u32 count, LinearAddr done_ptr, u32 foreigndom);
  MmuOutcome update_va_mapping(Domain& d, GuestMemory& mem, LinearAddr va, u32 new_pte, u32 flags);

  // After the handler: the TLB work on `mmu`, then the done count into guest memory (a fault there is ignored,
  // as Xen ignores its __put_user result). Says what the TLB work was, for the charges: a flush asked for is
  // skipped only when the new base's CR3 load already flushed every address space (untagged).
  struct TlbWorkDone {
    bool loaded_base = false, flushed = false;
    u32 invlpgs = 0;
  };
  TlbWorkDone complete(const MmuOutcome& out, Mmu& mmu, GuestMemory& mem);

  // Installs `m` as the vCPU's base pointer (Xen's new_guest_cr3, what NEW_BASEPTR does): m must be d's and
  // be, or validate as, an L2; the old base's references go. The domain builder installs the first base so.
  i32 new_guest_cr3(Domain& d, Mfn m);
  // Drops the vCPU's base pointer (domain teardown, before FrameTable::relinquish).
  void drop_base(Domain& d);

  const MmuCounters& counters() const { return counters_; }
  FrameTable& frames() { return frames_; }
  // Where batches check for preemption and count their work; null: never preempted.
  void set_preemption(Preemption* p) { preemption_ = p; }

 private:
  // The batch loop both list-taking hypercalls share (Xen's do_mmu_update / do_mmuext_op): the caller must
  // be the domain itself; a resumed call (MMU_UPDATE_PREEMPTED) carries on the count it had reported; the
  // whole list must lie below the hypervisor; requests run in order until the first failure, which stops the
  // batch with its error, or until the entry's work is done (Preemption), which leaves the rest for a
  // continuation; `done` says how many succeeded so far, over all the pieces.
  template <class Req, class One>
  MmuOutcome run_batch(Domain& d, GuestMemory& mem, LinearAddr list, u32 count, LinearAddr done_ptr,
                       u32 foreigndom, One&& one) {
    MmuOutcome out;
    if (done_ptr.value != 0) out.done_ptr = done_ptr;
    u32 done_before = 0;
    if (count & xen::kMmuUpdatePreempted) {
      count &= ~xen::kMmuUpdatePreempted;
      if (out.done_ptr && !mem.read(*out.done_ptr, done_before)) done_before = 0;
    } else {
      ++counters_.batch_sizes[batch_bucket(count)];  // a call counts once, with its whole list
    }
    u32 i = 0;
    if (!foreigndom_is_self(d, foreigndom)) {
      out.rc = -xen::err::kEINVAL;
    } else if (!array_access_ok(list, count, sizeof(Req))) {
      out.rc = -xen::err::kEFAULT;
    } else {
      for (; i < count; ++i) {
        if (preemption_ && preemption_->check()) {
          out.preempted = true;
          out.rest = LinearAddr{list.value + i * u32(sizeof(Req))};
          out.remaining = count - i;
          break;
        }
        Req req;
        if (!mem.read(LinearAddr{list.value + i * u32(sizeof req)}, req)) {
          out.rc = -xen::err::kEFAULT;
          break;
        }
        const u64 checked = entries_checked();
        const i32 rc = one(req, out.tlb);
        if (preemption_) preemption_->did_work(Preemption::work_of(entries_checked() - checked));
        if (rc != 0) {
          out.rc = rc;
          ++counters_.requests_failed;
          break;
        }
        ++counters_.requests_done;
      }
    }
    out.done = done_before + i;
    finish(out);
    return out;
  }

  // One request each; 0 or a negated error, and nothing changed on error.
  i32 do_mmu_update_one(Domain& d, const xen::MmuUpdate& req);
  i32 do_mmuext_one(Domain& d, GuestMemory& mem, const xen::MmuextOp& op, TlbActions& tlb);
  void finish(MmuOutcome& out);
  u64 entries_checked() const {
    const FrameTableStats& f = frames_.stats();
    return f.l1_entries_checked + f.l2_entries_checked + f.descriptors_checked;
  }

  FrameTable& frames_;
  MachToPhys& m2p_;
  MmuCounters counters_;
  Preemption* preemption_ = nullptr;
};


}  // namespace ring1::hv
