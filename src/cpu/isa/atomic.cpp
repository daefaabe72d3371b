#include "cpu/isa/isa_table.h"

namespace ring1 {

void register_atomic(IsaTable&) {}

}  // namespace ring1
