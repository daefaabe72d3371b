// The hypercall table: number -> name, handler and argument shape, expanded from hypercalls.def (the one place
// hypercalls are listed). Numbers without a row, and rows marked NOT_MODELLED, answer -ENOSYS, as Xen does
// for a hypercall it does not implement.
#include <array>

#include "hypervisor/hypercalls/hypercalls.h"

namespace ring1::hv {

namespace {

constexpr std::array<HypercallInfo, kHypercallNumbers> build_table() {
  std::array<HypercallInfo, kHypercallNumbers> t{};
#define HYPERCALL(k, nr, name, handler, count, args) t[nr] = {#name, &handler, count, args};
#define NOT_MODELLED(k, nr, name, args) t[nr] = {#name, nullptr, 0, args};
#include "hypervisor/hypercalls/hypercalls.def"
#undef HYPERCALL
#undef NOT_MODELLED
  return t;
}

constexpr std::array<HypercallInfo, kHypercallNumbers> kTable = build_table();
constexpr HypercallInfo kUnknown{};

}  // namespace

const HypercallInfo& hypercall_info(u32 nr) { return nr < kTable.size() ? kTable[nr] : kUnknown; }

}  // namespace ring1::hv
