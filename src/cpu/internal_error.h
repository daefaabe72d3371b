// ring1's own invariant checks (DESIGN.md, "Failure channels"): a check that fails means a bug in ring1, not
// in the guest, so it stays in release builds (unlike assert) and throws InternalError. Nothing in a module
// catches it: the run loop turns it into StopReason::Ring1Bug with the guest's EIP, bytes and ring, and
// main() into exit status 118 when no guest is running yet.
#pragma once
#include <stdexcept>
#include <string>

namespace ring1 {

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] inline void internal_error(const std::string& what) { throw InternalError(what); }

// The release-build check: `what` names the invariant that failed.
inline void check_invariant(bool holds, const char* what) {
  if (!holds) [[unlikely]]
    internal_error(what);
}

}  // namespace ring1
