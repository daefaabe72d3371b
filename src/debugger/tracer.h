// The tracer (`--trace ring,fault,tlb,io,insn`): one line per event, in a fixed format tests compare
// byte for byte. Every line starts with the kind and the modelled cycle count at the event:
//
//   ring  cycle=N from=3/001b:00100043 to=0/0008:00100100 cause=int 0x80
//   fault cycle=N vector=14 #PF error=0x00000006 cr2=0x00400000 eip=0x00100050 ring=3
//   tlb   cycle=N flush cause=cr3-write dropped=3            (invlpg adds addr=0x...)
//   io    cycle=N out port=0x00e9 size=1 value=0x00000041
//   insn  cycle=N ring=0 0008:00100000 b801000000 mov eax, 0x01
//
// ring: only transitions that change CPL; cause is `exception #PF (14)`, `int 0x80` (INT n, INT3, INTO),
// `interrupt 0x20` (external), `iret`, `far-call` (through a call gate) or `far-ret`. fault: exceptions the
// processor raises (not INT n), as they are delivered, including those raised while delivering another;
// cr2 only for #PF. The hooks are the CPU's and MMU's observers (cold paths); insn makes the run loop go
// one instruction per stretch.
#pragma once
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "cpu/decode/zydis_decoder.h"
#include "cpu/observer.h"
#include "mmu/mmu.h"

namespace ring1 {

class Machine;

struct TraceSet {
  bool ring = false, fault = false, tlb = false, io = false, insn = false;
  bool any() const { return ring || fault || tlb || io || insn; }
};

// Parses "ring,fault,tlb"; nullopt with `error` set for an unknown name (hypercall is named as not yet
// available: there is no hypervisor).
std::optional<TraceSet> parse_trace_set(std::string_view list, std::string& error);

class Tracer {
 public:
  Tracer(Machine& m, TraceSet what, std::FILE* out);
  const TraceSet& what() const { return what_; }

  void ring_transition(const RingTransition& t);
  void exception(const ExceptionEvent& e);
  void port_access(u16 port, u8 size, u32 value, bool write);
  void tlb_flush(FlushCause cause, u32 dropped, u32 lin);
  // The instruction at the current CS:EIP, before it executes.
  void instruction();

 private:
  Machine& m_;
  TraceSet what_;
  std::FILE* out_;
  ZydisDecoder decoder_;
};

std::string transition_cause_text(TransitionCause cause, u8 vector);

}  // namespace ring1
