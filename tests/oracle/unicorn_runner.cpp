// See unicorn_runner.h.
#include "oracle/unicorn_runner.h"

#include <stdexcept>

#include <fmt/format.h>

namespace ring1::oracle {

namespace {

constexpr int kGprIds[8] = {UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
                            UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI};

void check(uc_err e, const char* what) {
  if (e != UC_ERR_OK) throw std::runtime_error(fmt::format("unicorn: {}: {}", what, uc_strerror(e)));
}

}  // namespace

UnicornRunner::UnicornRunner() { open(); }

// A fresh engine. Also used after a run that ended in an exception: the interrupt hook stops emulation in
// the middle of QEMU's exception delivery, which leaves QEMU's "exception in progress" state behind, and the
// next contributory exception of a later run would then be reported as a double fault (vector 8).
void UnicornRunner::open() {
  if (uc_) uc_close(uc_);
  uc_ = nullptr;
  check(uc_open(UC_ARCH_X86, UC_MODE_32, &uc_), "uc_open");
  for (const Window& w : kWindows) check(uc_mem_map(uc_, w.base, w.size, UC_PROT_READ | UC_PROT_WRITE), "map");
  check(uc_mem_map(uc_, kCodePage, kCodeSize, UC_PROT_READ | UC_PROT_EXEC), "map code");
  // Flat GDT: null, 0x08 code (base 0, limit 4 GiB, D=1, DPL 0), 0x10 data (same, writable, B=1).
  check(uc_mem_map(uc_, kGdtBase, 0x1000, UC_PROT_READ | UC_PROT_WRITE), "map gdt");
  const u64 gdt[3] = {0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull};
  check(uc_mem_write(uc_, kGdtBase, gdt, sizeof gdt), "write gdt");
  uc_x86_mmr gdtr{0, kGdtBase, sizeof gdt - 1, 0};
  check(uc_reg_write(uc_, UC_X86_REG_GDTR, &gdtr), "GDTR");
  u32 cs = kCodeSel, ds = kDataSel;
  check(uc_reg_write(uc_, UC_X86_REG_CS, &cs), "CS");
  for (int r : {UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_SS, UC_X86_REG_FS, UC_X86_REG_GS})
    check(uc_reg_write(uc_, r, &ds), "data selector");
  check(uc_hook_add(uc_, &hook_, UC_HOOK_INTR, reinterpret_cast<void*>(&on_interrupt), this, 1, 0), "hook");
}

UnicornRunner::~UnicornRunner() {
  if (uc_) uc_close(uc_);
}

void UnicornRunner::on_interrupt(uc_engine* uc, u32 intno, void* self) {
  auto* me = static_cast<UnicornRunner*>(self);
  me->interrupted_ = true;
  me->vector_ = u8(intno);
  uc_reg_read(uc, UC_X86_REG_EIP, &me->intr_eip_);
  uc_emu_stop(uc);
}

void UnicornRunner::run(const InitialState& init, const std::vector<u8>& code, const std::vector<u8>& memory,
                        RunResult& res) {
  if (reopen_) {
    open();
    reopen_ = false;
  }
  size_t off = 0;
  for (const Window& w : kWindows) {
    check(uc_mem_write(uc_, w.base, memory.data() + off, w.size), "write window");
    off += w.size;
  }
  static const std::vector<u8> hlt(kCodeSize, 0xF4);  // HLT after the code
  check(uc_mem_write(uc_, kCodePage, hlt.data(), kCodeSize), "write code");
  check(uc_mem_write(uc_, kCodePage, code.data(), code.size()), "write code");
  uc_ctl_remove_cache(uc_, kCodePage, kCodePage + kCodeSize);
  for (int r = 0; r < 8; ++r) check(uc_reg_write(uc_, kGprIds[r], &init.gpr[r]), "gpr");
  u32 fl = init.eflags;
  check(uc_reg_write(uc_, UC_X86_REG_EFLAGS, &fl), "eflags");

  interrupted_ = false;
  uc_err e = uc_emu_start(uc_, kCodePage, kCodePage + u32(code.size()), 0, 0);

  res.error.clear();
  res.vector = 0;
  for (int r = 0; r < 8; ++r) uc_reg_read(uc_, kGprIds[r], &res.gpr[r]);
  uc_reg_read(uc_, UC_X86_REG_EIP, &res.eip);
  uc_reg_read(uc_, UC_X86_REG_EFLAGS, &res.eflags);
  if (interrupted_) {
    res.end = EndKind::Interrupt;
    res.vector = vector_;
    res.eip = intr_eip_;
    reopen_ = true;
  } else if (e == UC_ERR_INSN_INVALID) {
    res.end = EndKind::Interrupt;  // #UD, reported by Unicorn as an error rather than through the hook
    res.vector = 6;
    reopen_ = true;
  } else if (e != UC_ERR_OK) {
    res.end = EndKind::Error;
    res.error = uc_strerror(e);
    return;
  } else {
    res.end = EndKind::End;
  }
  res.memory.resize(memory.size());
  off = 0;
  for (const Window& w : kWindows) {
    check(uc_mem_read(uc_, w.base, res.memory.data() + off, w.size), "read window");
    off += w.size;
  }
}

}  // namespace ring1::oracle
