// The cycle model's price list. Every instruction belongs to one cost class; system events (exception
// delivery, ring changes, CR3 writes, TLB refills) have their own entries. The numbers are a model, not a
// measurement of any one part: see cost_profile.cpp for where each default comes from.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "cpu/types.h"

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

struct CostProfile {
  std::string name;
  std::array<u8, static_cast<size_t>(CostClass::Count)> insn{};

  u8 cost(CostClass c) const { return insn[static_cast<size_t>(c)]; }

  static const CostProfile& pentium3();
  // Looks a profile up by name; nullopt if there is none.
  static std::optional<CostProfile> named(std::string_view name);
};

std::string_view cost_class_name(CostClass c);

}  // namespace ring1
