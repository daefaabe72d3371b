#include "machine/machine.h"

#include <cctype>
#include <stdexcept>

#include "machine/input_file.h"

namespace ring1 {

namespace {
TlbProfile tlb_profile_or_throw(const std::string& name, const std::string& geometry) {
  if (auto p = TlbProfile::named(name)) {
    if (geometry.empty()) return *p;
    std::string error;
    if (auto g = TlbProfile::with_geometry(*p, geometry, error)) return *g;
    throw std::invalid_argument(error);
  }
  std::string known;
  for (const auto& n : TlbProfile::names()) {
    if (!known.empty()) known += ", ";
    known += n;
  }
  throw std::invalid_argument("unknown TLB profile '" + name + "' (known: " + known + ")");
}
// A profile name, or a cost file read with a bound (input_file.h) and parsed over p3.
CostProfile cost_profile_or_throw(const std::string& name) {
  if (auto p = CostProfile::named(name)) return *p;
  std::string error;
  auto bytes = read_input_file(name, kMaxCostFileBytes, error);
  if (!bytes) throw std::invalid_argument("no cost profile named '" + name + "' (known: p3), and as a file: " + error);
  return CostProfile::parse(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), name);
}
}  // namespace

// A machine delivers exceptions through its IDT, as hardware does: a guest without one ends in a triple
// fault, reported as such.
Machine::Machine(const MachineConfig& cfg)
    : cfg_(cfg),
      costs_(cost_profile_or_throw(cfg.cost_profile)),
      ram_(cfg.memory_bytes),
      mmu_(ram_, tlb_profile_or_throw(cfg.tlb_profile, cfg.tlb_geometry), cfg.tlb_mode),
      cpu_(mmu_, costs_) {
  cpu_.ports = &ports_;
  cpu_.set_model(cfg.cpu_model);
  cpu_.exception_mode = Cpu::ExceptionMode::Deliver;
  if (cfg.engine == MachineConfig::Engine::Jit) translator_ = std::make_unique<jit::Translator>(cpu_);
}

std::optional<u64> parse_size(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t i = 0;
  u64 v = 0;
  bool huge = false;  // more than 64 bits: saturates, so a range check refuses it as too large
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (v > (u64(1) << 40)) huge = true;
    else v = v * 10 + u64(text[i] - '0');
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
  if (huge || v > ~u64(0) / mul) return ~u64(0);
  return v * mul;
}

}  // namespace ring1
