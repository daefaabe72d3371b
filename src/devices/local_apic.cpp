#include "devices/local_apic.h"

#include <algorithm>

#include <fmt/format.h>

namespace ring1 {

namespace {
// Register offsets in the window (SDM vol. 3, table 10-1).
enum : u32 {
  kId = 0x20, kVersionReg = 0x30, kTpr = 0x80, kApr = 0x90, kPpr = 0xA0, kEoi = 0xB0, kLdr = 0xD0, kDfr = 0xE0,
  kSvr = 0xF0, kIsr = 0x100, kTmr = 0x180, kIrr = 0x200, kEsr = 0x280, kIcrLow = 0x300, kIcrHigh = 0x310,
  kLvtTimer = 0x320, kLvtLint0 = 0x350, kLvtLint1 = 0x360, kLvtError = 0x370, kInitialCount = 0x380,
  kCurrentCount = 0x390, kDivide = 0x3E0,
};
// ESR bits (SDM 10.5.3).
constexpr u32 kSendIllegalVector = 1u << 5, kReceiveIllegalVector = 1u << 6, kIllegalRegister = 1u << 7;
// ICR fields (SDM 10.6.1).
constexpr u32 kIcrLowWritable = 0x000CDFFF;  // vector, mode, dest mode, level, trigger, shorthand
constexpr u32 kIcrLevelAssert = 1u << 14, kIcrTriggerLevel = 1u << 15, kIcrLogical = 1u << 11;
enum : u32 { kFixed = 0, kLowestPriority = 1, kSmi = 2, kNmi = 4, kInit = 5, kStartUp = 6, kExtInt = 7 };
enum : u32 { kNoShorthand = 0, kSelf = 1, kAllIncludingSelf = 2, kAllExcludingSelf = 3 };
// The bits of each LVT that exist (SDM figure 10-8): vector, delivery mode (LINT0/1), delivery status (read-
// only, always 0 here), polarity, remote IRR (read-only), trigger mode, mask, timer mode (bit 17; bit 18,
// TSC-deadline, is reserved on a processor that does not enumerate it).
constexpr u32 kLvtWritable[] = {0x000300FF, 0x0001A7FF, 0x0001A7FF, 0x000100FF};
}  // namespace

LocalApic::LocalApic(CpuPins& cpu, Mmu& mmu, TimedEvents& events) : cpu_(cpu), mmu_(mmu), events_(events) {
  reset_registers();
}

LocalApic::~LocalApic() {
  unmap();
  cpu_.attach_interrupt_controller({});
  cpu_.attach_apic({});
}

void LocalApic::install() {
  pic_ = cpu_.attach_interrupt_controller({&pending_thunk, &acknowledge_thunk, this, &wake_blocked_thunk});
  cpu_.attach_apic({&base_read_thunk, &base_write_thunk, this});
  slot_ = events_.add(&timer_thunk, this);
  map();
}

void LocalApic::reset() {
  base_msr_ = kDefaultBase | kBsp | kEnable;
  reset_registers();
  unmap();
  map();
}

// SDM 10.4.7.1: IRR, ISR, TMR, ICR, LDR, TPR, the timer's counts and divide configuration cleared; DFR all
// ones; the LVT entries masked; SVR 0xFF (software-disabled). QEMU gives its BSP's LINT0 the ExtINT mode at
// reset, unmasked, as firmware would: ring1 does the same, so the 8259A reaches the CPU from power-on.
void LocalApic::reset_registers() {
  id_ = tpr_ = ldr_ = 0;
  dfr_ = 0xFFFFFFFF;
  svr_ = 0xFF;
  isr_ = tmr_ = irr_ = {};
  esr_ = esr_pending_ = 0;
  icr_low_ = icr_high_ = 0;
  lvt_.fill(kMasked);
  lvt_[LvtLint0] = kExtInt << 8;
  initial_count_ = divide_config_ = 0;
  timer_start_ = cpu_.now();
  timer_stopped_ = false;
  timer_due_ = TimedEvents::kNever;
  if (slot_ >= 0) events_.schedule(slot_, TimedEvents::kNever);
}

void LocalApic::firmware_setup() {
  svr_ = 0x1FF;
  lvt_[LvtLint0] = kIcrTriggerLevel | (kExtInt << 8);
  lvt_[LvtLint1] = kIcrTriggerLevel | (kNmi << 8);
}

void LocalApic::map() {
  if (!hw_enabled() || mapped_) return;
  const u32 base = u32(base_msr_) & ~(kWindow - 1);
  mapped_ = mmu_.map_mmio({base, kWindow, &mmio_read, &mmio_write, this, nullptr});
  mapped_base_ = base;
}

void LocalApic::unmap() {
  if (mapped_) mmu_.unmap_mmio(mapped_base_);
  mapped_ = false;
}

// SDM 10.4.4: base (bits 12-31: ring1's physical addresses are 32 bits wide, so 32-63 are reserved), global
// enable (11), BSP (8). Bit 10 (x2APIC mode) and the rest are reserved on a processor without x2APIC: #GP.
// Clearing the enable bit returns the APIC to its power-on state (10.4.3: "prior initialization ... may be
// lost"): ring1 takes the reset, so a re-enabled APIC starts clean. The window moves with the base; a base
// inside RAM is stored but not decoded (RAM answers there).
bool LocalApic::write_base_msr(u64 value) {
  if (value & ~(u64(0xFFFFF000) | kBsp | kEnable)) return false;
  const bool was_enabled = hw_enabled();
  unmap();
  base_msr_ = value;
  if (was_enabled && !hw_enabled()) reset_registers();
  map();
  cpu_.interrupt_requested();  // the PIC may now reach the CPU directly, or no longer
  return true;
}

u32 LocalApic::mmio_read(void* ctx, u32 offset, u32 size) {
  auto* a = static_cast<LocalApic*>(ctx);
  const u32 sub = offset & 0xF;
  if (sub >= 4) return 0;  // the upper 12 bytes of each 16-byte slot hold nothing
  const u32 v = a->read(offset & ~0xFu) >> (8 * sub);
  return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

// The registers are written 32 bits at a time on 16-byte boundaries (SDM 10.4.1); narrower or misaligned
// writes are undefined there, and ring1 ignores them.
void LocalApic::mmio_write(void* ctx, u32 offset, u32 size, u32 value) {
  if (size == 4 && (offset & 0xF) == 0) static_cast<LocalApic*>(ctx)->write(offset, value);
}

u32 LocalApic::read(u32 offset) {
  switch (offset) {
    case kId: return id_;
    case kVersionReg: return kVersion;
    case kTpr: return tpr_;
    case kApr: return apr();
    case kPpr: return ppr();
    case kEoi: return 0;
    case kLdr: return ldr_;
    case kDfr: return dfr_;
    case kSvr: return svr_;
    case kEsr: return esr_;
    case kIcrLow: return icr_low_;  // delivery status (bit 12) is 0: an IPI leaves as soon as it is written
    case kIcrHigh: return icr_high_;
    case kLvtTimer: return lvt_[LvtTimer];
    case kLvtLint0: return lvt_[LvtLint0];
    case kLvtLint1: return lvt_[LvtLint1];
    case kLvtError: return lvt_[LvtError];
    case kInitialCount: return initial_count_;
    case kCurrentCount: return read_current_count(cpu_.now());
    case kDivide: return divide_config_;
    default: break;
  }
  if (offset >= kIsr && offset < kIsr + 0x80) return isr_[(offset - kIsr) >> 4];
  if (offset >= kTmr && offset < kTmr + 0x80) return tmr_[(offset - kTmr) >> 4];
  if (offset >= kIrr && offset < kIrr + 0x80) return irr_[(offset - kIrr) >> 4];
  error(kIllegalRegister);
  return 0;
}

void LocalApic::write(u32 offset, u32 value) {
  switch (offset) {
    case kId: id_ = value & 0xFF000000; return;
    case kTpr:
      tpr_ = value & 0xFF;
      cpu_.interrupt_requested();  // a lower priority may let an IRR vector through
      return;
    case kEoi: eoi(); return;
    case kLdr: ldr_ = value & 0xFF000000; return;
    case kDfr: dfr_ = value | 0x0FFFFFFF; return;
    case kSvr:
      // Bits 0-3 of the vector are hardwired to 1 on P6-family and Pentium processors; bit 9 is focus
      // checking. Clearing bit 8 software-disables the APIC: every LVT entry is masked (SDM 10.4.7.2).
      svr_ = (value & 0x3FF) | 0xF;
      if (!sw_enabled())
        for (u32& l : lvt_) l |= kMasked;
      return;
    case kEsr:
      // A write latches the errors logged since the last write (SDM 10.5.3).
      esr_ = esr_pending_;
      esr_pending_ = 0;
      return;
    case kIcrHigh: icr_high_ = value & 0xFF000000; return;
    case kIcrLow:
      icr_low_ = value & kIcrLowWritable;
      send_ipi();
      return;
    case kLvtTimer: write_lvt(LvtTimer, value); return;
    case kLvtLint0: write_lvt(LvtLint0, value); return;
    case kLvtLint1: write_lvt(LvtLint1, value); return;
    case kLvtError: write_lvt(LvtError, value); return;
    case kInitialCount:
      // A write (re)starts the count from the new value (SDM 10.5.4); 0 stops the timer.
      initial_count_ = value;
      timer_start_ = cpu_.now();
      timer_stopped_ = false;
      timer_schedule();
      return;
    case kDivide: {
      // The count goes on from where it is, at the new rate.
      const u32 now_count = read_current_count(cpu_.now());
      divide_config_ = value & 0xB;
      if (initial_count_ && now_count) {
        const u64 elapsed = u64(initial_count_ - now_count) * divide();
        timer_start_ = cpu_.now() - elapsed;
        timer_schedule();
      } else if (initial_count_) {
        timer_stopped_ = true;  // a one-shot count at 0 stays there at any rate
      }
      return;
    }
    case kVersionReg: case kApr: case kPpr: case kCurrentCount: return;  // read-only
    default: break;
  }
  if (offset >= kIsr && offset < kIrr + 0x80) return;  // ISR, TMR, IRR: read-only
  error(kIllegalRegister);
}

void LocalApic::write_lvt(Lvt which, u32 value) {
  u32 v = value & kLvtWritable[which];
  if (!sw_enabled()) v |= kMasked;  // the mask cannot be cleared while software-disabled (SDM 10.4.7.2)
  if (which == LvtTimer && ((v ^ lvt_[which]) & kPeriodic) && initial_count_) {
    // A new timer mode neither reloads nor resets the count: it goes on from where it is (and a one-shot
    // count that has reached 0 stays there), only the reload at the next zero changes.
    const u32 now_count = read_current_count(cpu_.now());
    if (now_count == 0) {
      timer_stopped_ = true;
    } else {
      timer_start_ = cpu_.now() - u64(initial_count_ - now_count) * divide();
    }
  }
  lvt_[which] = v;
  if (which == LvtTimer) timer_schedule();  // a new mode changes when the next interrupt is due
  if (which == LvtLint0) cpu_.interrupt_requested();  // the virtual wire may have opened
}

int LocalApic::highest(const Bits256& b) {
  for (int w = 7; w >= 0; --w)
    if (b[w]) return w * 32 + 31 - __builtin_clz(b[w]);
  return -1;
}

// SDM 10.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4.
u32 LocalApic::ppr() const {
  const int isrv = highest(isr_);
  const u32 isr_class = isrv < 0 ? 0 : u32(isrv) & 0xF0;
  return (tpr_ & 0xF0) >= isr_class ? tpr_ : isr_class;
}

// SDM 10.6.2.4 (P6 family): APR = TPR if TPR[7:4] >= IRRV[7:4] and TPR[7:4] > ISRV[7:4], else the
// highest of the three classes.
u32 LocalApic::apr() const {
  const int irrv = highest(irr_), isrv = highest(isr_);
  const u32 irr_class = irrv < 0 ? 0 : u32(irrv) & 0xF0, isr_class = isrv < 0 ? 0 : u32(isrv) & 0xF0;
  if ((tpr_ & 0xF0) >= irr_class && (tpr_ & 0xF0) > isr_class) return tpr_;
  return std::max({tpr_ & 0xF0, irr_class, isr_class});
}

// SDM 10.8.3.1: the highest IRR vector is dispatched when its class is above the processor priority class.
bool LocalApic::deliverable() const {
  const int irrv = highest(irr_);
  return irrv >= 0 && (u32(irrv) & 0xF0) > (ppr() & 0xF0);
}

bool LocalApic::pending_thunk(void* ctx) { return static_cast<LocalApic*>(ctx)->pending(); }
u8 LocalApic::acknowledge_thunk(void* ctx) { return static_cast<LocalApic*>(ctx)->acknowledge(); }

// The APIC's own vectors first, then the 8259A through LINT0 (ExtINT: the PIC supplies the vector in its
// INTA cycle), as QEMU's cpu_get_pic_interrupt orders them. With the APIC globally disabled, LINT0 is the
// processor's INTR pin (SDM 10.4.3).
bool LocalApic::pending() {
  if (hw_enabled() && deliverable()) return true;
  return pic_passes() && pic_.pending && pic_.pending(pic_.context);
}

// A halted CPU wakes through the APIC timer (counting, its LVT entry unmasked, the APIC enabled) or through
// the 8259A's timed lines on the virtual wire; only when neither can reach it does HLT end the run.
const char* LocalApic::wake_blocked() const {
  if (hw_enabled() && timer_due_ != TimedEvents::kNever && !(lvt_[LvtTimer] & kMasked)) return nullptr;
  if (pic_passes()) return pic_.wake_blocked ? pic_.wake_blocked(pic_.context) : nullptr;
  return "the local APIC's timer is not counting unmasked and its LINT0 (the 8259A's virtual wire) is masked";
}

// The 8259A reaches INTR: through LINT0 in ExtINT mode, unmasked, or directly with the APIC globally
// disabled (SDM 10.4.3).
bool LocalApic::pic_passes() const { return !hw_enabled() || (lvt_[LvtLint0] & (kMasked | 0x700)) == (kExtInt << 8); }

u8 LocalApic::acknowledge() {
  if (hw_enabled() && deliverable()) {
    const u8 v = u8(highest(irr_));
    clear_bit(irr_, v);
    set_bit(isr_, v);
    return v;
  }
  return pic_.acknowledge(pic_.context);
}

void LocalApic::accept(u8 vector, bool level) {
  if (vector < 16) {
    error(kReceiveIllegalVector);
    return;
  }
  set_bit(irr_, vector);
  if (level) set_bit(tmr_, vector);
  else clear_bit(tmr_, vector);
  cpu_.interrupt_requested();
}

// An error is logged for the next ESR write and, unless the error LVT is masked, interrupts (SDM 10.5.3).
void LocalApic::error(u32 bit) {
  esr_pending_ |= bit;
  const u32 l = lvt_[LvtError];
  if (!(l & kMasked) && (l & 0xFF) >= 16) accept(u8(l & 0xFF), false);
}

// EOI: the highest ISR bit is cleared (SDM 10.8.5); a level-triggered vector's EOI would go on to an I/O
// APIC, which this PC has not. A lower priority may now let an IRR vector through.
void LocalApic::eoi() {
  const int v = highest(isr_);
  if (v < 0) return;
  clear_bit(isr_, u8(v));
  clear_bit(tmr_, u8(v));
  cpu_.interrupt_requested();
}

// Which processors an IPI reaches (SDM 10.6.2): the only one is this one. Physical: its APIC ID, or the
// broadcast ID 0xFF. Logical: the flat model (DFR 0xF) matches any common bit of the 8-bit logical ID;
// the cluster model (DFR 0x0) a cluster (or all, 0xF) and a common bit of the 4-bit member field.
bool LocalApic::targets_self(u32 icr_low, u32 icr_high) const {
  switch ((icr_low >> 18) & 3) {
    case kSelf: case kAllIncludingSelf: return true;
    case kAllExcludingSelf: return false;
    default: break;
  }
  const u32 dest = icr_high >> 24;
  if (!(icr_low & kIcrLogical)) return dest == 0xFF || dest == (id_ >> 24);
  const u32 logical = ldr_ >> 24;
  if ((dfr_ >> 28) == 0xF) return (dest & logical) != 0;
  const bool cluster = (dest >> 4) == 0xF || (dest >> 4) == (logical >> 4);
  return cluster && (dest & logical & 0xF) != 0;
}

// An IPI leaves as soon as ICR low is written: the delivery status reads idle at once. What reaches no
// processor (INIT and STARTUP to the absent application processors) is simply lost, as on a one-CPU
// board. The self-directed ones ring1 models are fixed and lowest-priority interrupts, NMI, and STARTUP,
// which a running processor ignores; an SMI or INIT aimed at this processor would need CPU behaviour ring1
// lacks (SMM; a restart at the reset vector, where a loaded kernel has no firmware), so the run stops and
// says so.
void LocalApic::send_ipi() {
  const u32 mode = (icr_low_ >> 8) & 7;
  const u8 vector = u8(icr_low_ & 0xFF);
  if ((mode == kFixed || mode == kLowestPriority) && vector < 16) {
    error(kSendIllegalVector);
    return;
  }
  if (!targets_self(icr_low_, icr_high_)) return;
  switch (mode) {
    case kFixed:
    case kLowestPriority:
      // A self-IPI with the shorthand is edge-triggered whatever the trigger bit says (SDM 10.6.1).
      accept(vector, ((icr_low_ >> 18) & 3) != kSelf && (icr_low_ & kIcrTriggerLevel));
      return;
    case kNmi:
      // The vector is ignored (SDM 10.6.1, delivery mode 100): the processor's NMI input is raised, and the
      // CPU latches it and blocks further NMIs until its handler's IRET (6.7.1).
      cpu_.raise_nmi();
      return;
    case kInit:
      // INIT level de-assert (level 0, level-triggered) only synchronises arbitration IDs: no effect.
      if ((icr_low_ & kIcrTriggerLevel) && !(icr_low_ & kIcrLevelAssert)) return;
      break;
    case kStartUp:
      // Only a processor waiting for SIPI after an INIT acts on a STARTUP (SDM vol. 3, 8.4.4.1 and 10.6.1:
      // it starts at vector * 4 KiB); a running one, as this processor always is, ignores it.
      return;
    default:
      break;
  }
  static constexpr const char* kModeNames[] = {"fixed", "lowest-priority", "SMI", "reserved", "NMI",
                                               "INIT", "STARTUP", "ExtINT"};
  cpu_.not_modelled(fmt::format("local APIC: an IPI with delivery mode {} to this processor (ICR {:#010x}:{:#010x})",
                                 kModeNames[mode], icr_high_, icr_low_));
}

// Divide configuration (SDM figure 10-10): bits 0, 1 and 3 give 2, 4, 8, 16, 32, 64, 128, or 1 for 0b111.
u32 LocalApic::divide() const {
  const u32 code = ((divide_config_ >> 1) & 4) | (divide_config_ & 3);
  return code == 7 ? 1 : 2u << code;
}

// The timer's input is the modelled CPU clock: one count every `divide` cycles from the cycle the initial
// count was written. One-shot: N, N-1, ... down to 0, where it stays. Periodic: back to N as it reaches 0,
// so an interrupt comes every N * divide cycles, exactly.
u32 LocalApic::read_current_count(Cycles now) const {
  const u64 n = initial_count_;
  if (n == 0 || timer_stopped_) return 0;
  const u64 ticks = (now - timer_start_) / divide();
  if (lvt_[LvtTimer] & kPeriodic) return u32(n - ticks % n);
  return ticks >= n ? 0 : u32(n - ticks);
}

void LocalApic::timer_schedule() {
  timer_due_ = TimedEvents::kNever;
  const u64 period = timer_stopped_ ? 0 : u64(initial_count_) * divide();
  if (period) {
    const Cycles now = cpu_.now();
    if (lvt_[LvtTimer] & kPeriodic) {
      timer_due_ = timer_start_ + ((now - timer_start_) / period + 1) * period;
    } else if (timer_start_ + period > now) {
      timer_due_ = timer_start_ + period;
    }
  }
  // A masked timer counts on but can interrupt nobody: it asks for no event, so a halted CPU with nothing
  // else to wake it stops (unmasking recomputes the deadline from the count).
  if (slot_ >= 0) events_.schedule(slot_, (lvt_[LvtTimer] & kMasked) ? TimedEvents::kNever : timer_due_);
}

// The count reached 0: the LVT's vector goes to the IRR unless the entry is masked (the count goes on
// either way); periodic mode schedules the next zero, counted from the load so that it never drifts.
void LocalApic::timer_fire(Cycles now) {
  if (timer_due_ == TimedEvents::kNever || now < timer_due_) return;
  const u32 l = lvt_[LvtTimer];
  if (!(l & kMasked) && hw_enabled()) accept(u8(l & 0xFF), false);
  timer_schedule();
}

}  // namespace ring1
