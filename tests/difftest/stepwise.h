// Stepping an emulator through a sequence with the flags model (see stepwise.cpp).
#pragma once
#include <string>
#include <vector>

#include "difftest.h"

namespace difftest {

// One emulator, seen as a machine that can be loaded and stepped one instruction at a time.
class Engine {
 public:
  virtual ~Engine() = default;
  static constexpr u32 kCode = 0x1000;  // where the IA-32 code is loaded
  // Loads the code at kCode, the buffer at kBufAddr, and the initial registers and flags.
  virtual void load(const std::vector<u8>& code, const Sequence& s) = 0;
  virtual u32 eip() = 0;
  virtual State state() = 0;
  virtual const u8* buffer() = 0;  // kBufSize bytes of the emulated buffer
  // Executes one instruction: -1 if it retired, else the exception vector (200: the engine stopped
  // for another reason, explained in `why`). After a fault the state is the one before the instruction.
  virtual int step(std::string& why) = 0;
};

// Runs the sequence on the engine, consulting the flags model before each instruction (see stepwise.cpp).
Outcome run_stepwise(Engine& e, const Sequence& s);

}  // namespace difftest
