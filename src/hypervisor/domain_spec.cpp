// Parsing `--domain` and `--bvt` arguments (see the header). Numbers are decimal or 0x-hex digits only,
// as every count option of ring1 is.
#include "hypervisor/domain_spec.h"

#include <fmt/format.h>

#include "common/parse_count.h"

namespace ring1::hv {
namespace {

// Splits "k=v,k=v" one item at a time; `rest_key` takes everything after it, commas included.
template <class Take>
bool for_each_item(const std::string& text, std::size_t from, const char* rest_key, Take take, std::string& error) {
  while (from < text.size()) {
    const std::size_t eq = text.find('=', from);
    const std::size_t comma = text.find(',', from);
    if (eq == std::string::npos || (comma != std::string::npos && comma < eq)) {
      error = fmt::format("'{}': expected key=value, got '{}'", text, text.substr(from, comma - from));
      return false;
    }
    const std::string key = text.substr(from, eq - from);
    std::size_t end = key == rest_key ? text.size() : (comma == std::string::npos ? text.size() : comma);
    if (!take(key, text.substr(eq + 1, end - eq - 1))) return false;
    from = end + 1;
  }
  return true;
}

}  // namespace

std::optional<DomainSpec> parse_domain_spec(const std::string& text, std::string& error) {
  DomainSpec s;
  const std::size_t comma = text.find(',');
  s.kernel = text.substr(0, comma);
  if (s.kernel.empty()) {
    error = fmt::format("--domain '{}': a KERNEL comes first", text);
    return std::nullopt;
  }
  if (comma == std::string::npos) return s;
  auto take = [&](const std::string& key, const std::string& value) {
    auto num = [&](u64 max) {
      auto v = parse_count(value, max);
      if (!v) error = fmt::format("--domain '{}': {}={} is not a number from 0 to {}", text, key, value, max);
      return v;
    };
    if (key == "cmdline") {
      s.cmdline = value;
    } else if (key == "memory") {
      auto v = num(4095);
      if (!v) return false;
      if (*v == 0) {
        error = fmt::format("--domain '{}': memory=0", text);
        return false;
      }
      s.memory_mib = static_cast<u32>(*v);
    } else if (key == "weight") {
      auto v = num(Bvt::kMaxWeight);
      if (!v) return false;
      if (*v == 0) {
        error = fmt::format("--domain '{}': weight=0 (a weight is 1 or more)", text);
        return false;
      }
      s.sched.weight = static_cast<u32>(*v);
    } else if (key == "warp" || key == "warp-limit" || key == "unwarp") {
      auto v = num(u64(1) << 40);
      if (!v) return false;
      (key == "warp" ? s.sched.warp : key == "warp-limit" ? s.sched.warp_limit : s.sched.unwarp_requirement) = *v;
    } else {
      error = fmt::format("--domain '{}': unknown key '{}' (memory, cmdline, weight, warp, warp-limit, unwarp)", text,
                          key);
      return false;
    }
    return true;
  };
  if (!for_each_item(text, comma + 1, "cmdline", take, error)) return std::nullopt;
  return s;
}

std::optional<BvtConfig> parse_bvt_config(const std::string& text, std::string& error) {
  BvtConfig c;
  auto take = [&](const std::string& key, const std::string& value) {
    auto v = parse_count(value, u64(1) << 40);
    if (!v || *v == 0) {
      error = fmt::format("--bvt '{}': {}={} is not a number from 1 to 2^40", text, key, value);
      return false;
    }
    if (key == "mcu") c.mcu = *v;
    else if (key == "allow") c.ctx_allow = *v;
    else {
      error = fmt::format("--bvt '{}': unknown key '{}' (mcu, allow)", text, key);
      return false;
    }
    return true;
  };
  if (!for_each_item(text, 0, "", take, error)) return std::nullopt;
  return c;
}

std::optional<std::vector<ControlEvent>> parse_control_timeline(const std::string& text, std::string& error) {
  std::vector<ControlEvent> out;
  std::size_t from = 0;
  while (from <= text.size()) {
    std::size_t end = text.find(';', from);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(from, end - from);
    from = end + 1;
    std::vector<std::string> words;
    for (std::size_t i = 0; i < item.size();) {
      while (i < item.size() && item[i] == ' ') ++i;
      std::size_t j = i;
      while (j < item.size() && item[j] != ' ') ++j;
      if (j > i) words.push_back(item.substr(i, j - i));
      i = j;
    }
    if (words.empty()) continue;
    ControlEvent e;
    constexpr const char* kForms =
        "\"at CYCLE OP DOMID\" (pause, unpause, destroy), \"at CYCLE mem-set|mem-max DOMID MIB\" or \"at CYCLE "
        "create KERNEL[,key=value...]\"";
    const auto at = words.size() >= 3 && words[0] == "at" ? parse_count(words[1], ~u64(0)) : std::nullopt;
    if (!at) {
      error = fmt::format("--control: '{}' is not {}", item, kForms);
      return std::nullopt;
    }
    e.at = *at;
    const std::string& op = words[2];
    if (op == "create") {
      // The rest of the item, spaces included (a cmdline= may hold them), is a --domain argument.
      const std::size_t kw = item.find("create");
      std::size_t from_spec = kw + 6;
      while (from_spec < item.size() && item[from_spec] == ' ') ++from_spec;
      std::size_t to = item.size();
      while (to > from_spec && item[to - 1] == ' ') --to;
      e.op = ControlEvent::Op::Create;
      e.spec = item.substr(from_spec, to - from_spec);
      std::string why;
      if (e.spec.empty() || !parse_domain_spec(e.spec, why)) {
        error = fmt::format("--control: '{}': {}", item, e.spec.empty() ? "create needs a KERNEL" : why);
        return std::nullopt;
      }
    } else {
      const bool mem = op == "mem-set" || op == "mem-max";
      const auto dom = words.size() == (mem ? 5u : 4u) ? parse_count(words[3], 0x7FEF) : std::nullopt;
      if (!dom) {
        error = fmt::format("--control: '{}' is not {}", item, kForms);
        return std::nullopt;
      }
      e.dom = static_cast<u16>(*dom);
      if (op == "pause") e.op = ControlEvent::Op::Pause;
      else if (op == "unpause") e.op = ControlEvent::Op::Unpause;
      else if (op == "destroy") e.op = ControlEvent::Op::Destroy;
      else if (mem) {
        e.op = op == "mem-set" ? ControlEvent::Op::MemSet : ControlEvent::Op::MemMax;
        const auto mib = parse_count(words[4], 4095);
        if (!mib || *mib == 0) {
          error = fmt::format("--control: '{}': {} MiB is not a size from 1 to 4095", item, words[4]);
          return std::nullopt;
        }
        e.mib = static_cast<u32>(*mib);
      } else {
        error = fmt::format("--control: unknown operation '{}' (create, pause, unpause, destroy, mem-set, mem-max)", op);
        return std::nullopt;
      }
    }
    if (!out.empty() && e.at < out.back().at) {
      error = fmt::format("--control: '{}' comes before the step ahead of it (steps go in cycle order)", item);
      return std::nullopt;
    }
    out.push_back(e);
  }
  return out;
}

}  // namespace ring1::hv
