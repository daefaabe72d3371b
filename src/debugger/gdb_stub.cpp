// The stub's packets (see gdb_stub.h). Addresses in memory and breakpoint packets are linear (EIP for
// breakpoints: ring1's guests run with CS base 0 where it matters), or physical after `monitor phys on`.
#include "debugger/gdb_stub.h"

#include <algorithm>

#include <fmt/format.h>

#include "debugger/elf_symbol_file.h"
#include "mmu/guest_memory.h"
#include "debugger/rsp_packet.h"
#include "debugger/target_description.h"
#include "debugger/tracer.h"
#include "hypervisor/hv_symbols.h"
#include "hypervisor/hypervisor.h"
#include "machine/machine.h"

namespace ring1 {

namespace {

// A ring-break stop is reported as signal 7, SIGEMT in the remote protocol's numbering (include/gdb/signals.def:
// "Emulation trap"). gdb prints "Program received signal SIGEMT, Emulation trap." for it, where a SIGTRAP stop
// looks like the end of any step; and gdb 13 has no stop reason meaning "privilege change" (`syscall_entry`,
// `library`, `fork` and the like make it resume unless a catchpoint asks for them). Resuming, gdb asks to
// pass the signal on (`C07`); a bare machine has nowhere to deliver it, so it is dropped like any other.
constexpr int kRingBreakSignal = 7;

constexpr std::string_view kError = "E01";      // malformed request
constexpr std::string_view kFault = "E0e";      // memory not mapped (EFAULT, 14)
constexpr std::string_view kBadReg = "E45";     // no such register or not writable

// "ADDR,LEN" (and the rest after `sep`, if any).
struct AddrLen {
  u64 addr = 0, len = 0;
  std::string_view rest;
};
std::optional<AddrLen> parse_addr_len(std::string_view s, char sep = '\0') {
  const size_t comma = s.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  size_t end = sep ? s.find(sep, comma + 1) : s.size();
  if (end == std::string_view::npos) return std::nullopt;
  auto a = parse_hex(s.substr(0, comma));
  auto l = parse_hex(s.substr(comma + 1, end - comma - 1));
  if (!a || !l || *a > 0xFFFFFFFFull) return std::nullopt;
  AddrLen r{*a, *l, sep ? s.substr(end + 1) : std::string_view{}};
  return r;
}

// An `O` packet: console output GDB prints as it comes. (Built by appending: GCC 12 warns falsely about
// `"O" + std::string`, -Wrestrict.)
std::string console(std::string_view text) {
  std::string p = "O";
  p += to_hex(text);
  return p;
}
std::string prefixed(char c, std::string_view rest) {
  std::string p(1, c);
  p += rest;
  return p;
}

void hook_data_access(void* self, u32 lin, u32 size, bool write) {
  static_cast<GdbStub*>(self)->on_data_access(lin, size, write);
}

}  // namespace

GdbStub::GdbStub(Machine& m, const hv::Hypervisor* hypervisor) : m_(m), hypervisor_(hypervisor) {
  if (hypervisor_) {
    const auto regions = hv::hypervisor_regions();
    hv_symbols_ = elf_symbol_file(regions, hv::hypervisor_symbols(hypervisor_->space()));
  }
}

namespace {
// A partial read of `doc` for a qXfer request ("OFFSET,LENGTH"): `m` and data while more follows, `l` at the end.
std::string xfer_part(std::string_view doc, std::string_view range, u32 max) {
  auto al = parse_addr_len(range);
  if (!al) return std::string(kError);
  if (al->addr >= doc.size()) return "l";
  const u64 n = std::min<u64>(al->len, std::min<u64>(doc.size() - al->addr, max));
  const bool last = al->addr + n >= doc.size();
  return prefixed(last ? 'l' : 'm', doc.substr(al->addr, n));
}
}  // namespace

GdbStub::~GdbStub() { m_.mmu().set_data_watch({}, {}); }

std::string GdbStub::stop_packet() const {
  if (exited_) return fmt::format("W{:02x}", exit_status_ & 0xFF);
  switch (last_stop_) {
    case StopKind::Interrupt: return "T02thread:1;";
    case StopKind::RingBreak: return fmt::format("T{:02x}thread:1;", kRingBreakSignal);
    case StopKind::Watch: {
      const char* name = watch_hit_ && watch_hit_->type == 2 ? "watch" : watch_hit_ && watch_hit_->type == 3 ? "rwatch"
                                                                                                             : "awatch";
      return fmt::format("T05{}:{:x};thread:1;", name, watch_hit_addr_);
    }
    case StopKind::Breakpoint: {
      auto it = bp_refs_.find(m_.cpu().eip);
      if (it != bp_refs_.end()) return it->second.first ? "T05swbreak:;thread:1;" : "T05hwbreak:;thread:1;";
      return "T05thread:1;";
    }
    default: return "T05thread:1;";
  }
}

std::vector<std::string> GdbStub::stopped(StopKind kind) {
  last_stop_ = kind;
  std::vector<std::string> out;
  if (kind == StopKind::RingBreak && ring_hit_) {
    const RingTransition& t = *ring_hit_;
    out.push_back(console(fmt::format("ring-break: ring {} -> ring {} by {} at {:04x}:{:08x} -> {:04x}:{:08x}\n",
                                           t.from_cpl, t.to_cpl, ring_hit_cause_,
                                           t.from_cs, t.from_eip, t.to_cs, t.to_eip)));
    // A field GDB ignores (unknown names are skipped) but scripts reading the packet log can use.
    out.push_back(fmt::format("T{:02x}ring1-cause:{};thread:1;", kRingBreakSignal, to_hex(ring_hit_cause_)));
    return out;
  }
  out.push_back(stop_packet());
  return out;
}

std::vector<std::string> GdbStub::exited(int status, std::string_view why) {
  exited_ = true;
  exit_status_ = status;
  return {console(fmt::format("ring1: the guest stopped: {}\n", why)), stop_packet()};
}

bool GdbStub::on_ring_transition(const RingTransition& t) {
  if (!monitor_.ring_break || ring_hit_) return false;
  ring_hit_ = t;
  ring_hit_cause_ = transition_cause_text(t, hypervisor_ != nullptr, m_.cpu().gpr[EAX]);
  return true;
}

bool GdbStub::on_data_access(u32 lin, u32 size, bool write) {
  if (watch_hit_) return false;
  for (const Watchpoint& w : watchpoints_) {
    const bool kind_ok = w.type == 4 || (w.type == 2 && write) || (w.type == 3 && !write);
    const u64 lo = std::max<u64>(lin, w.addr), hi = std::min<u64>(u64(lin) + size, u64(w.addr) + w.len);
    if (kind_ok && lo < hi) {
      watch_hit_ = w;
      watch_hit_addr_ = w.addr;
      m_.cpu().request_stop(StopReason::Breakpoint);
      return true;
    }
  }
  return false;
}

void GdbStub::resuming() {
  watch_hit_.reset();
  ring_hit_.reset();
}

void GdbStub::forget_client() {
  bp_refs_.clear();
  run_breakpoints_.clear();
  watchpoints_.clear();
  install_watch();
  monitor_ = MonitorState{};
  no_ack_ = false;
  hv_symbols_open_ = false;
  resuming();
}

void GdbStub::rebuild_breakpoints() {
  run_breakpoints_.clear();
  for (const auto& [eip, refs] : bp_refs_) run_breakpoints_.add(eip);
}

void GdbStub::install_watch() {
  std::vector<u32> pages;
  for (const Watchpoint& w : watchpoints_)
    for (u64 p = w.addr >> kPageShift; p <= (u64(w.addr) + w.len - 1) >> kPageShift; ++p) pages.push_back(u32(p));
  m_.mmu().set_data_watch(DataWatch{&hook_data_access, this}, std::move(pages));
}

std::string GdbStub::read_registers() const {
  std::string out;
  for (const RegisterInfo& r : target_registers()) out += read_register_hex(m_.cpu(), r);
  return out;
}

std::string GdbStub::write_registers(std::string_view hex) {
  // Every register must be there; the x87 slots are skipped whatever they hold (not modelled).
  size_t pos = 0;
  std::vector<std::pair<const RegisterInfo*, std::string>> values;
  for (const RegisterInfo& r : target_registers()) {
    const size_t n = r.bytes * 2u;
    if (pos + n > hex.size()) return std::string(kError);
    if (r.kind != RegKind::X87) {
      auto bytes = from_hex(hex.substr(pos, n));
      if (!bytes) return std::string(kError);
      values.emplace_back(&r, std::move(*bytes));
    }
    pos += n;
  }
  if (pos != hex.size()) return std::string(kError);
  // Check the read-only ones first, so a refused G changes nothing.
  Cpu& c = m_.cpu();
  for (const auto& [r, v] : values) {
    if (r->kind == RegKind::Seg || r->kind == RegKind::Tr || r->kind == RegKind::Ldtr || r->kind == RegKind::Cpl) {
      std::string cur = *from_hex(read_register_hex(c, *r));
      if (cur != v) return std::string(kBadReg);
    }
  }
  for (const auto& [r, v] : values)
    if (!ring1::write_register(c, *r, v)) return std::string(kBadReg);
  return "OK";
}

std::string GdbStub::read_register(std::string_view arg) const {
  auto n = parse_hex(arg);
  const auto regs = target_registers();
  if (!n) return std::string(kError);
  if (*n >= regs.size()) return std::string(kBadReg);
  return read_register_hex(m_.cpu(), regs[*n]);
}

std::string GdbStub::write_register(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos) return std::string(kError);
  auto n = parse_hex(arg.substr(0, eq));
  auto bytes = from_hex(arg.substr(eq + 1));
  const auto regs = target_registers();
  if (!n || !bytes) return std::string(kError);
  if (*n >= regs.size()) return std::string(kBadReg);
  return ring1::write_register(m_.cpu(), regs[*n], *bytes) ? "OK" : std::string(kBadReg);
}

std::string GdbStub::read_memory(std::string_view arg) const {
  auto al = parse_addr_len(arg);
  if (!al) return std::string(kError);
  const u32 len = static_cast<u32>(std::min<u64>(al->len, kPacketSize / 2 - 8));
  if (len == 0) return "";
  std::vector<u8> buf(len);
  const u32 n = debug_read(m_.mmu(), static_cast<u32>(al->addr), len, buf.data(), monitor_.physical);
  if (n == 0) return std::string(kFault);
  return to_hex(buf.data(), n);
}

std::string GdbStub::write_memory(std::string_view arg, bool binary) {
  auto al = parse_addr_len(arg, ':');
  if (!al) return std::string(kError);
  std::string data;
  if (binary) {
    data = std::string(al->rest);
  } else {
    auto d = from_hex(al->rest);
    if (!d) return std::string(kError);
    data = std::move(*d);
  }
  if (data.size() != al->len) return std::string(kError);
  if (data.empty()) return "OK";  // GDB probes for X support with a zero-length write
  const u32 n = debug_write(m_.mmu(), static_cast<u32>(al->addr), reinterpret_cast<const u8*>(data.data()),
                            static_cast<u32>(data.size()), monitor_.physical);
  return n == data.size() ? "OK" : std::string(kFault);
}

std::string GdbStub::breakpoint(std::string_view arg, bool insert) {
  // type,addr,kind
  const size_t c1 = arg.find(',');
  if (c1 == std::string_view::npos) return std::string(kError);
  auto type = parse_hex(arg.substr(0, c1));
  auto al = parse_addr_len(arg.substr(c1 + 1));
  if (!type) return std::string(kError);
  if (*type > 4) return "";  // not a type ring1 knows: unsupported
  // Conditions and commands after ';' (target-side breakpoint conditions) are not offered in qSupported.
  if (!al) return std::string(kError);
  const u32 addr = static_cast<u32>(al->addr);
  if (*type <= 1) {
    auto& refs = bp_refs_[addr];
    u32& count = *type == 0 ? refs.first : refs.second;
    if (insert) ++count;
    else if (count) --count;
    if (refs.first == 0 && refs.second == 0) bp_refs_.erase(addr);
    rebuild_breakpoints();
    return "OK";
  }
  if (al->len == 0 || al->len > 0x10000 || al->addr + al->len > 0x100000000ull) return std::string(kError);
  const Watchpoint w{addr, static_cast<u32>(al->len), static_cast<u8>(*type)};
  if (insert) {
    watchpoints_.push_back(w);
  } else {
    auto it = std::find_if(watchpoints_.begin(), watchpoints_.end(),
                           [&](const Watchpoint& x) { return x.addr == w.addr && x.len == w.len && x.type == w.type; });
    if (it != watchpoints_.end()) watchpoints_.erase(it);
  }
  install_watch();
  return "OK";
}

// Host I/O (GDB manual, "Host I/O Packets"), read-only and for one file: the hypervisor's symbol file. Any
// other name is ENOENT, so gdb looks for nothing else on the target. Numbers are hex; errors are
// `F-1,errno` with the protocol's errno values (ENOENT 2, EBADF 9, EACCES 13, EINVAL 22).
std::string GdbStub::file_io(std::string_view p) {
  constexpr u64 kFd = 1;
  auto args = [](std::string_view a) {
    std::vector<std::string_view> out;
    for (size_t at = 0;;) {
      const size_t comma = a.find(',', at);
      out.push_back(a.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at));
      if (comma == std::string_view::npos) return out;
      at = comma + 1;
    }
  };
  if (p.starts_with("open:")) {
    const auto a = args(p.substr(5));
    if (a.size() != 3) return "F-1,16";
    const auto name = from_hex(a[0]);
    const auto flags = parse_hex(a[1]);
    if (!name || !flags) return "F-1,16";
    if (*name != kHvSymbolsPath) return "F-1,2";
    if (*flags & 3) return "F-1,d";  // O_WRONLY or O_RDWR: the file is read-only
    hv_symbols_open_ = true;
    return fmt::format("F{:x}", kFd);
  }
  if (p.starts_with("close:")) {
    if (parse_hex(p.substr(6)) != kFd || !hv_symbols_open_) return "F-1,9";
    hv_symbols_open_ = false;
    return "F0";
  }
  if (p.starts_with("pread:")) {
    const auto a = args(p.substr(6));
    if (a.size() != 3) return "F-1,16";
    const auto fd = parse_hex(a[0]), count = parse_hex(a[1]), offset = parse_hex(a[2]);
    if (!fd || !count || !offset) return "F-1,16";
    if (*fd != kFd || !hv_symbols_open_) return "F-1,9";
    if (*offset >= hv_symbols_.size()) return "F0;";
    // At most half a packet: the framing may escape every byte into two.
    const u64 n = std::min<u64>({*count, hv_symbols_.size() - *offset, kPacketSize / 2 - 16});
    std::string r = fmt::format("F{:x};", n);
    r += std::string_view(hv_symbols_).substr(*offset, n);
    return r;
  }
  if (p.starts_with("fstat:")) {
    if (parse_hex(p.substr(6)) != kFd || !hv_symbols_open_) return "F-1,9";
    // The protocol's struct stat: big-endian, 32-bit fields but for 64-bit size, blksize and blocks.
    std::string st;
    auto be = [&](u64 v, int bytes) {
      for (int i = bytes - 1; i >= 0; --i) st += static_cast<char>((v >> (8 * i)) & 0xFF);
    };
    be(0, 4);            // st_dev
    be(1, 4);            // st_ino
    be(0100444, 4);      // st_mode: a regular file, read-only
    be(1, 4);            // st_nlink
    be(0, 4);            // st_uid
    be(0, 4);            // st_gid
    be(0, 4);            // st_rdev
    be(hv_symbols_.size(), 8);  // st_size
    be(4096, 8);         // st_blksize
    be((hv_symbols_.size() + 511) / 512, 8);  // st_blocks
    be(0, 4);            // st_atime
    be(0, 4);            // st_mtime
    be(0, 4);            // st_ctime
    std::string r = fmt::format("F{:x};", st.size());
    r += st;
    return r;
  }
  return "";  // setfs, unlink, readlink: not supported
}

GdbStub::Reply GdbStub::query(std::string_view p) {
  Reply r;
  auto one = [&](std::string s) {
    r.packets.push_back(std::move(s));
    return r;
  };
  if (p.starts_with("qSupported"))
    return one(fmt::format("PacketSize={:x};qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+{}",
                           kPacketSize, hv_symbols_.empty() ? "" : ";qXfer:libraries:read+"));
  if (p.starts_with("qXfer:libraries:read::") && !hv_symbols_.empty()) {
    // One library, its segments at their own addresses (so gdb relocates nothing): the GDB manual's
    // "Library List Format", segment form (one address per PT_LOAD, in order). gdb 13 takes the section
    // form's addresses as offsets from 0, which would put every symbol 0xfc000000 too high.
    std::string doc = fmt::format("<library-list>\n  <library name=\"{}\">\n", kHvSymbolsPath);
    for (const hv::HvRegion& r : hv::hypervisor_regions()) doc += fmt::format("    <segment address=\"{:#x}\"/>\n", r.start);
    doc += "  </library>\n</library-list>\n";
    return one(xfer_part(doc, p.substr(22), kPacketSize / 2));
  }
  if (p == "QStartNoAckMode") {
    no_ack_ = true;  // from the next packet on (the server acknowledges this one)
    return one("OK");
  }
  if (p.starts_with("qXfer:features:read:")) {
    std::string_view rest = p.substr(20);
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return one(std::string(kError));
    auto doc = target_xml(rest.substr(0, colon), m_.cpu());
    if (!parse_addr_len(rest.substr(colon + 1))) return one(std::string(kError));
    if (!doc) return one("E00");
    return one(xfer_part(*doc, rest.substr(colon + 1), kPacketSize / 2));
  }
  if (p == "qAttached" || p.starts_with("qAttached:")) return one("1");  // an existing machine: detach on quit
  if (p == "qC") return one("QC1");
  if (p == "qfThreadInfo") return one("m1");
  if (p == "qsThreadInfo") return one("l");
  if (p.starts_with("qThreadExtraInfo")) return one(to_hex(fmt::format("CPU, ring {}", m_.cpu().cpl)));
  if (p.starts_with("qSymbol")) return one("OK");
  if (p.starts_with("qRcmd,")) {
    auto cmd = from_hex(p.substr(6));
    if (!cmd) return one(std::string(kError));
    MonitorReply mr = monitor_command(m_, monitor_, *cmd, hypervisor_);
    // Long output in several console packets, each well within the packet size.
    for (size_t at = 0; at < mr.text.size(); at += kPacketSize / 4)
      r.packets.push_back(console(std::string_view(mr.text).substr(at, kPacketSize / 4)));
    r.packets.push_back(mr.ok ? "OK" : std::string(kError));
    return r;
  }
  return one("");
}

GdbStub::Reply GdbStub::resume(std::string_view p) {
  // c [addr], s [addr], C sig[;addr], S sig[;addr]. A signal has no meaning for a bare machine: it is
  // accepted and not delivered, as QEMU's system-mode stub does.
  Reply r;
  const char op = p[0];
  std::string_view addr = p.substr(1);
  if (op == 'C' || op == 'S') {
    const size_t semi = addr.find(';');
    if (!parse_hex(addr.substr(0, semi))) {
      r.packets.push_back(std::string(kError));
      return r;
    }
    addr = semi == std::string_view::npos ? std::string_view{} : addr.substr(semi + 1);
  }
  if (!addr.empty()) {
    auto a = parse_hex(addr);
    if (!a || *a > 0xFFFFFFFFull) {
      r.packets.push_back(std::string(kError));
      return r;
    }
    m_.cpu().eip = m_.cpu().next_eip = static_cast<u32>(*a);
  }
  r.action = (op == 's' || op == 'S') ? Action::Step : Action::Continue;
  return r;
}

GdbStub::Reply GdbStub::vcont(std::string_view p) {
  // vCont;ACTION[:thread];... The first action that applies to thread 1 (or to all) decides: ring1 has one.
  Reply r;
  std::string_view rest = p.substr(5);
  while (!rest.empty() && rest[0] == ';') {
    rest.remove_prefix(1);
    const size_t semi = rest.find(';');
    std::string_view action = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi);
    const size_t colon = action.find(':');
    std::string_view thread = colon == std::string_view::npos ? std::string_view{} : action.substr(colon + 1);
    action = action.substr(0, colon);
    if (!thread.empty() && thread != "1" && thread != "-1" && thread != "p1.1" && thread != "p1.-1") continue;
    if (action == "c" || (action.size() == 3 && action[0] == 'C' && parse_hex(action.substr(1)))) {
      r.action = Action::Continue;
      return r;
    }
    if (action == "s" || (action.size() == 3 && action[0] == 'S' && parse_hex(action.substr(1)))) {
      r.action = Action::Step;
      return r;
    }
    r.packets.push_back(std::string(kError));  // t, r: not offered by vCont?
    return r;
  }
  r.packets.push_back(std::string(kError));
  return r;
}

GdbStub::Reply GdbStub::handle(std::string_view p) {
  Reply r;
  auto one = [&](std::string s) {
    r.packets.push_back(std::move(s));
    return r;
  };
  if (p.empty()) return one("");
  switch (p[0]) {
    case '?': return one(stop_packet());
    case 'g': return one(p.size() == 1 ? read_registers() : std::string(kError));
    case 'G': return one(write_registers(p.substr(1)));
    case 'p': return one(read_register(p.substr(1)));
    case 'P': return one(write_register(p.substr(1)));
    case 'm': return one(read_memory(p.substr(1)));
    case 'M': return one(write_memory(p.substr(1), false));
    case 'X': return one(write_memory(p.substr(1), true));
    case 'Z': return one(breakpoint(p.substr(1), true));
    case 'z': return one(breakpoint(p.substr(1), false));
    case 'c':
    case 'C':
    case 's':
    case 'S': return resume(p);
    case 'H': return one("OK");  // one thread: any thread selection is thread 1
    case 'T': return one(p == "T1" || p == "Tp1.1" ? "OK" : std::string(kError));
    case 'k':
      r.action = Action::Kill;
      return r;
    case 'D':
      r.action = Action::Detach;
      return one("OK");
    case 'q':
    case 'Q': return query(p);
    case 'v':
      if (p == "vCont?") return one("vCont;c;C;s;S");
      if (p.starts_with("vCont;")) return vcont(p);
      if (p.starts_with("vKill")) {
        r.action = Action::Kill;
        return one("OK");
      }
      if (p.starts_with("vFile:") && !hv_symbols_.empty()) return one(file_io(p.substr(6)));
      return one("");  // vMustReplyEmpty and everything else: not supported
    default: return one("");
  }
}

}  // namespace ring1
