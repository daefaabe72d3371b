// The IA-32 processor: architectural state, the run loop, and the operand accessors handlers use.
// The run loop executes decoded blocks (straight-line runs of Insn from the decode cache) and checks one
// counter per instruction, so the machine stops, takes an interrupt or ends a limit at an exact instruction.
// Every run is bounded by its limits whatever the guest does: the instruction limit counts steps (see
// Cpu::steps), which also advance when nothing retires, and every step costs at least one cycle.
// The CPU knows nothing of devices or hypervisors; they reach it through the Mmu and the hooks below.
#pragma once
#include <array>
#include <cstring>
#include <optional>
#include <string>

#include "common/cost_profile.h"
#include "cpu/cpu_pins.h"
#include "cpu/decode/decode_cache.h"
#include "common/eflags.h"
#include "common/fault.h"
#include "cpu/insn.h"
#include "cpu/lazy_flags.h"
#include "cpu/msr.h"
#include "cpu/observer.h"
#include "cpu/segment.h"
#include "cpu/stop_reason.h"
#include "common/types.h"
#include "mmu/mmu.h"

namespace ring1 {

class PortBus;  // mmu/port_bus.h: the I/O address space

enum Gpr : u8 { EAX = 0, ECX, EDX, EBX, ESP, EBP, ESI, EDI };

// What ended a run on an exception: enough to report vector, EIP, instruction and ring.
struct FaultRecord {
  u8 vector = 0;
  bool has_error_code = false;
  u32 error_code = 0;
  u32 eip = 0;   // EIP the exception was raised at (faults: the instruction; traps: the next one)
  u8 cpl = 0;
  bool software = false;  // INT n / INT3 / INTO
};

// The hypervisor's way out of the emulated CPU (DESIGN.md, "Entry is real x86"): its ring-0 entry stubs
// execute VMCALL, which runs `handle` on the host with the CPU stopped at an instruction boundary inside
// that instruction. The handler reads and writes guest state through the Cpu; it may charge cycles,
// change CR3, raise a fault or stop the run. Without a handler, or outside ring 0, VMCALL raises #UD, as it
// does on a processor that is not in VMX operation (SDM vol. 3, 25.1.3 / VMCALL): a native guest cannot
// tell that the escape exists.
struct HostEscape {
  void (*handle)(void* context, Cpu& cpu) = nullptr;
  void* context = nullptr;
};

// A modelled lab instrument (the measurement ports, machine/measure_ports.h) that samples the machine's
// counters between instructions. `notify` is called at the first instruction boundary after
// Cpu::request_boundary(), with every counter (retired instructions, cycles by ring) settled, so a sample
// taken there is exact to the instruction and costs the guest nothing.
struct BoundaryHook {
  void (*notify)(void* context) = nullptr;
  void* context = nullptr;
};

// Ports [first, first + count) that OUT reaches from every ring with no I/O permission check: a modelled
// lab instrument wired to the bus, not a PC device (docs/experiment.md, "The measurement ports"). A
// deliberate deviation from SDM vol. 1, 19.5, so that a deprivileged kernel (ring 1 under the hypervisor)
// or a ring-3 program can bracket a region without a trap or a hypercall. IN, INS and OUTS keep the checks.
struct InstrumentPorts {
  u16 first = 0;
  u16 count = 0;  // 0: no window
  bool contains(u16 port) const { return u16(port - first) < count; }
};

// A translation tier (src/jit) that runs decoded blocks as host code. The run loop offers it every block it
// is about to execute in full (no breakpoint, step or limit inside it); `run` executes a prefix of the block
// exactly as the loop below would, one instruction after another, and leaves `i` after the last instruction
// it retired. It may run none (the loop then interprets the block), and it raises a guest exception with `i`
// on the instruction that raised it, as the loop does. With `may_chain` it may also go on, block after block,
// wherever the loop would have fetched the next block and offered it in full (Cpu::ChainView): it then
// leaves `b` on the block it ended in, with the blocks it finished added to the stretch's retired count.
// Null: the interpreter runs everything.
struct TranslationHook {
  void (*run)(void* context, Cpu& cpu, const Block*& b, const Insn*& i, bool may_chain) = nullptr;
  void* context = nullptr;
};

// Counts of delivered interrupts and exceptions, for reports: deliveries[from ring][to ring] and returns
// [from][to] (IRET) count transitions, same-ring ones on the diagonal (real mode counts as ring 0);
// by_vector counts deliveries per vector. Plain arrays: the report indexes them directly.
struct InterruptStats {
  u64 deliveries[4][4] = {};
  u64 returns[4][4] = {};
  u64 by_vector[256] = {};
};

struct RunLimits {
  u64 max_instructions = ~u64(0);  // a limit on steps (Cpu::steps): instructions, and work that retires none
  Cycles max_cycles = ~Cycles(0);
  std::optional<u32> stop_at_eip;  // stop before executing the instruction at this EIP
  // The debugger's breakpoints: stop (StopReason::Breakpoint) before executing an instruction at any of
  // these EIPs. Null or empty: none.
  const BreakpointSet* breakpoints = nullptr;
  // Stop (StopReason::Breakpoint) after one instruction has executed or one exception or interrupt has
  // been delivered: the debugger's stepi, the insn tracer.
  bool single_step = false;
};

// Devices and the hypervisor's timers hold the Cpu through its two views, CpuClock and CpuPins (cpu_clock.h,
// cpu_pins.h): empty bases, so the Cpu's layout is its own, whose operations are the inline members below
// behind one out-of-line call (cpu.cpp).
class Cpu : public CpuPins {
 public:
  Cpu(Mmu& mmu, const CostProfile& costs);
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;
  ~Cpu();

  // ---- architectural state (public: handlers, the debugger and tests read and write it directly) ----
  u32 gpr[9] = {};  // EAX..EDI in encoding order; gpr[8] is always 0 (a missing base or index)
  u32 eip = 0;
  u32 next_eip = 0;   // where the current instruction goes next; handlers that branch set it
  // EFLAGS. While the CPU runs, the six status flags may live in `lazy` instead (lazy.op != None): handlers
  // read flags through flags()/carry() and write them through set_flags()/set_lazy(). Whenever run()
  // returns, `eflags` is complete and `lazy` is empty, so code outside the CPU may use the field directly.
  u32 eflags = eflags::Reserved1;
  LazyFlags lazy;
  std::array<Segment, kSegCount> seg{};
  u32 cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0;  // write CR0/CR3/CR4 through set_cr*: the MMU must know
  u32 dr[8] = {};
  TableRegister gdtr, idtr;
  SystemSegment ldtr, tr;
  PortBus* ports = nullptr;  // the I/O ports IN/OUT/INS/OUTS reach; none: reads all ones, writes dropped
  u64 tsc_offset = 0;  // WRMSR to the TSC (0x10) moves RDTSC's origin; the modelled cycle count is untouched
  // IA32_SYSENTER_CS/ESP/EIP (MSRs 0x174-0x176, cpu/msr.h): where SYSENTER goes and SYSEXIT returns to.
  struct SysenterMsrs {
    u32 cs = 0, esp = 0, eip = 0;
  } sysenter;
  MsrState msr;        // the MSRs that are plain storage (cpu/msr.cpp)
  ApicLink apic;       // the local APIC, if the machine has one (IA32_APIC_BASE, CPUID's APIC flag)
  // MOV SS, POP SS and STI hold off interrupts (and debug traps) until after the next instruction
  // (SDM vol. 3, 6.8.3): the instruction sets this through set_interrupt_shadow(), the run loop clears it
  // after the following one.
  bool interrupt_shadow = false;
  // What an exception does when the run loop catches it. Stop: end the run with a FaultRecord (bare-CPU
  // instruction tests). Deliver: through the IDT (or the real-mode IVT), as the processor does.
  enum class ExceptionMode : u8 { Stop, Deliver } exception_mode = ExceptionMode::Stop;
  u8 cpl = 0;
  Cycles cycles = 0;  // the modelled cycle counter (RDTSC)
  u64 instret = 0;    // instructions retired
  // Work that retired no instruction: a fault delivered (its instruction did not retire), an external
  // interrupt delivered, an element of a REP string instruction beyond the one its retirement counts, a
  // halted wait that let time pass. Without it a guest could run forever under an instruction limit: a
  // #UD handler that is itself UD2, an endless REP, a HLT that only masked timer ticks end.
  u64 stall_steps = 0;
  // The instruction limit's measure (RunLimits::max_instructions): every retired instruction is a step,
  // and so is every unit of stall_steps. A REP string instruction of n > 0 elements is n steps, whether
  // or not an interrupt or a limit sliced it; a trap (INT n) is one step with its instruction.
  u64 steps() const { return instret + stall_steps; }
  std::array<u64, 4> insns_by_ring{};
  std::array<Cycles, 4> cycles_by_ring{};
  InterruptController interrupt_controller;
  InterruptStats interrupt_stats;
  EventHook event_hook;
  HostEscape host_escape;
  TranslationHook translation;
  Cycles halted_cycles = 0;  // cycles spent waiting in HLT for a timed event (also in cycles_by_ring)
  CpuObserver observer;      // the debugger's and tracer's hooks (cpu/observer.h); all null: nobody listens
  BoundaryHook boundary_hook;
  InstrumentPorts instrument_ports;
  // The rings whose executions of sensitive instructions are recorded (bit n: ring n; cpu/sensitive.h).
  // Rings 1 and 2 by default: nothing but a kernel moved out of ring 0 runs there (a PV guest's kernel in
  // ring 1; a native kernel that put itself in ring 1 or 2). Ring 3 is applications', for which the
  // unprivileged behaviour is the designed one; a caller studying a kernel run in ring 3 adds bit 3.
  // Protected mode only: virtual-8086 code is never counted.
  u8 sensitive_rings = 0b0110;
  SensitiveStats sensitive_stats;  // what those executions did (the report's section)

  // A CPL change by `cause`, reported to the observer (cold paths only; the caller has committed the new
  // CS, CPL and `to_eip`).
  void note_transition(TransitionCause cause, u8 vector, u8 from_cpl, u16 from_cs, u32 from_eip, u32 to_eip) {
    if (observer.ring_transition && from_cpl != cpl) [[unlikely]]
      observer.ring_transition(observer.context, RingTransition{cycles, cause, vector, from_cpl, cpl, from_cs,
                                                                seg[CS].selector, from_eip, to_eip});
  }

  // ---- flags (hot path) ----
  u32 flags() const { return lazy.op == LazyOp::None ? eflags : (eflags & ~eflags::Status) | lazy.status(); }
  u32 carry() const { return lazy.op == LazyOp::None ? (eflags & eflags::CF) : u32(lazy.cf()); }
  void set_flags(u32 f) {
    eflags = f;
    lazy.op = LazyOp::None;
  }
  template <class T>
  void set_lazy(LazyOp op, T res, T a, T b, u32 carry_bit = 0) {
    lazy.res = res;
    lazy.a = a;
    lazy.b = b;
    lazy.op = op;
    lazy.bits = sizeof(T) * 8;
    lazy.carry = static_cast<u8>(carry_bit);
  }
  void sync_flags() { set_flags(flags()); }

  // ---- setup ----
  // A flat 32-bit protected-mode state: CS/DS/ES/SS/FS/GS base 0, limit 4 GiB, CPL 0, paging off.
  void reset_flat32();
  // The processor's power-on state (SDM vol. 3, 9.1.1): real mode, CS:IP = F000:FFF0.
  void reset_power_on();
  void load_segment_flat(SegReg r, u16 selector, u8 dpl, bool code, bool big);
  // Control registers: the MMU follows paging, write protection, page size and global-page changes and
  // flushes the TLB as the SDM says (vol. 3, 4.10.4.1).
  void set_cr0(u32 v);
  void set_cr3(u32 v);
  void set_cr4(u32 v);

  // ---- running ----
  StopReason run(const RunLimits& limits);
  const FaultRecord& last_fault() const { return fault_; }
  // Ends the current run after the instruction being executed retires.
  void request_stop(StopReason why) {
    requested_stop_ = why;
    stop_at_ = 0;
  }
  // Calls boundary_hook at the next instruction boundary (after the instruction now executing retires).
  void request_boundary() {
    boundary_pending_ = true;
    stop_at_ = 0;
  }
  // A code write dropped decoded instructions: leave the current block so stale code is not executed.
  void leave_block() { stop_at_ = 0; }
  // The cycle count at which the run loop next stops to look at limits and events. A long instruction
  // (REP string) polls it between elements, as hardware takes interrupts between iterations.
  Cycles deadline() const { return stop_at_; }
  // Where the deadline lives, for translated code that compares against it after each call it makes.
  const Cycles* deadline_address() const { return &stop_at_; }
  // What the run loop decides between two blocks of a stretch, for translated code that goes from one block
  // straight to the next (TranslationHook's chaining): the stretch's step budget and the blocks retired in
  // it, where the current block begins, whether an interrupt line is up, the ring the stretch runs in, and
  // the stretch's stop address (stop_eip_armed: there is one). Addresses into this Cpu, stable for its life.
  struct ChainView {
    const u64* stretch_left;
    u64* stretch_retired;
    const Insn** block_begin;
    const bool* irq_requested;
    const u8* stretch_ring;
    const bool* stop_eip_armed;
    const u32* stop_eip;
  };
  ChainView chain_view() {
    return {&stretch_left_, &stretch_retired_, &block_begin_, &irq_requested_, &stretch_ring_, &stop_eip_armed_,
            &stop_eip_};
  }
  // Ends the current instruction early without retiring it: EIP stays on it and it restarts later (REP
  // string instructions interrupted between elements, SDM vol. 2, REP). Its own cost (Insn::cycles) is
  // refunded, so a sliced instruction costs the same as an unsliced one.
  void yield_unretired(const Insn& i) {
    next_eip = eip;
    cycles -= i.cycles;
    ++unretired_;
    stop_at_ = 0;
  }

  // ---- events raised by handlers ----
  // HLT: the CPU waits for an interrupt (SDM vol. 2, HLT). With IF = 1 the wait ends when an interrupt is
  // pending; time jumps to the next scheduled event (a timer tick) if there is one, and those cycles count
  // as halted. With IF = 0, or nothing scheduled, nothing could ever end the wait and the run ends
  // (StopReason::Halted). A later run resumes after the HLT, as a wake-up would.
  void halt();
  bool halted() const { return halted_; }

  // ---- timed events (devices) ----
  // Calls event_hook.fire at the first instruction boundary at or after cycle `at` (replacing any earlier
  // request; ~0 cancels). The running stretch ends there, so the event is exact to the instruction.
  void schedule_event(Cycles at) {
    event_at_ = at;
    if (at < stop_at_) stop_at_ = at;
  }
  Cycles next_event() const { return event_at_; }
  // The instruction boundary after the current instruction is in an interrupt shadow (STI, MOV SS).
  void set_interrupt_shadow() {
    interrupt_shadow = true;
    stop_at_ = 0;
  }
  // A device raised an interrupt line: the run loop asks the controller at the next instruction boundary
  // where IF = 1 and no shadow is in force.
  void interrupt_requested() {
    irq_requested_ = true;
    stop_at_ = 0;
  }
  // The NMI input (SDM vol. 3, 6.7 and 6.7.1): one request is latched (a second while one is pending is the
  // same request); it is delivered through vector 2 at the next instruction boundary outside an interrupt
  // shadow, whatever IF says, and it ends HLT. From its delivery to the next IRET further NMIs are blocked:
  // a request then stays latched until that IRET. It shares the INTR line's flag, so the run loop's test
  // for interrupts is still one load per stretch.
  void raise_nmi() {
    nmi_pending_ = true;
    interrupt_requested();
  }
  bool nmi_pending() const { return nmi_pending_; }
  bool nmi_blocked() const { return nmi_blocked_; }
  // IRET ends NMI blocking, even an IRET that then faults (SDM vol. 3, 6.7.1; the VMX chapter's "NMI
  // unblocking due to IRET" states the faulting case). A latched NMI is taken at the boundary after it.
  void end_nmi_blocking() {
    if (!nmi_blocked_) return;
    nmi_blocked_ = false;
    if (nmi_pending_) interrupt_requested();
  }
  // An exception while delivering a double fault (SDM vol. 3, 6.15, interrupt 8): the processor shuts
  // down. Ends the run with StopReason::TripleFault, `last` as the fault record and `chain` as the message.
  void triple_fault(const FaultRecord& last, std::string chain);
  // The message of the last run's stop, when it has one: a HostError's, a NotModelled's, a Ring1Bug's, the
  // exception chain of a TripleFault, or why nothing could wake a Halted CPU. Empty otherwise.
  const std::string& host_error() const { return host_error_; }
  // Ends the run with StopReason::HostError and a message: for what the host cannot provide (code fetched
  // from unassigned memory, say), never for a guest's mistake, which is an exception.
  void host_stop(std::string message);
  // Ends the run with StopReason::NotModelled: the guest used `feature`, which ring1 does not model (a
  // task switch, say). The message names it and the EIP.
  void not_modelled(std::string_view feature);
  // Ends the run with StopReason::Ring1Bug: one of ring1's own checks failed (`what`). The message carries
  // the guest's EIP, instruction bytes and ring, and says that this is a bug in ring1.
  void ring1_bug(std::string_view what);
  // Where the guest is, for messages: EIP, CS, ring, the instruction's bytes and disassembly. No side
  // effects on the TLB or its counters.
  std::string describe_position() const;

  // ---- the instruction limit inside an instruction (REP string elements) ----
  // Steps left before the instruction limit for the instruction `i` now executing (at least 1: its own).
  u64 step_allowance(const Insn& i) const {
    const u64 retired_before = stretch_retired_ + u64(&i - block_begin_);
    return stretch_left_ > retired_before ? stretch_left_ - retired_before : 1;
  }
  // A stall step taken inside an instruction (a REP element), or given back (the retirement counts it).
  void add_stall_step() {
    ++stall_steps;
    --stretch_left_;
  }
  void give_back_stall_step() {
    --stall_steps;
    ++stretch_left_;
  }
  // Work a host-side handler did inside the instruction now executing (the hypervisor's batched requests
  // behind one VMCALL): steps for the instruction limit, as REP elements are, so that a limit bounds the
  // host time a hypercall can take. The stretch ends after this instruction, and the next one starts with
  // the limit checked again; stretch boundaries change no modelled count.
  void add_handler_steps(u64 n) {
    stall_steps += n;
    stop_at_ = 0;
  }

  // ---- operand access for handlers (hot path) ----
  u32 effective_address(const Insn& i) const {
    return (gpr[i.base] + (gpr[i.index] << i.scale) + i.disp) & i.amask;
  }

  template <class T>
  T reg(u8 byte_offset) const {
    T v;
    std::memcpy(&v, reinterpret_cast<const u8*>(gpr) + byte_offset, sizeof(T));
    return v;
  }
  template <class T>
  void set_reg(u8 byte_offset, T v) {
    std::memcpy(reinterpret_cast<u8*>(gpr) + byte_offset, &v, sizeof(T));
  }

  template <class T>
  [[gnu::always_inline]] T read(u8 s, u32 offset) {
    const Segment& sg = seg[s];
    if (offset < sg.read_lo || u64(offset) + (sizeof(T) - 1) > sg.read_hi) [[unlikely]]
      segment_violation(s);
    return mmu_.read<T>(sg.base + offset, cpl == 3);
  }
  template <class T>
  [[gnu::always_inline]] void write(u8 s, u32 offset, T v) {
    const Segment& sg = seg[s];
    if (offset < sg.write_lo || u64(offset) + (sizeof(T) - 1) > sg.write_hi) [[unlikely]]
      segment_violation(s);
    mmu_.write<T>(sg.base + offset, v, cpl == 3);
  }

  // Read-modify-write of a memory operand: `op(old)` gives the value written back; returns the old value.
  // Checks, TLB lookups, counts and faults are exactly those of read<T> followed by write<T> (which is what
  // runs unless both would take their fast paths); on the fast path the two share one translation.
  template <class T, class Op>
  [[gnu::always_inline]] T modify(u8 s, u32 offset, Op&& op) {
    const Segment& sg = seg[s];
    const u64 last = u64(offset) + (sizeof(T) - 1);
    if (offset >= sg.read_lo && offset >= sg.write_lo && last <= sg.read_hi && last <= sg.write_hi) [[likely]] {
      if (u8* p = mmu_.modify_host<T>(sg.base + offset, cpl == 3)) [[likely]] {
        T old;
        std::memcpy(&old, p, sizeof(T));
        const T v = op(old);
        std::memcpy(p, &v, sizeof(T));
        return old;
      }
    }
    const T old = read_out_of_line<T>(s, offset);
    write_out_of_line<T>(s, offset, op(old));
    return old;
  }
  // The general accesses as calls, for slow paths that should not inline them.
  template <class T>
  [[gnu::noinline, gnu::cold]] T read_out_of_line(u8 s, u32 offset) {
    return read<T>(s, offset);
  }
  template <class T>
  [[gnu::noinline, gnu::cold]] void write_out_of_line(u8 s, u32 offset, T v) {
    write<T>(s, offset, v);
  }

  // Stack width follows SS.B (SDM vol. 3, 3.4.5): 32-bit ESP or 16-bit SP.
  u32 stack_mask() const { return seg[SS].big ? 0xFFFFFFFFu : 0xFFFFu; }
  void set_esp_masked(u32 v) {
    u32 m = stack_mask();
    gpr[ESP] = (gpr[ESP] & ~m) | (v & m);
  }
  template <class T>
  void push(T v) {
    u32 m = stack_mask();
    u32 sp = (gpr[ESP] - sizeof(T)) & m;
    write<T>(SS, sp, v);
    gpr[ESP] = (gpr[ESP] & ~m) | sp;
  }
  template <class T>
  T pop() {
    u32 m = stack_mask();
    u32 sp = gpr[ESP] & m;
    T v = read<T>(SS, sp);
    gpr[ESP] = (gpr[ESP] & ~m) | ((sp + sizeof(T)) & m);
    return v;
  }
  // Reads the stack at ESP + depth without popping (for instructions that must not commit ESP early).
  template <class T>
  T peek(u32 depth) {
    return read<T>(SS, (gpr[ESP] + depth) & stack_mask());
  }

  // The processor generation (cpu_model.h): decoding, CPUID and the page walker follow it.
  CpuModel model() const { return cache_.model(); }
  void set_model(CpuModel m);

  bool code32() const { return seg[CS].big; }
  // Charges extra modelled cycles to the current instruction (REP iterations, data-dependent costs).
  void charge(Cycles c) { cycles += c; }
  const CostProfile& costs() const { return costs_; }
  Mmu& mmu() { return mmu_; }
  DecodeCache& decode_cache() { return cache_; }

  [[noreturn]] void segment_violation(u8 s);

 private:
  friend class DecodeCache;
  const Block* fetch_block();
  [[gnu::noinline]] const Block* fetch_block_slow();
  static void on_code_write(void* self, u32 paddr, u32 len);
  void take_external_interrupt();
  void take_nmi();
  StopReason run_stretches(const RunLimits& limits);
  // Ends a halted CPU's wait when no interrupt could ever end it; returns whether it did.
  bool halt_cannot_wake();

  Mmu& mmu_;
  const CostProfile& costs_;
  DecodeCache cache_;
  Cycles stop_at_ = 0;
  u64 step_end_ = ~u64(0);  // steps() at which the instruction limit ends this run
  // While a stretch runs: the steps it may still take, less those its instructions retire (the block loop
  // subtracts those; REP elements are taken off here as they happen), the instructions of its blocks
  // already done, and the block now executing: where step_allowance() counts from, at one store a block.
  u64 stretch_left_ = 0;
  u64 stretch_retired_ = 0;
  const Insn* block_begin_ = nullptr;
  u8 stretch_ring_ = 0;          // the CPL the stretch runs at (it ends when CPL changes)
  bool stop_eip_armed_ = false;  // the run has a stop address (RunLimits::stop_at_eip): stop_eip_
  u32 stop_eip_ = 0;
  u64 unretired_ = 0;  // instructions executed in this stretch that yielded instead of retiring
  StopReason requested_stop_ = StopReason::None;
  bool irq_requested_ = false;  // a line was raised and the controller has not been found empty since
  bool halted_ = false;         // in HLT, waiting for an interrupt
  bool nmi_pending_ = false;    // an NMI is latched (raise_nmi)
  bool nmi_blocked_ = false;    // an NMI's handler runs: no NMI until the next IRET
  bool boundary_pending_ = false;  // boundary_hook is owed a call at the next boundary
  Cycles event_at_ = ~Cycles(0);  // when event_hook fires next; ~0: nothing scheduled
  FaultRecord fault_;
  std::string host_error_;
  Block scratch_block_;  // a one-off block for an instruction that straddles two pages
};

}  // namespace ring1
