// The reference machine: Unicorn (QEMU's TCG) in UC_MODE_32, set up like ring1's TestMachine. The same
// windows are mapped (the code page read+execute only), a flat GDT lets CS=0x08 and DS/ES/SS/FS/GS=0x10
// be loaded exactly as ring1 has them (Unicorn refuses selector writes in protected mode without one), and
// an interrupt hook turns an exception or trap into "stopped with vector V at EIP", which is how ring1's
// run loop reports one too. One engine is reused for every sequence; its translation cache for the code
// page is dropped before each run.
#pragma once
#include <unicorn/unicorn.h>

#include "oracle/layout.h"

namespace ring1::oracle {

class UnicornRunner {
 public:
  UnicornRunner();
  ~UnicornRunner();
  UnicornRunner(const UnicornRunner&) = delete;
  UnicornRunner& operator=(const UnicornRunner&) = delete;

  // Fills `res` (its memory buffer is reused from run to run).
  void run(const InitialState& init, const std::vector<u8>& code, const std::vector<u8>& memory,
           RunResult& res);
  // True when the run touched unmapped or write-protected memory: the sequence is discarded, not compared.
  static bool is_discard(const RunResult& r) { return r.end == EndKind::Error; }

 private:
  static void on_interrupt(uc_engine* uc, u32 intno, void* self);
  void open();
  uc_engine* uc_ = nullptr;
  bool reopen_ = false;  // the last run ended in an exception: start the next on a fresh engine
  uc_hook hook_{};
  bool interrupted_ = false;
  u8 vector_ = 0;
  u32 intr_eip_ = 0;
};

}  // namespace ring1::oracle
