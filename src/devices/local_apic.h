// The processor's local APIC in xAPIC mode (SDM vol. 3, chapter 10), as a one-CPU PC has it: its registers
// in a 4 KiB window of the physical address space where IA32_APIC_BASE puts it (0xFEE00000 at power-on),
// reached through the MMU's slow path so segmentation, paging and the TLB model see every access. It holds
// the interrupt state (IRR, ISR, TMR, TPR/PPR, EOI), sends IPIs (to itself; there are no other CPUs), runs
// the APIC timer in modelled cycles, and stands between the 8259A and the CPU: the PIC's INTR reaches the
// CPU through LINT0 in ExtINT mode (virtual wire) or, with the APIC globally disabled, directly.
#pragma once
#include <array>

#include "cpu/cpu_pins.h"
#include "mmu/mmu.h"
#include "devices/timed_events.h"

namespace ring1 {

class LocalApic {
 public:
  static constexpr u32 kDefaultBase = 0xFEE00000;
  static constexpr u32 kWindow = 0x1000;
  // Version register: version 0x14 (an integrated APIC, SDM 10.4.8), max LVT entry 3 (timer, LINT0, LINT1,
  // error: the entries ring1 models; no thermal or performance-counter LVT).
  static constexpr u32 kVersion = 0x00030014;

  // IA32_APIC_BASE bits (SDM 10.4.4).
  static constexpr u64 kBsp = 1u << 8, kEnable = 1u << 11;

  LocalApic(CpuPins& cpu, Mmu& mmu, TimedEvents& events);
  LocalApic(const LocalApic&) = delete;
  LocalApic& operator=(const LocalApic&) = delete;
  ~LocalApic();

  // Stands between the CPU and `pic` (the controller the CPU had: the 8259A pair), answers IA32_APIC_BASE,
  // maps the register window and takes a timer slot.
  void install();
  // Power-on state (SDM 10.4.7.1) of the bootstrap processor, enabled at 0xFEE00000; LINT0 is ExtINT and
  // unmasked, as QEMU resets its BSP's APIC (what a BIOS would set up for the 8259A's virtual wire).
  void reset();
  // The state firmware leaves for a loaded kernel (SeaBIOS's smp_setup under QEMU): the APIC software-
  // enabled with spurious vector 0xFF, LINT0 ExtINT, LINT1 NMI, both level-triggered and unmasked.
  void firmware_setup();

  // Register access at `offset` in the window (tests; the MMU calls these for the guest).
  u32 read(u32 offset);
  void write(u32 offset, u32 value);

  u64 base_msr() const { return base_msr_; }
  bool write_base_msr(u64 value);  // false: reserved bits (#GP)
  // The APIC timer's current count at the CPU's cycle count (tests).
  u32 timer_current() const { return read_current_count(cpu_.now()); }

 private:
  // LVT indices and bits (SDM 10.5.1).
  enum Lvt { LvtTimer, LvtLint0, LvtLint1, LvtError, kLvts };
  static constexpr u32 kMasked = 1u << 16;
  static constexpr u32 kPeriodic = 1u << 17;

  static u32 mmio_read(void* ctx, u32 offset, u32 size);
  static void mmio_write(void* ctx, u32 offset, u32 size, u32 value);
  static bool pending_thunk(void* ctx);
  static const char* wake_blocked_thunk(void* ctx) { return static_cast<const LocalApic*>(ctx)->wake_blocked(); }
  static u8 acknowledge_thunk(void* ctx);
  static u64 base_read_thunk(void* ctx) { return static_cast<LocalApic*>(ctx)->base_msr_; }
  static bool base_write_thunk(void* ctx, u64 v) { return static_cast<LocalApic*>(ctx)->write_base_msr(v); }
  static void timer_thunk(void* ctx, Cycles now) { static_cast<LocalApic*>(ctx)->timer_fire(now); }

  bool hw_enabled() const { return base_msr_ & kEnable; }
  bool sw_enabled() const { return svr_ & 0x100; }
  void reset_registers();
  void map();
  void unmap();

  // The 256-bit registers as eight 32-bit words, vector v at word v / 32, bit v % 32.
  using Bits256 = std::array<u32, 8>;
  static int highest(const Bits256& b);
  static void set_bit(Bits256& b, u8 v) { b[v >> 5] |= 1u << (v & 31); }
  static void clear_bit(Bits256& b, u8 v) { b[v >> 5] &= ~(1u << (v & 31)); }
  u32 ppr() const;
  u32 apr() const;
  bool deliverable() const;  // an IRR vector above the processor priority
  bool pending();
  // For a CPU halted with IF = 1: why nothing the APIC or the 8259A behind LINT0 raises could wake it, or
  // null when something could (Cpu::halt_cannot_wake).
  const char* wake_blocked() const;
  bool pic_passes() const;
  u8 acknowledge();
  // A fixed interrupt arrives (an LVT, a self-IPI): IRR, or a receive-illegal-vector error.
  void accept(u8 vector, bool level);
  void error(u32 bit);
  void eoi();
  void send_ipi();
  bool targets_self(u32 icr_low, u32 icr_high) const;
  void write_lvt(Lvt which, u32 value);

  // The timer (SDM 10.5.4): counts down from the initial count, one step per `divide` CPU cycles.
  u32 divide() const;
  u32 read_current_count(Cycles now) const;
  void timer_schedule();
  void timer_fire(Cycles now);

  CpuPins& cpu_;
  Mmu& mmu_;
  TimedEvents& events_;
  InterruptController pic_;  // the 8259A pair behind LINT0
  int slot_ = -1;
  bool mapped_ = false;
  u32 mapped_base_ = 0;

  u64 base_msr_ = kDefaultBase | kBsp | kEnable;
  u32 id_ = 0, tpr_ = 0, ldr_ = 0, dfr_ = 0xFFFFFFFF, svr_ = 0xFF;
  Bits256 isr_{}, tmr_{}, irr_{};
  u32 esr_ = 0, esr_pending_ = 0;
  u32 icr_low_ = 0, icr_high_ = 0;
  std::array<u32, kLvts> lvt_{};
  u32 initial_count_ = 0, divide_config_ = 0;
  Cycles timer_start_ = 0;  // the cycle the current count was (re)loaded at
  bool timer_stopped_ = false;  // a one-shot count at 0 switched to periodic: it stays at 0 until reloaded
  Cycles timer_due_ = TimedEvents::kNever;
};

}  // namespace ring1
