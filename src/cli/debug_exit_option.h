// --debug-exit's value, as QEMU's `-device isa-debug-exit,iobase=PORT,iosize=N` spells it: the ports the PC's
// isa-debug-exit device answers on.
#pragma once
#include <string>

#include "common/types.h"

namespace ring1 {

// "iobase=0xf4,iosize=0x04" (either key may be left out; numbers in C notation). On success `base` and `size`
// hold the ports; false with the one-line message in `err` otherwise.
bool parse_debug_exit(const std::string& text, u16& base, u32& size, std::string& err);

}  // namespace ring1
