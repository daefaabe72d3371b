#include "cpu/isa/isa_table.h"

namespace ring1 {

IsaTable::IsaTable() {
  register_alu(*this);
  register_data_move(*this);
  register_control(*this);
  register_muldiv(*this);
  register_bcd(*this);
  register_shift_rotate(*this);
  register_bit_ops(*this);
  register_strings(*this);
  register_stack_frame(*this);
  register_atomic(*this);
  register_misc(*this);
  register_control_registers(*this);
  register_io(*this);
  register_system_misc(*this);
  register_segmentation(*this);
  register_interrupt_control(*this);
  register_fast_system_call(*this);
  register_fpu_absent(*this);
}

const IsaTable& IsaTable::instance() {
  static const IsaTable table;
  return table;
}

}  // namespace ring1
