#include "cpu/isa/isa_table.h"

namespace ring1 {

void register_misc(IsaTable&) {}

}  // namespace ring1
