#include "cpu/isa/isa_table.h"

namespace ring1 {

void register_stack_frame(IsaTable&) {}

}  // namespace ring1
