// The paravirtual machine: one domain's guest kernel in ring 1 and its applications in ring 3, with the
// hypervisor in ring 0 of the same address spaces (DESIGN.md, src/hypervisor). The CPU never knows it
// exists: the hypervisor owns the IDT, GDT and TSS (hypervisor_space.h), and its entry stubs reach this
// class through VMCALL, the host escape. Here a hypercall is dispatched by number, and an exception taken
// from ring 1 or 3 is bounced to the guest's own handler on the guest kernel stack, with the frame Xen
// builds (xen/arch/x86/x86_32/entry.S, create_bounce_frame; XEN-REFERENCE.md 2.8).
#pragma once
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/xenstore/xenstored.h"
#include "devices/xen_console_backend.h"
#include "hypervisor/domain.h"
#include "hypervisor/event_channels.h"
#include "hypervisor/frame_table.h"
#include "hypervisor/grant_access.h"
#include "hypervisor/guest_copy.h"
#include "hypervisor/hv_observer.h"
#include "hypervisor/hypervisor_space.h"
#include "hypervisor/mach_to_phys.h"
#include "hypervisor/mmu_hypercalls.h"
#include "hypervisor/preemption.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vcpu_timers.h"
#include "hypervisor/virtual_time.h"
#include "cpu/cpu_clock.h"
#include "cpu/stop_reason.h"

namespace ring1 {
class Cpu;  // cpu/cpu.h: only the files that drive the processor include it (the entry, bounces, events)
}

namespace ring1::hv {

// Blocked: the run ended while the domain waited in SCHEDOP_block/poll with nothing left that could wake it
// (no timer armed, no input to come), as a native HLT with interrupts off ends it.
enum class DomainState : u8 { Running, Shutdown, Crashed, Blocked };

// Where the hypervisor runs (--hv-layout). Shared: the paper's design, in the top 64 MB of the guest's own
// address space, so entering it changes no CR3. Separate: in an address space of its own; the gates, stubs
// and tables stay mapped in the guest's (as a trampoline must), but every entry loads the hypervisor's page
// directory and every exit the guest's, so an untagged TLB loses the guest's translations both times, and
// the hypervisor reaches guest memory by walking the guest's page tables in software.
enum class Layout : u8 { Shared, Separate };

struct HypervisorStats {
  static constexpr u32 kHypercalls = 64;
  std::array<u64, kHypercalls> hypercalls{};  // by number (larger numbers count in [kHypercalls - 1])
  std::array<u64, 256> bounces{};             // exceptions bounced to the guest, by vector
  u64 syscalls_via_hypervisor = 0;            // INT n from ring 3 with no direct gate, bounced
  u64 entries = 0;                            // every VMCALL from a stub
  u64 multicall_entries = 0;                  // calls made from inside multicalls
  // Events (hypervisor_events.cpp).
  u64 upcalls = 0;            // event callbacks started (bounce frames to the event callback)
  u64 event_interrupts = 0;   // guests stopped by the event-check interrupt to take an upcall
  u64 failsafe_callbacks = 0; // returns to the guest that faulted and went to its failsafe callback
  u64 blocks = 0;             // SCHEDOP_block and SCHEDOP_poll calls that waited
  Cycles blocked_cycles = 0;  // modelled time spent blocked (the clock jumps to the wake-up)
  u64 timer_events = 0;       // VIRQ_TIMER raised by the single-shot and periodic timers
};

class DomainScheduler;  // domain_scheduler.h: several domains on the one CPU

// What every domain of a run shares: the hypervisor's own address-space part (IDT, GDT, TSS, stubs, stack),
// the frame table that records which domain owns each machine frame, and the machine-to-phys table.
class Hypervisor;

struct HypervisorCore {
  HypervisorCore(PhysicalMemory& ram, bool global_mappings);
  HypervisorSpace space;
  FrameTable frames;
  MachToPhys m2p;
  // Domain 0's store daemon, one for every domain of the run (control/xenstore/xenstored.h).
  xs::Xenstored store;
  // The grant entries in use, whichever domain granted or maps them (grant_access.h), and every domain's
  // Hypervisor by id, so that one domain can map or copy what another granted it.
  ActiveGrants grants;
  std::map<u16, Hypervisor*> members;
};

// One Hypervisor per domain: its vCPU, events, timers, consoles, statistics and fate, over a core that the
// first one creates and later ones share (Hypervisor(first, id)). With one domain nothing else changes.
class Hypervisor {
 public:
  // Takes the top of the RAM behind `cpu`'s MMU (HypervisorSpace) and installs itself as the CPU's host
  // escape. The hypervisor needs the CPU (and through it the MMU and RAM), not the machine around them.
  // Domain 1.
  explicit Hypervisor(Cpu& cpu, bool global_mappings = true, Layout layout = Layout::Shared);
  // Another domain, `id`, on `first`'s CPU, core and layout. It takes the CPU only when the domain
  // scheduler switches to it.
  Hypervisor(Hypervisor& first, DomainId id);
  ~Hypervisor();
  Hypervisor(const Hypervisor&) = delete;
  Hypervisor& operator=(const Hypervisor&) = delete;

  PhysicalMemory& ram() { return ram_; }
  Cpu& cpu() { return cpu_; }
  const Cpu& cpu() const { return cpu_; }
  // The CPU's clock alone (cycles, charges, costs): what most of the hypervisor needs of the processor.
  CpuClock& clock() { return clock_; }
  const CpuClock& clock() const { return clock_; }
  HypervisorSpace& space() { return space_; }
  const HypervisorSpace& space() const { return space_; }
  FrameTable& frames() { return frames_; }
  const FrameTable& frames() const { return frames_; }
  MachToPhys& m2p() { return m2p_; }
  MmuHypercalls& mmu_ops() { return mmu_ops_; }
  const MmuHypercalls& mmu_ops() const { return mmu_ops_; }
  Domain& domain() { return domain_; }
  const Domain& domain() const { return domain_; }
  // Cross-domain access to granted frames (grant_access.h): map_grant_ref, copy and the back-ends.
  GrantAccess& grants() { return grants_; }
  const GrantAccess& grants() const { return grants_; }
  VirtualCpu& vcpu() { return vcpu_; }
  const VirtualCpu& vcpu() const { return vcpu_; }
  const HypervisorStats& stats() const { return stats_; }
  // The control domain's store daemon (control/xenstore/xenstored.h), serving every domain's store ring;
  // its work is charged from the cost profile (xs_request, xs_byte) and reported as domain 0's.
  xs::Xenstored& store() { return store_; }
  const xs::Xenstored& store() const { return store_; }
  // The xenstore page at machine address `ma`; returns the guest's event-channel port for it (start_info's
  // store_evtchn), or -errno. The domain is introduced to the store, which answers when the guest notifies
  // the port and notifies it back.
  i32 set_store_page(u32 ma);
  i32 store_port() const { return store_port_; }

  // Starts the guest kernel in ring 1 at `eip` with stack `esp` on the page directory at machine address
  // `cr3` (which must already hold the hypervisor's slots), flat FLAT_RING1 segments and ESI = `esi`
  // (start_info, as Xen's domain builder leaves it).
  void enter_guest(u32 cr3, u32 eip, u32 esp, u32 esi);

  // ---- the domain's fate ----
  DomainState state() const { return state_; }
  u32 shutdown_reason() const { return shutdown_reason_; }  // SHUTDOWN_* (xen/sched.h)
  // Why the domain crashed, or why it is blocked for good (DomainState::Blocked).
  const std::string& crash_message() const { return crash_message_; }
  // SCHEDOP_shutdown_code: the reason latched for a later shutdown (Xen reports it to the tools).
  std::optional<u32> shutdown_code;
  // A guest that broke the rules beyond an error code is killed (Xen: domain_crash, which shuts the domain
  // down with SHUTDOWN_crash); ring1 goes on.
  void crash(std::string why);
  void shutdown(u32 reason);

  // ---- the consoles ----
  // The guest's console: what its console ring carried (io/console.h), served by a back end on its event
  // channel as xenconsoled does: drained when the guest notifies the port and when the domain stops.
  const std::string& console() const { return console_; }
  // Where the guest's console goes as it is written (stdout in the CLI); null: kept in console() only.
  void set_console_sink(void (*sink)(void* ctx, const char* s, std::size_t n), void* ctx) {
    sink_ = sink;
    sink_ctx_ = ctx;
  }
  // Where console input comes from (stdin in the CLI when it is a pipe or file): the next byte or -1.
  void set_console_input(int (*source)()) { console_backend_.set_source(source); }
  // The console ring at machine address `ma`; returns the guest's event-channel port for it (start_info's
  // console.domU.evtchn), or -errno.
  i32 set_console_ring(u32 ma);
  void drain_console_ring();
  // The hypervisor's own log, where console_io output goes as a debug Xen prints it ("(d1) " before every
  // line), never into the guest's console. Kept in hv_log(); also written to the log sink (stderr or
  // --hv-log FILE in the CLI) when one is set.
  const std::string& hv_log() const { return hv_log_; }
  void set_log_sink(void (*sink)(void* ctx, const char* s, std::size_t n), void* ctx) {
    log_sink_ = sink;
    log_ctx_ = ctx;
  }
  void console_write(const char* s, std::size_t n);
  // The console back end's output (the guest's console).
  void note_console_output(const char* s, std::size_t n);
  i32 console_port() const { return console_port_; }

  // ---- events and time (hypervisor_events.cpp) ----
  EventChannels& events() { return events_; }
  const EventChannels& events() const { return events_; }
  VirtualTime& time() { return time_; }
  const VirtualTime& time() const { return time_; }
  VcpuTimers& timers() { return timers_; }
  const VcpuTimers& timers() const { return timers_; }
  // The modelled clock's frequency and the wall clock's epoch (seconds since 1970); before the domain starts.
  void set_clock(u64 cpu_hz, i64 epoch_sec) { time_ = VirtualTime(cpu_hz, epoch_sec); }
  // The shared-info page at machine address `ma` is the domain's: events and time are published there.
  void attach_shared_info(u32 ma);
  // System time now (ns), as the guest computes it from vcpu_info.time.
  u64 now_ns() const { return time_.system_time(clock_.now()); }
  // Re-arms the CPU's timed event for the earliest timer deadline (after any timer change).
  void arm_timers();
  // Fires the timers whose deadline has passed (VIRQ_TIMER), as at a timer interrupt.
  void fire_due_timers() { fire_timers(false); }
  // VCPUOP_down on the only vCPU: nothing can run the domain again; the run ends with it blocked.
  void vcpu_down();
  // System time at the last wake-up from a block (or the start): the runstate's state_entry_time.
  u64 last_wake_ns() const { return last_wake_ns_; }
  // SCHEDOP_block: events unmasked; waits (modelled time jumps) until an upcall is pending. False if nothing
  // could ever wake the domain: the run ends with the domain blocked.
  bool block();
  // SCHEDOP_poll: waits until one of `ports` is pending or system time reaches `timeout_ns` (0: none).
  bool poll(const u32* ports, u32 n, u64 timeout_ns);
  // Looks for console input and hands it to the guest.
  void poll_console_input();
  // SCHEDOP_yield: with several domains the scheduler chooses again; alone, nothing to give the CPU to.
  void yield();
  // ---- several domains (domain_scheduler.h) ----
  // The scheduler this domain runs under; null when it is the run's only domain.
  DomainScheduler* scheduler() const { return scheduler_; }
  // Set by the scheduler on the running domain when it must give up the CPU: the event-check interrupt
  // then brings the guest into the hypervisor whatever its upcall mask, and the entry's end switches.
  bool reschedule = false;
  // The return path: if the guest is about to resume with an event pending and upcalls unmasked, builds
  // the event callback's bounce frame (Xen's test_all_events / process_pending_events).
  void deliver_pending_upcall();

  // ---- used by hypercall handlers ----
  // Finishes a page-table hypercall: EAX's value, then the TLB work and the done count (Xen's order), with
  // the CR3 load and flushes charged as the instructions would be.
  i32 finish_mmu(const MmuOutcome& out);
  // Charges the handler work of a batch from the counters it moved (cost profile hv_request, hv_validate_pte).
  void charge_work(u64 requests_before, u64 entries_before);
  u64 requests_so_far() const;
  u64 entries_checked_so_far() const;
  void count_multicall_entry() {
    ++stats_.multicall_entries;
    clock_.charge(clock_.costs().events.hv_request);
  }
  // A call made by multicall entry `index` returned `result` (told to the observer, as a hypercall is).
  void note_multicall_call(u32 index, u32 nr, const u32* args, i32 result) {
    if (observer.hypercall) [[unlikely]]
      observer.hypercall(observer.context, HypercallEvent{clock_.now(), nr, {args[0], args[1], args[2], args[3], args[4]},
                                                          static_cast<u32>(result), true, index});
  }
  // The tracer's hooks (hv_observer.h): every hypercall and every bounce. All null: nobody listens.
  HvObserver observer;
  // True while a multicall runs its entries (no nested multicall, no iret inside one).
  bool in_multicall = false;
  // ---- preemptible hypercalls (preemption.h, continuation.cpp) ----
  Preemption& preemption() { return preemption_; }
  const Preemption& preemption() const { return preemption_; }
  // Leaves the running hypercall so that the guest makes call `c` next (Xen's hypercall_create_continuation):
  // its EIP goes back to the `int $0x82` and the arguments into its registers. Inside a multicall the
  // arguments go back into the multicall's entry instead (do_multicall then continues itself). Returns what
  // EAX holds meanwhile: the hypercall's number, which the re-executed instruction needs there.
  i32 create_continuation(const Continuation& c);
  GuestMemory& guest() { return layout_ == Layout::Separate ? static_cast<GuestMemory&>(walking_) : guest_; }
  Layout layout() const { return layout_; }
  // The IRET frame the entry stub will return through: where the guest continues.
  struct Frame {
    u32 eip, cs, eflags, esp, ss;
  };
  Frame frame() const;
  // Where the guest was when the domain stopped from inside the hypervisor (a crash, a shutdown hypercall):
  // the IRET frame of that entry, so reports show the guest's EIP and ring, not the stub's. Empty otherwise.
  const std::optional<Frame>& stop_frame() const { return stop_frame_; }
  void set_frame(const Frame& f);
  // The base of a guest stack segment (its descriptor in the current GDT/LDT); false if it has none.
  bool stack_base(u16 ss, u32& base);
  // Bounces a page fault at `addr` to the guest as if the hypervisor had taken it on the guest's behalf
  // (Xen: propagate_page_fault), for emulation that could not read the guest's instruction.
  void deliver_page_fault(u32 addr, u32 error_code);
  // Installs or removes the direct system-call gate for vector `v` from the guest's trap table entry.
  void update_direct_gate(u8 v);

 private:
  static void on_escape(void* self, Cpu& cpu);
  static void on_coherence_flush(void* self);
  static const std::vector<Mfn>* grant_frames_of(void* self, DomainId d);  // the frame table's TLB flush (FrameTable::attach_tlb)
  void escape(Cpu& cpu);
  void note_stop_frame();
  friend class DomainScheduler;
  void handle(Cpu& cpu);
  void hypercall(Cpu& cpu);
  void exception(Cpu& cpu, u8 vector, u32 error_code);
  // Builds the guest's exception frame on its kernel stack and points the IRET frame at its handler
  // (create_bounce_frame). False if the domain was crashed instead. `upcall`: the event callback's frame
  // (counted as an upcall, not as a bounced vector).
  bool bounce(u8 vector, const VirtualTrap& t, bool has_error_code, u32 error_code, u32 resume_eip,
              bool via_gp = false, bool upcall = false);
  // A fault in the stub's IRET back to the guest: the guest's failsafe callback, if it has one.
  bool failsafe();
  static void on_timer(void* self, Cycles now);
  void fire_timers(bool blocked);
  static bool irq_pending(void* self);
  static u8 irq_acknowledge(void* self);
  static void on_kick(void* self);
  static void on_port_pending(void* self, u32 port);
  static void on_console_notify(void* self);
  static void on_store_notify(void* self);
  static void on_store_reply(void* self);
  static Cycles charge_store(void* self, u64 requests, u64 bytes);
  // Waits with the clock jumping to each timer deadline until `woken()`; false if nothing can wake it.
  template <class Woken>
  bool wait_until(Woken woken, const u64* timeout_ns);
  u32 stack_word(u32 offset) const;
  void set_stack_word(u32 offset, u32 v);

  Cpu& cpu_;
  CpuClock& clock_;      // cpu_ as its clock
  PhysicalMemory& ram_;  // the RAM behind cpu_'s MMU
  std::shared_ptr<HypervisorCore> core_;
  HypervisorSpace& space_;
  FrameTable& frames_;
  MachToPhys& m2p_;
  MmuHypercalls mmu_ops_;
  Domain domain_;
  GrantAccess grants_;
  VirtualCpu vcpu_;
  MmuGuestMemory guest_;
  WalkingGuestMemory walking_;
  Layout layout_;
  u32 guest_cr3_ = 0;  // separate layout: the guest's CR3 while the hypervisor runs in its own
  std::vector<LinearAddr> deferred_invlpg_;  // separate layout: INVLPGs to do once back in the guest's space
  HypervisorStats stats_;
  Preemption preemption_;
  DomainState state_ = DomainState::Running;
  u32 shutdown_reason_ = 0;
  std::string crash_message_;
  std::optional<Frame> stop_frame_;
  std::string console_;
  u32 console_ring_ = 0;
  xs::Xenstored& store_;  // core_->store
  i32 store_port_ = 0;
  std::string hv_log_;
  bool log_line_start_ = true;
  XenConsoleBackend console_backend_;
  i32 console_port_ = 0;
  void (*sink_)(void*, const char*, std::size_t) = nullptr;
  void* sink_ctx_ = nullptr;
  void (*log_sink_)(void*, const char*, std::size_t) = nullptr;
  void* log_ctx_ = nullptr;
  EventChannels events_;
  VirtualTime time_;
  VcpuTimers timers_;
  bool kicked_ = false;
  // SCHEDOP_poll under the scheduler: the ports the sleeping vCPU waits on (Xen's poll_mask/poll_evtchn).
  std::array<u32, xen::kSchedPollMaxPorts> poll_ports_{};
  u32 poll_n_ = 0;
  bool polling_ = false;
  DomainScheduler* scheduler_ = nullptr;
  u64 last_wake_ns_ = 0;  // evtchn_upcall_pending went from 0 to 1 (wakes a blocked or polling vCPU)
};

}  // namespace ring1::hv
