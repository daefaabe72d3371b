#include "cpu/isa/isa_table.h"

namespace ring1 {

void register_bit_ops(IsaTable&) {}

}  // namespace ring1
