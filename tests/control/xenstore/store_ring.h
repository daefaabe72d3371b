// A guest's side of a store ring for the daemon's tests: a page in a small RAM, requests pushed the way a
// guest's xenbus driver pushes them, replies and watch events read back.
#pragma once
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

#include <xen/io/xs_wire.h>

#include "control/xenstore/xenstored.h"

namespace ring1::xs::testing {

inline std::string arg(const std::string& s) { return s + '\0'; }

struct StoreRing {
  static constexpr u32 kPage = 0x5000;
  PhysicalMemory& ram;
  Xenstored& d;
  u32 domid;
  u32 page;
  u32 req_prod = 0, rsp_cons = 0;
  u32 notifications = 0;
  u32 next_req = 1;

  StoreRing(PhysicalMemory& r, Xenstored& daemon, u32 id, u32 page_ma = kPage, bool privileged = false)
      : ram(r), d(daemon), domid(id), page(page_ma) {
    if (privileged)
      d.introduce_privileged(id, page, RingNotify{&StoreRing::on_notify, this});
    else
      d.introduce(id, page, RingNotify{&StoreRing::on_notify, this});
  }
  static void on_notify(void* self) { ++static_cast<StoreRing*>(self)->notifications; }

  u32 field(std::size_t off) const {
    u32 v;
    ram.read_bytes(page + u32(off), &v, 4);
    return v;
  }
  void set_field(std::size_t off, u32 v) { ram.write_bytes(page + u32(off), &v, 4); }
  // Writes bytes into the request ring as a guest does: as far as there is room, kicking the store to make
  // more when it is full.
  void push(const std::string& bytes) {
    for (std::size_t i = 0; i < bytes.size();) {
      if (req_prod - field(offsetof(xenstore_domain_interface, req_cons)) == 1024) {
        d.kick(domid);
        if (req_prod - field(offsetof(xenstore_domain_interface, req_cons)) == 1024) return;  // it reads no more
        continue;
      }
      ram.write_bytes(page + offsetof(xenstore_domain_interface, req) + (req_prod++ & 1023), &bytes[i++], 1);
      set_field(offsetof(xenstore_domain_interface, req_prod), req_prod);
    }
  }
  // Writes one request and kicks the store; returns its req_id.
  u32 send(u32 type, const std::string& payload, u32 tx = 0) {
    const u32 id = next_req++;
    xsd_sockmsg h{type, id, tx, u32(payload.size())};
    push(std::string(reinterpret_cast<const char*>(&h), sizeof(h)) + payload);
    d.kick(domid);
    return id;
  }
  u32 available() const { return field(offsetof(xenstore_domain_interface, rsp_prod)) - rsp_cons; }
  // Reads one message (header and payload) off the response ring.
  Message receive() {
    auto byte = [&] {
      char c;
      ram.read_bytes(page + offsetof(xenstore_domain_interface, rsp) + (rsp_cons++ & 1023), &c, 1);
      return c;
    };
    xsd_sockmsg h;
    char* p = reinterpret_cast<char*>(&h);
    for (std::size_t i = 0; i < sizeof(h); ++i) p[i] = byte();
    Message m{h.type, h.req_id, h.tx_id, {}};
    for (u32 i = 0; i < h.len; ++i) m.payload.push_back(byte());
    set_field(offsetof(xenstore_domain_interface, rsp_cons), rsp_cons);
    return m;
  }
  // Sends a request and returns its reply (and nothing else must be pending before it).
  Message call(u32 type, const std::string& payload, u32 tx = 0) {
    send(type, payload, tx);
    return receive();
  }
};

}  // namespace ring1::xs::testing
