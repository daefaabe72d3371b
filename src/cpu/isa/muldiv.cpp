#include "cpu/isa/isa_table.h"

namespace ring1 {

void register_muldiv(IsaTable&) {}

}  // namespace ring1
