#include "cpu/isa/isa_table.h"

namespace ring1 {

void register_shift_rotate(IsaTable&) {}

}  // namespace ring1
