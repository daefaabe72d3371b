// Runs a sequence on ring1 (see ring1_runner.cpp).
#pragma once
#include <memory>

#include "stepwise.h"

namespace difftest {

class Ring1Runner {
 public:
  Ring1Runner();
  ~Ring1Runner();
  Ring1Runner(const Ring1Runner&) = delete;
  Ring1Runner& operator=(const Ring1Runner&) = delete;

  Outcome run(const Sequence& s);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace difftest
