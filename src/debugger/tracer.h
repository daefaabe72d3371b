// The tracer (`--trace ring,fault,tlb,io,insn,hypercall`): one line per event, in a fixed format tests
// compare byte for byte. Every line starts with the kind and the modelled cycle count at the event:
//
//   ring  cycle=N from=3/001b:00100043 to=0/0008:00100100 cause=int 0x80
//   fault cycle=N vector=14 #PF error=0x00000006 cr2=0x00400000 eip=0x00100050 ring=3
//   tlb   cycle=N ring=0 eip=0x00100020 flush cause=cr3-write dropped=3      (invlpg adds addr=0x...)
//   io    cycle=N out port=0x00e9 size=1 value=0x00000041
//   insn  cycle=N ring=0 0008:00100000 b801000000 mov eax, 0x01
//   hcall cycle=N nr=18 console_io ebx=0x00000000 ecx=0x00000020 edx=0xc0002000 esi=0x00000000 edi=0x00000000 eax=0x00000000
//   hcall cycle=N nr=1 mmu_update count=2 ebx=... eax=0x00000000       (mmu_update, mmuext_op, multicall)
//   hcall cycle=N nr=14 update_va_mapping multicall[0] ebx=... eax=...  (a call a multicall entry made)
//   sens  cycle=N ring=1 e019:c0001234 popf if-change-ignored: tried to change IF from 1 to 0: ignored (CPL 1 > IOPL 0)
//   bounce cycle=N vector=14 #PF error=0x00000002 cr2=0xc0009000 from=1/e019:c0001010 to=1/e019:c0001200 esp=0xc0437fd0
//
// ring: only transitions that change CPL; cause is `exception #PF (14)`, `int 0x80` (INT n, INT3, INTO;
// `int 0x82 (NAME)` for a paravirtual guest's hypercall),
// `interrupt 0x20` (external), `iret`, `far-call` (through a call gate) or `far-ret`. fault: exceptions the
// processor raises (not INT n), as they are delivered, including those raised while delivering another;
// cr2 only for #PF. hypercall (a paravirtual run only): every hypercall as it returns (cycle = then, its
// handler's work charged; eax = the result, negative errors also in decimal), and every exception or system
// call the hypervisor bounces to the guest's handler (`vector=128 int 0x80 via #GP` for an INT n the guest
// may not raise directly), from the ring, CS:EIP the guest was at to its handler on its kernel stack. tlb:
// every flush the report counts, with the ring and EIP of the instruction that did it (a PV domain's builder
// flushes before the guest's first instruction: those lines come first, at the CPU's reset EIP). sensitive:
// every execution of a sensitive but unprivileged instruction in a deprivileged ring (cpu/sensitive.h), as it
// completes (cycle = then), with the CS:EIP it ran at, its row's name, the effect and what differed. The
// hooks are the CPU's, MMU's and hypervisor's observers (cold paths); insn makes the run loop go one
// instruction per stretch.
#pragma once
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "cpu/decode/zydis_decoder.h"
#include "cpu/observer.h"
#include "hypervisor/hv_observer.h"
#include "mmu/mmu.h"

namespace ring1 {

class Machine;

struct TraceSet {
  bool ring = false, fault = false, tlb = false, io = false, insn = false, hypercall = false, sensitive = false;
  bool any() const { return ring || fault || tlb || io || insn || hypercall || sensitive; }
};

// Parses "ring,fault,tlb"; nullopt with `error` set for an unknown name.
std::optional<TraceSet> parse_trace_set(std::string_view list, std::string& error);

class Tracer {
 public:
  // `paravirtual`: the guest runs under the hypervisor (hypercalls are named in ring lines).
  Tracer(Machine& m, TraceSet what, std::FILE* out, bool paravirtual = false);
  const TraceSet& what() const { return what_; }

  void ring_transition(const RingTransition& t);
  void exception(const ExceptionEvent& e);
  void port_access(u16 port, u8 size, u32 value, bool write);
  void tlb_flush(FlushCause cause, u32 dropped, u32 lin);
  // The instruction at the current CS:EIP, before it executes.
  void instruction();
  void hypercall(const hv::HypercallEvent& e);
  void sensitive(const SensitiveEvent& e);
  void bounce(const hv::BounceEvent& e);

 private:
  void emit(const std::string& line);
  Machine& m_;
  TraceSet what_;
  std::FILE* out_;
  bool paravirtual_;
  InsnDecoder decoder_;
};

std::string transition_cause_text(TransitionCause cause, u8 vector);
// The cause as the ring trace and the ring-break message give it. In a paravirtual run an `int 0x82` into
// ring 0 is a hypercall, and the hypercall it is (EAX's number at the INT) follows: `int 0x82 (mmu_update)`.
std::string transition_cause_text(const RingTransition& t, bool paravirtual, u32 eax);

}  // namespace ring1
