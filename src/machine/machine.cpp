#include "machine/machine.h"

#include <cctype>
#include <stdexcept>

namespace ring1 {

namespace {
TlbProfile tlb_profile_or_throw(const std::string& name) {
  if (auto p = TlbProfile::named(name)) return *p;
  std::string known;
  for (const auto& n : TlbProfile::names()) {
    if (!known.empty()) known += ", ";
    known += n;
  }
  throw std::invalid_argument("unknown TLB profile '" + name + "' (known: " + known + ")");
}
}  // namespace

// A machine delivers exceptions through its IDT, as hardware does: a guest without one ends in a triple
// fault, reported as such.
Machine::Machine(const MachineConfig& cfg)
    : cfg_(cfg),
      costs_(CostProfile::load(cfg.cost_profile)),
      ram_(cfg.memory_bytes),
      mmu_(ram_, tlb_profile_or_throw(cfg.tlb_profile), cfg.tlb_mode),
      cpu_(mmu_, costs_) {
  cpu_.ports = &ports_;
  cpu_.set_model(cfg.cpu_model);
  cpu_.exception_mode = Cpu::ExceptionMode::Deliver;
}

std::optional<u64> parse_size(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t i = 0;
  u64 v = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (v > (u64(1) << 40)) return std::nullopt;
    v = v * 10 + u64(text[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string unit = text.substr(i);
  u64 mul = 1;
  if (unit.empty() || unit == "B") mul = 1;
  else if (unit == "K" || unit == "k" || unit == "KiB") mul = u64(1) << 10;
  else if (unit == "M" || unit == "m" || unit == "MiB") mul = u64(1) << 20;
  else if (unit == "G" || unit == "g" || unit == "GiB") mul = u64(1) << 30;
  else return std::nullopt;
  return v * mul;
}

}  // namespace ring1
