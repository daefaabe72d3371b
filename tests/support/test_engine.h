// The execution tier of a test's whole Machine: the interpreter, or, under RING1_ENGINE=jit (the jit-labelled
// repeat of the unit suite in tests/CMakeLists.txt), the translation tier too, as TestMachine does. Tests built
// on a Machine (the hypervisor's, the debugger's, the measurement ports') then check that the tiers agree.
#pragma once
#include <cstdlib>
#include <cstring>

#include "machine/machine.h"

namespace ring1::test {

inline MachineConfig with_test_engine(MachineConfig c) {
  if (const char* e = std::getenv("RING1_ENGINE"); e && std::strcmp(e, "jit") == 0)
    c.engine = MachineConfig::Engine::Jit;
  return c;
}

}  // namespace ring1::test
