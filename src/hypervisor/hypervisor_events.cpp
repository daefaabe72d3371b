// Events reaching a running guest, and the time that drives them: the upcall on every return to the guest
// (Xen's test_all_events: an event pending and upcalls unmasked means a bounce frame to the event callback,
// with upcalls masked while it runs), the event-check interrupt that stops a running guest when a timer or a
// back end raises an event, the failsafe callback for a return that faults, the vCPU's timers on the CPU's
// timed-event hook, and blocking, where modelled time jumps to the next deadline as it does for a native HLT.
#include <fmt/format.h>

#include "cpu/descriptors.h"
#include "cpu/cpu.h"
#include "hypervisor/domain_scheduler.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {

void Hypervisor::attach_shared_info(u32 ma) {
  vcpu_.vcpu_info = ma;
  events_.attach(ma);
  events_.set_kick(&Hypervisor::on_kick, this);
  Cpu& c = cpu();
  c.event_hook = {&Hypervisor::on_timer, this};
  c.interrupt_controller = {&Hypervisor::irq_pending, &Hypervisor::irq_acknowledge, this};
  time_.restamp(c.cycles);
  time_.publish(ram(), ma, c.tsc_offset);
  time_.publish_wallclock(ram(), ma);
  timers_.periodic_last = now_ns();
  arm_timers();
}

// ---- timers ----

void Hypervisor::arm_timers() {
  if (scheduler_) {
    scheduler_->rearm();  // one timed event for every domain's timers and the time slice
    return;
  }
  const std::optional<u64> next = timers_.next(false);
  cpu().schedule_event(next ? time_.cycles_at(*next) : ~Cycles(0));
}

void Hypervisor::on_timer(void* self, Cycles) {
  auto* hv = static_cast<Hypervisor*>(self);
  if (hv->state_ != DomainState::Running) return;
  hv->fire_timers(false);
  hv->arm_timers();
}

// Xen's singleshot and periodic timer functions: each sends VIRQ_TIMER (send_timer_event). The periodic
// one restarts from the time it fired (vcpu_periodic_timer_work), and not at all while the vCPU is blocked.
// Every tick also refreshes vcpu_info.time, as Xen refreshes it when it reschedules the vCPU.
void Hypervisor::fire_timers(bool blocked) {
  const u64 now = now_ns();
  bool tick = false;
  if (timers_.singleshot && now >= *timers_.singleshot) {
    timers_.singleshot.reset();
    tick = true;
  }
  if (!blocked && timers_.period && now >= timers_.periodic_last + timers_.period) {
    timers_.periodic_last = now;
    tick = true;
  }
  if (!tick) return;
  ++stats_.timer_events;
  time_.restamp(cpu().cycles);
  time_.publish(ram(), vcpu_.vcpu_info, cpu().tsc_offset);
  events_.raise_virq(xen::virq::kTimer);
  poll_console_input();
}

// ---- the event-check interrupt ----

bool Hypervisor::irq_pending(void* self) {
  auto* hv = static_cast<Hypervisor*>(self);
  if (hv->reschedule) return true;
  return hv->state_ == DomainState::Running && hv->events_.shared_info() && hv->events_.upcall_pending() &&
         !hv->events_.upcall_masked();
}

u8 Hypervisor::irq_acknowledge(void*) { return kEventCheckVector; }

void Hypervisor::on_kick(void* self) {
  auto* hv = static_cast<Hypervisor*>(self);
  hv->kicked_ = true;
  if (hv->scheduler_) hv->scheduler_->kicked(*hv);  // wakes it if it was blocked
  hv->cpu().interrupt_requested();  // taken only where EFLAGS.IF is set: in the guest, never in the stubs
}

// ---- the console's event channel ----

void Hypervisor::on_console_notify(void* self) {
  auto* hv = static_cast<Hypervisor*>(self);
  hv->drain_console_ring();
  hv->poll_console_input();  // the guest may have consumed input: room for more
}

void Hypervisor::poll_console_input() {
  if (console_port_ > 0 && console_backend_.feed()) events_.notify_guest(static_cast<u32>(console_port_));
}

// ---- the upcall ----

void Hypervisor::deliver_pending_upcall() {
  if (state_ != DomainState::Running || !events_.shared_info() || in_multicall) return;
  if (!events_.upcall_pending() || events_.upcall_masked()) return;
  const Frame f = frame();
  if ((f.cs & 3) == 0) return;
  if ((vcpu_.event_cs & ~3u) == 0) {
    // Xen's create_bounce_frame refuses a null selector and kills the domain.
    crash("an event is pending with upcalls unmasked, and the guest has registered no event callback");
    return;
  }
  events_.note_upcall();
  bounce(0, VirtualTrap{vcpu_.event_cs, vcpu_.event_eip, xen::kTrapInfoMaskEvents}, false, 0, f.eip, false, true);
}

// The stub's IRET faulted on the frame the guest is to resume with (a bad CS or SS from an iret hypercall,
// say). Below the fault's own frame (vector, error code, EIP, CS, EFLAGS: ring 0 to ring 0) lies the frame
// that failed. Xen's failsafe_callback bounces it to the guest's failsafe handler with the data segment
// registers on top, [DS, ES, FS, GS, EIP, CS, EFLAGS, (ESP, SS)] from low to high, and nulls those
// registers; the stub's IRET then runs again, into the handler.
bool Hypervisor::failsafe() {
  if ((vcpu_.failsafe_cs & ~3u) == 0) return false;
  constexpr u32 kFailedAt = 20;  // vector, error code, EIP, CS, EFLAGS of the fault in the stub
  Cpu& c = cpu();
  if (c.gpr[ESP] + kFailedAt + 20 > kStackTop) return false;
  const u32 eip = stack_word(kFailedAt), cs = stack_word(kFailedAt + 4) & 0xFFFF, fl = stack_word(kFailedAt + 8);
  const u32 esp = stack_word(kFailedAt + 12), ss = stack_word(kFailedAt + 16) & 0xFFFF;
  const u8 to = cs & 3;
  u32 stack_ss = ss, stack_sp = esp;
  if (to != 1) {
    stack_ss = vcpu_.kernel_ss;
    stack_sp = vcpu_.kernel_sp;
  }
  u32 base = 0;
  if ((stack_ss & ~3u) == 0 || !stack_base(static_cast<u16>(stack_ss), base)) return false;
  u8 mask = events_.upcall_masked() ? 1 : 0;
  u32 words[9];
  u32 n = 0;
  for (SegReg r : {DS, ES, FS, GS}) words[n++] = c.seg[r].selector;
  words[n++] = eip;
  words[n++] = cs | (u32(mask) << 16);
  words[n++] = (fl & ~eflags::IF) | (mask ? 0 : eflags::IF);
  if (to != 1) {
    words[n++] = esp;
    words[n++] = ss;
  }
  const u32 new_esp = stack_sp - 4 * n;
  if (!guest().copy_to(LinearAddr{base + new_esp}, words, 4 * n)) return false;
  for (SegReg r : {DS, ES, FS, GS}) load_data_segment(c, r, 0);
  if (vcpu_.failsafe_masks_events) events_.set_upcall_mask(true);
  ++stats_.failsafe_callbacks;
  c.charge(c.costs().events.hv_bounce);
  const u32 handler_fl = (fl & ~(eflags::TF | eflags::NT | eflags::VM | eflags::RF | eflags::IOPL)) | eflags::IF;
  set_stack_word(kFailedAt, vcpu_.failsafe_eip);
  set_stack_word(kFailedAt + 4, vcpu_.failsafe_cs);
  set_stack_word(kFailedAt + 8, handler_fl);
  set_stack_word(kFailedAt + 12, new_esp);
  set_stack_word(kFailedAt + 16, stack_ss);
  return true;
}

// ---- blocking ----

template <class Woken>
bool Hypervisor::wait_until(Woken woken, const u64* timeout_ns) {
  Cpu& c = cpu();
  kicked_ = false;
  bool waited = false;
  for (;;) {
    if (woken()) break;
    poll_console_input();
    if (woken()) break;
    if (timeout_ns && now_ns() >= *timeout_ns) break;
    std::optional<u64> next = timers_.next(true);
    if (timeout_ns && (!next || *timeout_ns < *next)) next = *timeout_ns;
    if (!next) {
      // Nothing armed and no input to come: no event can ever arrive (a native HLT with IF = 0).
      state_ = DomainState::Blocked;
      crash_message_ = "blocked with no timer armed and no event that could wake it";
      c.request_stop(StopReason::Halted);
      return false;
    }
    if (!waited) ++stats_.blocks;
    waited = true;
    const Cycles at = time_.cycles_at(*next);
    if (at > c.cycles) {
      stats_.blocked_cycles += at - c.cycles;
      c.cycles = at;
    }
    fire_timers(true);
  }
  // Scheduled again: a periodic tick that fell due while blocked is sent now (vcpu_periodic_timer_work).
  if (waited) last_wake_ns_ = now_ns();
  fire_timers(false);
  arm_timers();
  return true;
}

void Hypervisor::vcpu_down() {
  state_ = DomainState::Blocked;
  crash_message_ = "its only vCPU went down (VCPUOP_down) and nothing can bring it up";
  if (scheduler_) scheduler_->ended(*this);
  else cpu().request_stop(StopReason::Halted);
}

void Hypervisor::yield() {
  if (scheduler_) scheduler_->yield(*this);
  poll_console_input();
}

bool Hypervisor::block() {
  // Xen's do_block: event delivery enabled first, then checked, so no wake-up is lost.
  events_.set_upcall_mask(false);
  if (scheduler_) {
    // Another domain runs meanwhile; a kick wakes this one (domain_scheduler.h).
    if (!events_.upcall_pending()) {
      ++stats_.blocks;
      scheduler_->block(*this);
    }
    return true;
  }
  return wait_until([&] { return kicked_ || events_.upcall_pending(); }, nullptr);
}

bool Hypervisor::poll(const u32* ports, u32 n, u64 timeout_ns) {
  auto any_pending = [&] {
    if (kicked_) return true;
    for (u32 i = 0; i < n; ++i)
      if (events_.port_pending(ports[i])) return true;
    return false;
  };
  if (scheduler_) {
    kicked_ = false;
    // Asleep until an event is raised for it (any port: the guest looks again, as after a spurious wake-up)
    // or the timeout passes.
    if (any_pending() || (timeout_ns && now_ns() >= timeout_ns)) return true;
    if (timeout_ns) timers_.poll_timeout = timeout_ns;
    ++stats_.blocks;
    scheduler_->block(*this);
    return true;
  }
  if (timeout_ns) timers_.poll_timeout = timeout_ns;
  const bool ok = wait_until(any_pending, timeout_ns ? &timeout_ns : nullptr);
  timers_.poll_timeout.reset();
  return ok;
}

}  // namespace ring1::hv
