// The cycle model's price list. Every instruction belongs to one cost class; system events (exception
// delivery, ring changes, CR3 writes, TLB refills) have their own entries. The numbers are a model, not a
// measurement of any one part: see cost_profile.cpp for where each default comes from.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.h"

namespace ring1 {

enum class CostClass : u8 {
  Simple,      // register ALU, MOV, LEA, flag ops, NOP
  Load,        // an instruction that reads memory
  Store,       // an instruction that writes memory (read-modify-write included)
  Branch,      // JMP, Jcc, CALL, RET, LOOP
  Multiply,
  Divide,
  StringIter,  // one iteration of a string instruction (REP charges it per element)
  Stack,       // PUSH/POP and the like
  Complex,     // BCD adjusts, ENTER, PUSHA/POPA, CPUID, XLAT, CMPXCHG8B, BOUND
  Count
};

// Costs of events that are not one instruction's execution.
struct EventCosts {
  u16 walk_access = 0;            // one page-directory or page-table read during a TLB miss walk
  u16 tlb_refill = 0;             // installing the walked translation
  u16 cr3_write = 0;              // MOV to CR3 (the flush itself; the refills that follow are charged as they happen)
  u16 invlpg = 0;
  u16 cr_write = 0;               // MOV to CR0/CR4
  u16 exception = 0;              // interrupt/exception delivery within a ring
  u16 exception_ring_change = 0;  // delivery with a stack switch to an inner ring
  u16 iret = 0;                   // IRET within a ring
  u16 iret_ring_change = 0;       // IRET to an outer ring
  // The hypervisor's C++ work, which runs outside the instruction stream (its stubs' instructions, the gate
  // transitions and its guest-memory accesses are charged as such on top).
  u16 hv_entry = 0;         // saving and restoring guest state, dispatch, the event check on exit
  u16 hv_bounce = 0;        // building an exception frame on the guest's stack
  u16 hv_request = 0;       // one request of a batched hypercall (mmu_update, mmuext_op, multicall entry)
  u16 hv_validate_pte = 0;  // checking one page-table entry (type and reference counts)
  u16 task_switch = 0;      // a hardware task switch (save the old TSS, load the new one and its segments)
  u16 hv_grant = 0;         // one grant-table map, unmap or copy (entry check, busy bits, maptrack, references)
  // Domain 0's store daemon (control/xenstore), which runs on the same CPU between a guest's notification
  // and its reply.
  u16 xs_request = 0;  // one request handled (dom0's wake-up, parsing, the tree lookup, the reply)
  u16 xs_byte = 0;     // one byte moved through a store ring
};

struct CostProfile {
  std::string name;
  std::array<u8, static_cast<size_t>(CostClass::Count)> insn{};
  EventCosts events;

  u8 cost(CostClass c) const { return insn[static_cast<size_t>(c)]; }

  static const CostProfile& pentium3();
  // Looks a profile up by name; nullopt if there is none.
  static std::optional<CostProfile> named(std::string_view name);
  // The text of a cost file, `key = cycles` lines (keys as in entry_names(); '#' starts a comment) applied
  // over the default profile and named `source`. Values are 1..255 (instruction classes) or 1..65535
  // (events); zero is refused. Throws std::runtime_error naming the source, line and text.
  static CostProfile parse(std::string_view text, std::string_view source);
  // Every settable entry, in file order ("simple", ..., "walk_access", ...).
  static std::vector<std::string> entry_names();
  // Sets one entry; false for an unknown key, zero, or a value beyond the entry's width.
  bool set(std::string_view key, u32 value);
};

std::string_view cost_class_name(CostClass c);

}  // namespace ring1
