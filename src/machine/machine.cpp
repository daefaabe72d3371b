#include "machine/machine.h"

#include <cctype>
#include <stdexcept>

namespace ring1 {

namespace {
CostProfile profile_or_throw(const std::string& name) {
  if (auto p = CostProfile::named(name)) return *p;
  throw std::invalid_argument("unknown cost profile '" + name + "' (known: p3)");
}
}  // namespace

Machine::Machine(const MachineConfig& cfg)
    : cfg_(cfg), costs_(profile_or_throw(cfg.cost_profile)), ram_(cfg.memory_bytes), mmu_(ram_), cpu_(mmu_, costs_) {
  cpu_.ports = &ports_;
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
