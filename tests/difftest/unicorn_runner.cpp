// The Unicorn runner (--against unicorn): the same stepping loop as ring1's, on Unicorn's IA-32 emulator.
// It exists to validate the generator, the flags model and the native runner for instruction families ring1
// does not implement yet, so a tester mistake is not later mistaken for a ring1 bug. Code and buffer are
// host arrays mapped into Unicorn with uc_mem_map_ptr; cached translations are dropped after each code load.
// An exception arrives through the interrupt hook, which records the vector and stops emulation.
#include "unicorn_runner.h"

#include <unicorn/unicorn.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace difftest {

struct UnicornRunner::Impl final : Engine {
  uc_engine* uc = nullptr;
  u8* code = nullptr;
  u8* buf = nullptr;
  int intno = -1;
  uc_hook hook{};

  Impl() {
    if (uc_open(UC_ARCH_X86, UC_MODE_32, &uc) != UC_ERR_OK) throw std::runtime_error("uc_open failed");
    code = static_cast<u8*>(std::aligned_alloc(4096, 4096));
    buf = static_cast<u8*>(std::aligned_alloc(4096, kBufSize));
    if (uc_mem_map_ptr(uc, kCode, 4096, UC_PROT_ALL, code) != UC_ERR_OK ||
        uc_mem_map_ptr(uc, kBufAddr, kBufSize, UC_PROT_READ | UC_PROT_WRITE, buf) != UC_ERR_OK)
      throw std::runtime_error("uc_mem_map_ptr failed");
    uc_hook_add(uc, &hook, UC_HOOK_INTR, reinterpret_cast<void*>(&on_intr), this, 1, 0);
  }
  ~Impl() override {
    uc_close(uc);
    std::free(code);
    std::free(buf);
  }
  static void on_intr(uc_engine* uc, u32 n, void* self) {
    static_cast<Impl*>(self)->intno = int(n);
    uc_emu_stop(uc);
  }
  void load(const std::vector<u8>& c, const Sequence& s) override {
    std::memset(code, 0xF4, 4096);
    std::memcpy(code, c.data(), c.size());
    uc_ctl_remove_cache(uc, kCode, kCode + 4096);
    std::memcpy(buf, s.buf.data(), kBufSize);
    static constexpr int regs[kRegs] = {UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
                                        UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI};
    for (int r = 0; r < kRegs; ++r) {
      u32 v = r == ESP ? 0x80000 : s.init.gpr[r];
      uc_reg_write(uc, regs[r], &v);
    }
    u32 fl = (s.init.eflags & kCompared) | 2, ip = kCode;
    uc_reg_write(uc, UC_X86_REG_EFLAGS, &fl);
    uc_reg_write(uc, UC_X86_REG_EIP, &ip);
  }
  u32 eip() override {
    u32 v = 0;
    uc_reg_read(uc, UC_X86_REG_EIP, &v);
    return v;
  }
  State state() override {
    static constexpr int regs[kRegs] = {UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
                                        UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI};
    State st{};
    for (int r = 0; r < kRegs; ++r) uc_reg_read(uc, regs[r], &st.gpr[r]);
    uc_reg_read(uc, UC_X86_REG_EFLAGS, &st.eflags);
    return st;
  }
  const u8* buffer() override { return buf; }
  int step(std::string& why) override {
    intno = -1;
    const u32 before = eip();
    bool rep = false;  // Unicorn steps a REP string one iteration at a time: finish it here
    for (u32 k = before - kCode; k < 4096 && (code[k] == 0x66 || code[k] == 0xF2 || code[k] == 0xF3); ++k)
      rep |= code[k] != 0x66;
    uc_err e = uc_emu_start(uc, before, 0xFFFFFFF0u, 0, 1);
    for (int guard = 0; rep && e == UC_ERR_OK && intno < 0 && eip() == before && guard < 100000; ++guard)
      e = uc_emu_start(uc, before, 0xFFFFFFF0u, 0, 1);
    // With no IDT, Unicorn reports a #DE as vector 0 or 8 (it cannot be delivered), or simply stays on
    // the instruction; all of them mean the instruction faulted.
    if (intno == 8) return 0;
    if (intno >= 0) return intno;
    if (e == UC_ERR_OK && eip() == before) return 0;
    if (e != UC_ERR_OK) {
      why = std::string("unicorn: ") + uc_strerror(e);
      return 200;
    }
    return -1;
  }
};

UnicornRunner::UnicornRunner() : impl_(std::make_unique<Impl>()) {}
UnicornRunner::~UnicornRunner() = default;

Outcome UnicornRunner::run(const Sequence& s) { return run_stepwise(*impl_, s); }

}  // namespace difftest
