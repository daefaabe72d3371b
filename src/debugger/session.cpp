// The debugger's run loop (see session.h): slices, the stub's conversation while the guest is stopped,
// stepping over a breakpoint on resume, and the observer hub that feeds the tracer and the stub.
#include "debugger/session.h"

#include <fmt/format.h>

#include "debugger/gdb_connection.h"
#include "debugger/gdb_stub.h"
#include "hypervisor/hv_report.h"
#include "hypervisor/hypervisor.h"
#include "machine/machine.h"
#include "machine/report.h"

namespace ring1 {

namespace {

// One place the CPU's and MMU's hooks lead to, forwarding to whoever listens.
struct Hub {
  Machine* m = nullptr;
  Tracer* tracer = nullptr;
  GdbStub* stub = nullptr;  // only while a client is attached

  static void ring(void* ctx, const RingTransition& t) {
    auto* h = static_cast<Hub*>(ctx);
    if (h->tracer) h->tracer->ring_transition(t);
    if (h->stub && h->stub->on_ring_transition(t)) h->m->cpu().request_stop(StopReason::Breakpoint);
  }
  static void exception(void* ctx, const ExceptionEvent& e) {
    auto* h = static_cast<Hub*>(ctx);
    if (h->tracer) h->tracer->exception(e);
  }
  static void port(void* ctx, u16 port, u8 size, u32 value, bool write) {
    static_cast<Hub*>(ctx)->tracer->port_access(port, size, value, write);
  }
  static void flush(void* ctx, FlushCause cause, u32 dropped, u32 lin) {
    static_cast<Hub*>(ctx)->tracer->tlb_flush(cause, dropped, lin);
  }
  static void sensitive(void* ctx, const SensitiveEvent& e) { static_cast<Hub*>(ctx)->tracer->sensitive(e); }
  static void hypercall(void* ctx, const hv::HypercallEvent& e) { static_cast<Hub*>(ctx)->tracer->hypercall(e); }
  static void bounce(void* ctx, const hv::BounceEvent& e) { static_cast<Hub*>(ctx)->tracer->bounce(e); }
};

std::string describe_end(Machine& m, StopReason why, const hv::Hypervisor* hyp) {
  if (why == StopReason::Requested && hyp && hyp->state() != hv::DomainState::Running)
    return fmt::format("domain {} {}", hyp->domain().id.value, hv::domain_state_text(*hyp));
  switch (why) {
    case StopReason::UnhandledFault: return "crashed: " + describe_fault(m);
    case StopReason::TripleFault: return "crashed: " + describe_triple_fault(m);
    case StopReason::HostError:
    case StopReason::NotModelled:
    case StopReason::Ring1Bug: return m.cpu().host_error();
    default: return std::string(stop_reason_name(why));
  }
}

class Session {
 public:
  Session(Machine& m, const RunLimits& limits, const DebugOptions& o) : m_(m), limits_(limits), o_(o) {
    const Cpu& c = m.cpu();
    insn_end_ = limits.max_instructions >= ~u64(0) - c.steps() ? ~u64(0) : c.steps() + limits.max_instructions;
    if (o.trace.any()) tracer_.emplace(m, o.trace, o.trace_out, o.hypervisor != nullptr);
    hub_.m = &m;
    hub_.tracer = tracer_ ? &*tracer_ : nullptr;
    install_observers();
  }
  ~Session() {
    m_.cpu().observer = CpuObserver{};
    m_.mmu().flush_observer = FlushObserver{};
    if (o_.hypervisor) o_.hypervisor->observer = hv::HvObserver{};
  }

  StopReason run(std::string& error) {
    if (o_.gdb_port) {
      error = conn_.listen(*o_.gdb_port);
      if (!error.empty()) return StopReason::HostError;
      fmt::print(stderr, "ring1: gdb stub listening on 127.0.0.1:{}\n", conn_.port());
      std::fflush(stderr);
      stub_.emplace(m_, o_.hypervisor);
      if (o_.gdb_wait) {
        conn_.accept(true);
        attach(GdbStub::StopKind::Attach);
      }
    }
    for (;;) {
      if (stopped_) {
        if (auto end = converse()) return *end;
        if (!conn_.connected()) detach();
      }
      const StopReason why = run_once();
      if (why == StopReason::Breakpoint && attached()) {
        stop_with(stop_kind_);
        continue;
      }
      if (why == StopReason::InsnLimit && m_.cpu().steps() < insn_end_) {  // a slice ended: keep going
        poll_client();
        continue;
      }
      if (attached()) {
        const int status = o_.exit_status ? o_.exit_status(why) : exit_status_for(why);
        for (const std::string& p : stub_->exited(status, describe_end(m_, why, o_.hypervisor))) conn_.send(p);
        conn_.finish_and_close();
      }
      return why;
    }
  }

 private:
  bool attached() const { return stub_ && conn_.connected() && hub_.stub; }

  void install_observers() {
    CpuObserver ob;
    ob.context = &hub_;
    if (hub_.tracer || hub_.stub) ob.ring_transition = &Hub::ring;
    if (tracer_ && tracer_->what().fault) ob.exception = &Hub::exception;
    if (tracer_ && tracer_->what().io) ob.port_access = &Hub::port;
    if (tracer_ && tracer_->what().sensitive) ob.sensitive = &Hub::sensitive;
    m_.cpu().observer = ob;
    if (tracer_ && tracer_->what().tlb) m_.mmu().flush_observer = FlushObserver{&Hub::flush, &hub_};
    if (tracer_ && tracer_->what().hypercall && o_.hypervisor)
      o_.hypervisor->observer = hv::HvObserver{&Hub::hypercall, &Hub::bounce, &hub_};
  }

  void attach(GdbStub::StopKind kind) {
    if (!conn_.connected()) return;
    hub_.stub = &*stub_;
    install_observers();
    stopped_ = true;
    stub_->stopped(kind);  // `?` answers with it; nothing is sent unasked on attach
  }

  void detach() {
    stub_->forget_client();
    hub_.stub = nullptr;
    install_observers();
    stopped_ = false;
    mode_ = GdbStub::Action::Continue;
  }

  void stop_with(GdbStub::StopKind kind) {
    stopped_ = true;
    for (const std::string& p : stub_->stopped(kind)) conn_.send(p);
  }

  void poll_client() {
    if (!stub_) return;
    if (!conn_.connected()) {
      if (conn_.accept(false)) attach(GdbStub::StopKind::Attach);
      return;
    }
    if (conn_.poll_interrupt()) {
      conn_.take_interrupt();
      stop_with(GdbStub::StopKind::Interrupt);
    }
    if (!conn_.connected()) detach();
  }

  // Talks to the client until it resumes the guest. Returns a stop reason if the run must end (kill).
  std::optional<StopReason> converse() {
    for (;;) {
      auto packet = conn_.next_packet(true);
      if (!packet) {
        if (!conn_.connected()) return std::nullopt;  // the client went away: the guest runs on
        continue;
      }
      GdbStub::Reply r = stub_->handle(*packet);
      for (const std::string& p : r.packets) conn_.send(p);
      conn_.set_no_ack(stub_->no_ack());
      conn_.take_interrupt();  // a Ctrl-C while stopped means nothing
      switch (r.action) {
        case GdbStub::Action::None: break;
        case GdbStub::Action::Continue:
        case GdbStub::Action::Step:
          mode_ = r.action;
          stopped_ = false;
          stub_->resuming();
          return std::nullopt;
        case GdbStub::Action::Detach:
          conn_.finish_and_close();
          detach();
          return std::nullopt;
        case GdbStub::Action::Kill:
          conn_.finish_and_close();
          detach();
          killed_ = true;
          return StopReason::Requested;
      }
    }
  }

  // One stretch of running: a step, a step over the breakpoint under EIP, a slice, or (tracing
  // instructions) one instruction. Returns InsnLimit with instructions left for "keep going"; Breakpoint
  // while attached for a stop to report (stop_kind_ says which).
  StopReason run_once() {
    Cpu& c = m_.cpu();
    RunLimits lim = limits_;
    lim.max_instructions = insn_end_ - c.steps();  // slices count steps, so a guest that retires nothing yields too
    const bool debugging = attached();
    const bool stepping = debugging && mode_ == GdbStub::Action::Step;
    // Resuming from a breakpoint address: that instruction runs first, with breakpoints out of the way.
    const bool over_bp = debugging && !stepping && !stepped_over_ && stub_->breakpoints().contains(c.eip);
    const bool trace_insn = tracer_ && tracer_->what().insn;
    lim.single_step = stepping || over_bp || trace_insn;
    if (!lim.single_step && stub_) lim.max_instructions = std::min<u64>(lim.max_instructions, kSliceInstructions);
    if (debugging && !stepping && !over_bp) lim.breakpoints = &stub_->breakpoints();
    const bool at_bp = lim.breakpoints && lim.breakpoints->contains(c.eip);
    if (trace_insn && !c.halted() && !at_bp) tracer_->instruction();
    const StopReason why = c.run(lim);
    stepped_over_ = false;
    if (why != StopReason::Breakpoint) return why;
    if (debugging && stub_->pending_stop(stop_kind_)) return why;  // a watchpoint or a ring break
    if (stepping) {
      stop_kind_ = GdbStub::StopKind::Step;
      return why;
    }
    if (debugging && !over_bp && stub_->breakpoints().contains(c.eip)) {
      stop_kind_ = GdbStub::StopKind::Breakpoint;
      return why;
    }
    if (over_bp) stepped_over_ = true;  // the next stretch runs with the breakpoints in place
    if (lim.single_step) return StopReason::InsnLimit;  // keep going
    return why;  // the caller's own stop address
  }

  Machine& m_;
  RunLimits limits_;
  const DebugOptions& o_;
  u64 insn_end_ = ~u64(0);
  std::optional<Tracer> tracer_;
  std::optional<GdbStub> stub_;
  GdbConnection conn_;
  Hub hub_;
  bool stopped_ = false;
  bool stepped_over_ = false;

 public:
  bool killed_ = false;

 private:
  GdbStub::Action mode_ = GdbStub::Action::Continue;
  GdbStub::StopKind stop_kind_ = GdbStub::StopKind::Breakpoint;
};

}  // namespace

StopReason run_with_debugger(Machine& m, const RunLimits& limits, const DebugOptions& o, DebugOutcome& out) {
  if (!o.gdb_port && !o.trace.any()) return m.cpu().run(limits);
  Session s(m, limits, o);
  const StopReason why = s.run(out.error);
  out.killed = s.killed_;
  return why;
}

}  // namespace ring1
