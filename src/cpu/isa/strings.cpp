#include "cpu/isa/isa_table.h"

namespace ring1 {

void register_strings(IsaTable&) {}

}  // namespace ring1
