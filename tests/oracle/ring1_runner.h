// The machine under test: ring1's TestMachine (a bare CPU on 16 MiB of RAM, flat 32-bit protected mode,
// CS=0x08, data selectors 0x10), reused for every sequence. Before each run the CPU is reset to the flat
// state, the registers, EFLAGS and windows are set from the same initial state Unicorn gets, the code page
// is filled with HLT and the code loaded at TestMachine::kCode; the run stops at the end of the code or at
// an exception (ring1 has no IDT delivery yet: the run loop ends with the fault's vector and EIP).
#pragma once
#include <memory>

#include "oracle/layout.h"

namespace ring1::oracle {

class Ring1Runner {
 public:
  Ring1Runner();
  // Fills `res` (its memory buffer is reused from run to run).
  void run(const InitialState& init, const std::vector<u8>& code, const std::vector<u8>& memory,
           RunResult& res);

 private:
  std::unique_ptr<Tm> m_;
};

}  // namespace ring1::oracle
