#include "cpu/isa/isa_table.h"

namespace ring1 {

void register_bcd(IsaTable&) {}

}  // namespace ring1
