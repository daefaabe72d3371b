// The instruction set, described once: a builder per mnemonic, registered by the family that implements it.
// The decoder looks the mnemonic up here; nothing else knows which handler executes what.
#pragma once
#include <array>

#include "cpu/isa/build.h"

namespace ring1 {

class IsaTable {
 public:
  static const IsaTable& instance();

  void add(Mnemonic m, Builder b, bool ends_block = false) {
    auto k = static_cast<size_t>(m);
    builders_[k] = b;
    ends_block_[k] = ends_block;
  }
  Builder builder(Mnemonic m) const { return builders_[static_cast<size_t>(m)]; }
  bool ends_block(Mnemonic m) const { return ends_block_[static_cast<size_t>(m)]; }

 private:
  IsaTable();
  std::array<Builder, static_cast<size_t>(Mnemonic::Count)> builders_{};
  std::array<bool, static_cast<size_t>(Mnemonic::Count)> ends_block_{};
};

// One registration function per instruction family (cpu/isa/<family>.cpp).
void register_alu(IsaTable&);
void register_data_move(IsaTable&);
void register_control(IsaTable&);
void register_muldiv(IsaTable&);
void register_bcd(IsaTable&);
void register_shift_rotate(IsaTable&);
void register_bit_ops(IsaTable&);
void register_strings(IsaTable&);
void register_stack_frame(IsaTable&);
void register_atomic(IsaTable&);
void register_misc(IsaTable&);
void register_control_registers(IsaTable&);
void register_io(IsaTable&);
void register_system_misc(IsaTable&);
void register_segmentation(IsaTable&);
void register_interrupt_control(IsaTable&);
void register_fast_system_call(IsaTable&);
void register_fpu_absent(IsaTable&);

}  // namespace ring1
