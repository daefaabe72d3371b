// Names of the exception vectors, for reports, traces and the debugger (SDM vol. 3, table 6-1).
#include "common/fault.h"

#include <iterator>

namespace ring1 {

std::string_view vector_name(u8 v) {
  static constexpr std::string_view names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                               "#DF", "(9)", "#TS", "#NP", "#SS", "#GP", "#PF", "(15)",
                                               "#MF", "#AC", "#MC", "#XM"};
  return v < std::size(names) ? names[v] : "INT n";
}

}  // namespace ring1
