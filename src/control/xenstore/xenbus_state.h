// The XenbusState handshake (xen/io/xenbus.h) as each end of a split device sees it: its own "state" node
// and the other end's, decimal numbers in the store. The back end goes Initialising -> InitWait; the front
// end, once it has published its rings, Initialised (or Connected); the back end then Connected; either
// side closes through Closing -> Closed.
#pragma once
#include <string>

#include "control/xenstore/client.h"

namespace ring1::xs {

enum class XenbusState : u32 {
  Unknown = 0,
  Initialising = 1,
  InitWait = 2,
  Initialised = 3,
  Connected = 4,
  Closing = 5,
  Closed = 6,
  Reconfiguring = 7,
  Reconfigured = 8,
};

// The state at `dir`/state; Unknown if it is missing or not a number (as the Linux drivers read it).
XenbusState read_state(Client& c, const std::string& dir);
// Writes `dir`/state unless it already holds `s` (xenbus_switch_state). Returns 0 or an errno value.
int switch_state(Client& c, const std::string& dir, XenbusState s);

}  // namespace ring1::xs
