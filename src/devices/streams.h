// The byte streams and interrupt lines devices are wired with: plain function pointers and a context, so a
// device needs no header of whatever sits at the other end (stdout, a test's string, the PIC), and two
// machines in one process share nothing.
#pragma once
#include "common/types.h"

namespace ring1 {

// Where console bytes go (the UART's transmitter, the 0xE9 port).
struct ByteSink {
  void (*put)(void* ctx, u8 byte) = nullptr;
  void* ctx = nullptr;
  void operator()(u8 byte) const {
    if (put) put(ctx, byte);
  }
};

// Where received bytes come from (the UART's receiver). `get` returns the next byte, or -1 when none is
// available now; it must never block.
struct ByteSource {
  int (*get)(void* ctx) = nullptr;
  void* ctx = nullptr;
  int operator()() const { return get ? get(ctx) : -1; }
};

// One interrupt request line into an interrupt controller: `set(ctx, irq, level)`. Unconnected lines drop
// their level.
struct IrqLine {
  void (*set)(void* ctx, u8 irq, bool level) = nullptr;
  void* ctx = nullptr;
  u8 irq = 0;
  void operator()(bool level) const {
    if (set) set(ctx, irq, level);
  }
};

}  // namespace ring1
