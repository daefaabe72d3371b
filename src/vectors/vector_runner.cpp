// See vector_runner.h. Each test gets the machine the suites assume: 16 MiB of RAM, real mode (every
// segment's base is its selector x 16, limit 0xFFFF), no devices (I/O reads answer all ones), exceptions
// delivered through the real-mode IVT. The test's bytes are written, the state loaded, and the CPU runs to
// the first HLT (the vectors place one after the instruction and at the handler of any exception). Then the
// registers and the listed bytes are compared. Only architectural bits of CR0, EFLAGS and DR6 are loaded
// and compared (the captured values carry the reserved bits of the part they came from).
//
// One machine serves the whole file: after each test the 4 KiB pages holding any listed byte are zeroed
// again, so a test sees zeroed RAM plus its own bytes (every byte a vector's instruction reads is listed in
// its initial state, so memory a previous test left elsewhere is never observed by a correct run).
#include "vectors/vector_runner.h"
#include "common/arch_bits.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "machine/machine.h"

namespace ring1 {
namespace {

using nlohmann::json;

constexpr u64 kRam = 16u << 20;
// Architectural bits (SDM vol. 3, 2.5 and vol. 1, 3.4.3; DR6 vol. 3, 17.2.3).
constexpr u32 kCr0Bits = cr0::PE | cr0::MP | cr0::EM | cr0::TS | cr0::ET | cr0::NE | cr0::WP | cr0::AM | cr0::NW |
                         cr0::CD | cr0::PG;
constexpr u32 kEflagsBits = 0x00277FD5u;    // CF PF AF ZF SF TF IF DF OF IOPL NT RF VM AC ID
constexpr u32 kDr6Bits = 0x0000E00Fu;       // B0-B3 BD BS BT

enum class Reg : u8 { Cr0, Cr3, Gpr, Seg, Eip, Eflags, Dr6, Dr7 };
struct RegName {
  const char* name;
  Reg kind;
  u8 index;   // GPR number or SegReg
  u32 width;  // mask of the bits the name covers (the 16-bit names of the 8088/286 suites cover the low half)
};
constexpr RegName kRegs[] = {
    {"cr0", Reg::Cr0, 0, ~0u},        {"cr3", Reg::Cr3, 0, ~0u},        {"eax", Reg::Gpr, EAX, ~0u},
    {"ebx", Reg::Gpr, EBX, ~0u},      {"ecx", Reg::Gpr, ECX, ~0u},      {"edx", Reg::Gpr, EDX, ~0u},
    {"esi", Reg::Gpr, ESI, ~0u},      {"edi", Reg::Gpr, EDI, ~0u},      {"ebp", Reg::Gpr, EBP, ~0u},
    {"esp", Reg::Gpr, ESP, ~0u},      {"cs", Reg::Seg, CS, 0xFFFF},     {"ds", Reg::Seg, DS, 0xFFFF},
    {"es", Reg::Seg, ES, 0xFFFF},     {"fs", Reg::Seg, FS, 0xFFFF},     {"gs", Reg::Seg, GS, 0xFFFF},
    {"ss", Reg::Seg, SS, 0xFFFF},     {"eip", Reg::Eip, 0, ~0u},        {"eflags", Reg::Eflags, 0, ~0u},
    {"dr6", Reg::Dr6, 0, ~0u},        {"dr7", Reg::Dr7, 0, ~0u},
    // The 16-bit suites' names for the same registers.
    {"ax", Reg::Gpr, EAX, 0xFFFF},    {"bx", Reg::Gpr, EBX, 0xFFFF},    {"cx", Reg::Gpr, ECX, 0xFFFF},
    {"dx", Reg::Gpr, EDX, 0xFFFF},    {"si", Reg::Gpr, ESI, 0xFFFF},    {"di", Reg::Gpr, EDI, 0xFFFF},
    {"bp", Reg::Gpr, EBP, 0xFFFF},    {"sp", Reg::Gpr, ESP, 0xFFFF},    {"ip", Reg::Eip, 0, 0xFFFF},
    {"flags", Reg::Eflags, 0, 0xFFFF},
};

const RegName* find_reg(const std::string& name) {
  for (const RegName& r : kRegs)
    if (name == r.name) return &r;
  return nullptr;
}

std::string read_file(const std::string& path) {
  // gzread reads plain files as they are, so one path serves .json and .json.gz.
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(fmt::format("cannot read '{}'", path));
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      throw std::runtime_error(fmt::format("'{}': {}", path, msg));
    }
    if (n == 0) break;
    out.append(buf, size_t(n));
  }
  gzclose(f);
  return out;
}

u32 as_u32(const json& v, const std::string& what) {
  if (!v.is_number_unsigned() && !v.is_number_integer()) throw std::runtime_error(what + " is not a number");
  const i64 x = v.get<i64>();
  if (x < 0 || x > i64(0xFFFFFFFFll)) throw std::runtime_error(what + " is out of range");
  return u32(x);
}

// The value of a register of the CPU, as the test format names it.
u32 get_reg(const Cpu& c, const RegName& r) {
  switch (r.kind) {
    case Reg::Cr0: return c.cr0 & kCr0Bits;
    case Reg::Cr3: return c.cr3;
    case Reg::Gpr: return c.gpr[r.index] & r.width;
    case Reg::Seg: return c.seg[r.index].selector;
    case Reg::Eip: return c.eip & r.width;
    case Reg::Eflags: return c.eflags & kEflagsBits & r.width;
    case Reg::Dr6: return c.dr[6] & kDr6Bits;
    case Reg::Dr7: return c.dr[7];
  }
  return 0;
}

void set_reg(Cpu& c, const RegName& r, u32 v) {
  switch (r.kind) {
    case Reg::Cr0:
      if (v & 1) throw std::runtime_error("cr0.PE is set: only real-mode vectors are supported");
      c.set_cr0(v & kCr0Bits);
      break;
    case Reg::Cr3: c.set_cr3(v); break;
    case Reg::Gpr: c.gpr[r.index] = (c.gpr[r.index] & ~r.width) | (v & r.width); break;
    case Reg::Seg: {
      Segment& s = c.seg[r.index];
      c.load_segment_flat(SegReg(r.index), u16(v), 0, false, false);
      s.base = (v & 0xFFFF) << 4;
      break;
    }
    case Reg::Eip: c.eip = c.next_eip = (c.eip & ~r.width) | (v & r.width); break;
    case Reg::Eflags: c.set_flags((((c.eflags & ~r.width) | (v & r.width)) & kEflagsBits) | eflags::Reserved1); break;
    case Reg::Dr6: c.dr[6] = v; break;
    case Reg::Dr7: c.dr[7] = v; break;
  }
}

// Expected end values: the initial registers overridden by the ones "final" lists.
struct Expect {
  const RegName* reg;
  u32 value;
};

class Runner {
 public:
  explicit Runner(const VectorOptions& o) : opts_(o), m_(config(o)) {}

  // Returns "" for a pass, or the failure line.
  std::string run(size_t index, const json& t) {
    const std::string name = t.contains("name") && t["name"].is_string() ? t["name"].get<std::string>() : "";
    auto fail = [&](const std::string& why) { return fmt::format("FAIL {} \"{}\": {}", index, name, why); };
    std::string result;
    try {
      result = run_one(t);
    } catch (const std::runtime_error& e) {
      result = e.what();
    }
    clear_pages();
    return result.empty() ? "" : fail(result);
  }

 private:
  static MachineConfig config(const VectorOptions& o) {
    MachineConfig cfg;
    cfg.memory_bytes = kRam;
    cfg.cpu_model = o.model;
    return cfg;
  }

  void touch(u32 addr) { pages_.insert(addr >> 12); }

  void clear_pages() {
    static const std::vector<u8> zero(4096, 0);
    for (u32 p : pages_)
      if ((u64(p) << 12) < kRam) m_.ram().write_bytes(p << 12, zero.data(), 4096);
    pages_.clear();
  }

  std::string run_one(const json& t) {
    if (!t.is_object() || !t.contains("initial") || !t.contains("final"))
      throw std::runtime_error("a test needs \"initial\" and \"final\"");
    const json& init = t["initial"];
    const json& fin = t["final"];
    Cpu& c = m_.cpu();

    // Power-on state first (real mode, EFLAGS 2, CR0 as reset leaves it); then the test's registers.
    c.reset_power_on();
    c.set_cr0(0x00000010);  // ET: a processor with a 387-compatible interface; the vector's cr0 replaces it
    c.dr[6] = c.dr[7] = 0;
    c.interrupt_shadow = false;
    std::vector<Expect> expect;
    if (init.contains("regs")) {
      for (auto& [key, v] : init["regs"].items()) {
        const RegName* r = find_reg(key);
        if (!r) throw std::runtime_error(fmt::format("unknown register \"{}\"", key));
        set_reg(c, *r, as_u32(v, key));
      }
      for (auto& [key, v] : init["regs"].items()) expect.push_back({find_reg(key), as_u32(v, key)});
    }
    if (fin.contains("regs")) {
      for (auto& [key, v] : fin["regs"].items()) {
        const RegName* r = find_reg(key);
        if (!r) throw std::runtime_error(fmt::format("unknown register \"{}\"", key));
        auto it = std::find_if(expect.begin(), expect.end(), [&](const Expect& e) { return e.reg == r; });
        if (it == expect.end()) expect.push_back({r, as_u32(v, key)});
        else it->value = as_u32(v, key);
      }
    }
    if (init.contains("ram")) {
      for (const json& cell : init["ram"]) {
        const u32 a = cell_addr(cell), b = cell_byte(cell);
        touch(a);
        const u8 byte = u8(b);
        m_.ram().write_bytes(a, &byte, 1);
      }
    }
    std::optional<u32> flag_address;
    if (t.contains("exception") && t["exception"].is_object() && t["exception"].contains("flag_address"))
      flag_address = as_u32(t["exception"]["flag_address"], "exception.flag_address");

    RunLimits lim;
    lim.max_instructions = opts_.max_instructions;
    // Exceptions that fault again while being delivered retire no instruction: bound the cycles as well.
    lim.max_cycles = c.cycles + opts_.max_instructions * 64;
    const StopReason why = c.run(lim);
    std::string diffs;
    auto add = [&](const std::string& s) {
      if (!diffs.empty()) diffs += "; ";
      diffs += s;
    };
    if (why != StopReason::Halted) {
      std::string detail = std::string(stop_reason_name(why));
      if (why == StopReason::HostError || why == StopReason::TripleFault) detail += ": " + c.host_error();
      add(fmt::format("did not reach HLT ({})", detail));
    }
    for (const Expect& e : expect) {
      u32 want = e.value, got = get_reg(c, *e.reg);
      if (e.reg->kind == Reg::Cr0) want &= kCr0Bits;
      if (e.reg->kind == Reg::Dr6) want &= kDr6Bits;
      if (e.reg->kind == Reg::Eip || e.reg->kind == Reg::Gpr || e.reg->kind == Reg::Seg) want &= e.reg->width;
      if (e.reg->kind == Reg::Eflags) {
        want &= kEflagsBits & e.reg->width & ~opts_.flags_mask;
        got &= ~opts_.flags_mask;
      }
      if (want != got) add(fmt::format("{} expected {:#x} got {:#x}", e.reg->name, want, got));
    }
    if (fin.contains("ram")) {
      for (const json& cell : fin["ram"]) {
        const u32 a = cell_addr(cell);
        u8 want = u8(cell_byte(cell));
        touch(a);
        u8 got = 0;
        m_.ram().read_bytes(a, &got, 1);
        // The flags image an exception pushed: its undefined flags are masked as the registers' are.
        if (flag_address && (a == *flag_address || a == *flag_address + 1)) {
          const u8 mask = u8(opts_.flags_mask >> (a == *flag_address ? 0 : 8));
          want &= u8(~mask);
          got &= u8(~mask);
        }
        if (want != got) add(fmt::format("ram[{:#x}] expected {:#04x} got {:#04x}", a, want, got));
      }
    }
    return diffs;
  }

  u32 cell_addr(const json& cell) {
    if (!cell.is_array() || cell.size() != 2) throw std::runtime_error("a ram entry is not [address, byte]");
    const u32 a = as_u32(cell[0], "ram address");
    if (a >= kRam) throw std::runtime_error(fmt::format("ram address {:#x} is outside the 16 MiB", a));
    return a;
  }
  u32 cell_byte(const json& cell) {
    const u32 b = as_u32(cell[1], "ram byte");
    if (b > 0xFF) throw std::runtime_error(fmt::format("ram byte {} is not a byte", b));
    return b;
  }

  const VectorOptions& opts_;
  Machine m_;
  std::set<u32> pages_;
};

}  // namespace

VectorSummary run_vectors(const VectorOptions& opts, const std::function<void(const std::string&)>& on_failure) {
  const std::string text = read_file(opts.file);
  json tests = json::parse(text, nullptr, false);
  if (tests.is_discarded()) throw std::runtime_error(fmt::format("'{}' is not JSON", opts.file));
  if (!tests.is_array()) throw std::runtime_error(fmt::format("'{}' is not a JSON array of tests", opts.file));
  Runner runner(opts);
  VectorSummary s;
  for (size_t k = 0; k < tests.size(); ++k) {
    const std::string line = runner.run(k, tests[k]);
    if (line.empty()) {
      ++s.passed;
    } else {
      ++s.failed;
      on_failure(line);
    }
  }
  return s;
}

}  // namespace ring1
