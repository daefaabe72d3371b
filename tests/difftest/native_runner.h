// Runs a sequence on the host CPU (see native_runner.cpp).
#pragma once
#include "difftest.h"

namespace difftest {

class NativeRunner {
 public:
  NativeRunner();  // maps the buffer at kBufAddr and an executable code page; throws on failure
  ~NativeRunner();
  NativeRunner(const NativeRunner&) = delete;
  NativeRunner& operator=(const NativeRunner&) = delete;

  Outcome run(const Sequence& s);
  static bool host_has_lahf_sahf();  // CPUID 8000_0001h:ECX bit 0 (LAHF/SAHF in 64-bit mode)

 private:
  u8* buf_ = nullptr;
  u8* code_ = nullptr;
};

}  // namespace difftest
