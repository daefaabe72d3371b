// The GDB stub's protocol logic: one packet from the client in, the reply packets and what to do next out.
// It owns the debugger's view of the machine while the guest is stopped (breakpoints, watchpoints, the
// monitor's settings, the last stop) and knows nothing of sockets: gdb_server.cpp carries the bytes and runs
// the guest. Packets follow the GDB manual's "Remote Protocol" appendix; anything malformed gets an `E`
// reply, anything unknown the empty reply that tells GDB it is not supported.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/observer.h"
#include "debugger/monitor.h"

namespace ring1 {

class Machine;
namespace hv {
class Hypervisor;
}

class GdbStub {
 public:
  static constexpr u32 kPacketSize = 0x4000;  // what qSupported offers; memory replies stay within it

  // `hypervisor`: a paravirtual run's, for `monitor hv` and `monitor stats`, and for the names of its stubs:
  // the stub lists one library, kHvSymbolsPath, at the hypervisor's addresses (qXfer:libraries:read), and
  // serves its file through vFile (Host I/O), so gdb 13 loads the names when it connects and shows
  // `hv_hypercall ()` where it would show `?? ()`. Null on a native run.
  static constexpr std::string_view kHvSymbolsPath = "/ring1/hypervisor-symbols.elf";
  explicit GdbStub(Machine& m, const hv::Hypervisor* hypervisor = nullptr);
  ~GdbStub();
  GdbStub(const GdbStub&) = delete;
  GdbStub& operator=(const GdbStub&) = delete;

  enum class Action : u8 { None, Continue, Step, Kill, Detach };
  struct Reply {
    std::vector<std::string> packets;  // payloads, in order (console output `O...` before the answer)
    Action action = Action::None;
  };
  // One packet, received while the guest is stopped.
  Reply handle(std::string_view packet);

  // ---- the run loop's side ----
  const BreakpointSet& breakpoints() const { return run_breakpoints_; }
  bool ring_break() const { return monitor_.ring_break; }
  bool no_ack() const { return no_ack_; }

  // Why the guest stopped, as the stub will report it (and answer `?` with until the next resume).
  enum class StopKind : u8 { Attach, Step, Breakpoint, Watch, RingBreak, Interrupt };
  // Records a stop and returns its packets (an `O` line naming the cause for a ring break, then `T..`).
  std::vector<std::string> stopped(StopKind kind);
  // The guest ended (halted, crashed, hit a limit): `O` with `why`, then `W<status>`.
  std::vector<std::string> exited(int status, std::string_view why);

  // Hooks while the guest runs under the debugger. Each returns true when the run should stop here.
  bool on_ring_transition(const RingTransition& t);
  bool on_data_access(u32 lin, u32 size, bool write);
  // After a run stopped: a watchpoint hit or ring break waiting to be reported? Sets `kind`.
  bool pending_stop(StopKind& kind) const {
    if (watch_hit_) kind = StopKind::Watch;
    else if (ring_hit_) kind = StopKind::RingBreak;
    else return false;
    return true;
  }
  // Called before a resume: forget what the last stop was about.
  void resuming();
  // The client went away (D, k or a closed connection): breakpoints, watchpoints and ring-break are
  // dropped so the guest runs on as if no debugger had been there.
  void forget_client();

 private:
  struct Watchpoint {
    u32 addr, len;
    u8 type;  // 2 write, 3 read, 4 access (the Z packet's numbers)
  };
  std::string stop_packet() const;
  std::string read_registers() const;
  std::string write_registers(std::string_view hex);
  std::string read_register(std::string_view arg) const;
  std::string write_register(std::string_view arg);
  std::string read_memory(std::string_view arg) const;
  std::string write_memory(std::string_view arg, bool binary);
  std::string breakpoint(std::string_view arg, bool insert);
  std::string file_io(std::string_view packet);
  Reply query(std::string_view packet);
  Reply resume(std::string_view packet);
  Reply vcont(std::string_view packet);
  void rebuild_breakpoints();
  void install_watch();

  Machine& m_;
  const hv::Hypervisor* hypervisor_;
  MonitorState monitor_;
  bool no_ack_ = false;
  std::map<u32, std::pair<u32, u32>> bp_refs_;  // EIP -> (software count, hardware count)
  BreakpointSet run_breakpoints_;
  std::vector<Watchpoint> watchpoints_;
  StopKind last_stop_ = StopKind::Attach;
  std::optional<Watchpoint> watch_hit_;
  u32 watch_hit_addr_ = 0;
  std::optional<RingTransition> ring_hit_;
  std::string ring_hit_cause_;  // named when it happened (a hypercall's number is EAX at the INT)
  // A PV run's symbol file for the hypervisor (elf_symbol_file.h), offered to gdb as a library and read
  // through vFile; empty on a native run.
  std::string hv_symbols_;
  bool hv_symbols_open_ = false;
  bool exited_ = false;
  int exit_status_ = 0;
};

}  // namespace ring1
