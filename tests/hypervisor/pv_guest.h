// Test support: a hand-built PV guest on a real Machine and Hypervisor, for tests that drive the entry
// path end to end with a few lines of guest assembly. The first 4 MB are identity-mapped (user, writable;
// 0x400000 and up stay unmapped), shared_info's vcpu_info[0] is at kSharedInfo, and the code at kCode starts
// in ring 1. No frame table validation stands behind these page tables (the domain builder's tests and the
// PV test kernels cover that): a test that needs frames owned by the domain assigns them itself.
#pragma once
#include <string>
#include <vector>

#include "hypervisor/hypervisor.h"
#include "machine/machine.h"
#include "support/test_engine.h"
#include "support/assembler.h"

namespace ring1::hv::test {

inline constexpr u32 kPd = 0x10000, kPt = 0x11000, kSharedInfo = 0x20000, kCode = 0x100000;
inline constexpr u32 kKernelStack = 0x90000, kUserStack = 0x80000;

struct PvGuest {
  Machine m{[] {
    MachineConfig c;
    c.memory_bytes = 16u << 20;
    return ring1::test::with_test_engine(c);
  }()};
  Hypervisor hv{m.cpu()};

  explicit PvGuest(const std::string& source) {
    constexpr u32 kP = 1, kRw = 2, kUser = 4;
    for (u32 i = 0; i < 1024; ++i) {
      const u32 pte = (i << 12) | kP | kRw | kUser;
      m.ram().write_bytes(kPt + i * 4, &pte, 4);
    }
    const u32 pde = kPt | kP | kRw | kUser;
    m.ram().write_bytes(kPd, &pde, 4);
    hv.space().fill_l2_slots(kPd);
    hv.attach_shared_info(kSharedInfo);  // vcpu_info[0] opens shared_info; events and time live there
    const std::vector<u8> code = ring1::test::assemble(source, ring1::test::Bits::b32, kCode);
    m.ram().write_bytes(kCode, code.data(), u32(code.size()));
    hv.enter_guest(kPd, kCode, kKernelStack, 0);
  }
  StopReason run(u64 max = 100000) {
    RunLimits lim;
    lim.max_instructions = max;
    return m.cpu().run(lim);
  }
  u32 word(u32 addr) {
    u32 v;
    m.ram().read_bytes(addr, &v, 4);
    return v;
  }
  std::string text(u32 addr, u32 max) {
    std::string s;
    for (u32 i = 0; i < max; ++i) {
      char c;
      m.ram().read_bytes(addr + i, &c, 1);
      if (!c) break;
      s.push_back(c);
    }
    return s;
  }
  // Gives machine frames [first, first + n) to the domain (as the domain builder would).
  void own_frames(u32 first, u32 n) {
    for (u32 f = first; f < first + n; ++f) hv.frames().assign(Mfn{f}, hv.domain().id);
  }
};

}  // namespace ring1::hv::test
