#include "cpu/cost_profile.h"

namespace ring1 {

// Default profile "p3": an in-order-issue approximation of a Pentium III-class core, the generation the
// paper's lmbench runs were contemporary with. Latencies follow Agner Fog's instruction tables
// ("Instruction tables", Pentium II/III section) and Intel's P6 optimisation manual, rounded to the
// throughput a dependent chain would see: simple ALU 1, loads 3 (L1 hit latency), stores 1 issue + the
// load side for read-modify-write, taken branches 2 (BTB hit, P6 front end), 32-bit MUL 4, DIV 39,
// string iterations 3 per element. This is a model: it orders and scales costs plausibly; it does not
// claim cycle accuracy for any real part.
const CostProfile& CostProfile::pentium3() {
  static const CostProfile p{
      "p3",
      {
          1,   // Simple
          3,   // Load
          3,   // Store
          2,   // Branch
          4,   // Multiply
          39,  // Divide
          3,   // StringIter
          2,   // Stack
          12,  // Complex
      }};
  return p;
}

std::optional<CostProfile> CostProfile::named(std::string_view name) {
  if (name == "p3" || name == "default") return pentium3();
  return std::nullopt;
}

std::string_view cost_class_name(CostClass c) {
  switch (c) {
    case CostClass::Simple: return "simple";
    case CostClass::Load: return "load";
    case CostClass::Store: return "store";
    case CostClass::Branch: return "branch";
    case CostClass::Multiply: return "multiply";
    case CostClass::Divide: return "divide";
    case CostClass::StringIter: return "string-iteration";
    case CostClass::Stack: return "stack";
    case CostClass::Complex: return "complex";
    case CostClass::Count: break;
  }
  return "?";
}

}  // namespace ring1
