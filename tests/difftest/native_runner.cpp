// The native runner: executes a sequence's 64-bit encodings (32-bit operands, 0x67 32-bit addressing) on the
// host CPU. The data buffer is mapped at the fixed low address kBufAddr so 32-bit addresses reach it, and the
// code goes into a private RWX page followed by RET. native_entry.S loads the state, calls the code and
// stores the state back. A #DE (SIGFPE) from DIV/IDIV is caught with sigsetjmp/siglongjmp: the handler takes
// the registers and EFLAGS at the faulting instruction from the signal context and maps RIP back to an
// instruction index, which is what ring1 reports for the same fault. Other signals (which a correct
// generator never causes) are caught the same way and reported, so one bad sequence cannot kill the run.
#include "native_runner.h"

#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cstring>
#include <stdexcept>
#include <string>

extern "C" void difftest_native_call(difftest::State* st, void* code);

namespace difftest {

namespace {

constexpr size_t kCodeSize = 4096;

sigjmp_buf g_env;
volatile sig_atomic_t g_active = 0;
volatile int g_signo = 0;
u64 g_rip = 0;
State g_fault_state;

void on_signal(int signo, siginfo_t*, void* uctx) {
  if (!g_active) {
    signal(signo, SIG_DFL);
    raise(signo);
    return;
  }
  auto* uc = static_cast<ucontext_t*>(uctx);
  const greg_t* g = uc->uc_mcontext.gregs;
  g_signo = signo;
  g_rip = u64(g[REG_RIP]);
  g_fault_state.gpr[EAX] = u32(g[REG_RAX]);
  g_fault_state.gpr[ECX] = u32(g[REG_RCX]);
  g_fault_state.gpr[EDX] = u32(g[REG_RDX]);
  g_fault_state.gpr[EBX] = u32(g[REG_RBX]);
  g_fault_state.gpr[ESP] = 0;
  g_fault_state.gpr[EBP] = u32(g[REG_RBP]);
  g_fault_state.gpr[ESI] = u32(g[REG_RSI]);
  g_fault_state.gpr[EDI] = u32(g[REG_RDI]);
  g_fault_state.eflags = u32(g[REG_EFL]);
  g_active = 0;
  siglongjmp(g_env, 1);
}

}  // namespace

bool NativeRunner::host_has_lahf_sahf() {
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000001u, &a, &b, &c, &d)) return false;
  return c & 1u;
}

NativeRunner::NativeRunner() {
  void* b = mmap(reinterpret_cast<void*>(uintptr_t(kBufAddr)), kBufSize, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (b == MAP_FAILED || b != reinterpret_cast<void*>(uintptr_t(kBufAddr)))
    throw std::runtime_error("cannot map the data buffer at 0x100000: " + std::string(strerror(errno)));
  buf_ = static_cast<u8*>(b);
  void* c = mmap(nullptr, kCodeSize, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (c == MAP_FAILED) throw std::runtime_error("cannot map an executable code page: " + std::string(strerror(errno)));
  code_ = static_cast<u8*>(c);
  struct sigaction sa {};
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGFPE, SIGSEGV, SIGBUS, SIGILL, SIGTRAP}) sigaction(s, &sa, nullptr);
}

NativeRunner::~NativeRunner() {
  munmap(buf_, kBufSize);
  munmap(code_, kCodeSize);
}

Outcome NativeRunner::run(const Sequence& s) {
  Outcome o;
  std::vector<u32> offs;
  size_t at = 0;
  for (const GenInsn& g : s.insns) {
    offs.push_back(u32(at));
    std::memcpy(code_ + at, g.b64, g.len64);
    at += g.len64;
  }
  code_[at] = 0xC3;  // RET back into native_entry.S
  std::memcpy(buf_, s.buf.data(), kBufSize);

  static State st;  // static: must survive siglongjmp unchanged
  st = s.init;
  g_signo = 0;
  if (sigsetjmp(g_env, 1) == 0) {
    g_active = 1;
    difftest_native_call(&st, code_);
    g_active = 0;
    o.state = st;
  } else {
    o.state = g_fault_state;
    const u64 off = g_rip - reinterpret_cast<u64>(code_);
    for (size_t i = 0; i < offs.size(); ++i)
      if (offs[i] == off) o.fault_index = int(i);
    o.fault_vector = g_signo == SIGFPE ? 0 : 100 + g_signo;
    if (o.fault_index < 0) o.fault_vector = 100 + g_signo;  // not at an instruction boundary
  }
  o.state.gpr[ESP] = 0;
  o.buf.assign(buf_, buf_ + kBufSize);
  return o;
}

}  // namespace difftest
