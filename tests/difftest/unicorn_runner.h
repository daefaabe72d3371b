// Runs a sequence on Unicorn instead of ring1 (see unicorn_runner.cpp).
#pragma once
#include <memory>

#include "stepwise.h"

namespace difftest {

class UnicornRunner {
 public:
  UnicornRunner();
  ~UnicornRunner();
  UnicornRunner(const UnicornRunner&) = delete;
  UnicornRunner& operator=(const UnicornRunner&) = delete;

  Outcome run(const Sequence& s);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace difftest
