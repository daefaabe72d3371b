// The xenstore wire protocol (xen/io/xs_wire.h): every message is a struct xsd_sockmsg header (type,
// req_id, tx_id, len) and len payload bytes, at most XENSTORE_PAYLOAD_MAX. Requests carry NUL-terminated
// strings; a reply echoes the request's type, req_id and tx_id, and an error reply is an XS_ERROR message
// whose payload is the errno's name from xs_wire.h's xsd_errors table ("ENOENT\0"). Success without data
// is "OK\0". Watch events are XS_WATCH_EVENT messages with req_id and tx_id 0.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.h"

namespace ring1::xs {

// enum xsd_sockmsg_type (checked against xs_wire.h in wire_protocol.cpp).
enum class MsgType : u32 {
  Control = 0,
  Directory = 1,
  Read = 2,
  GetPerms = 3,
  Watch = 4,
  Unwatch = 5,
  TransactionStart = 6,
  TransactionEnd = 7,
  Introduce = 8,
  Release = 9,
  GetDomainPath = 10,
  Write = 11,
  Mkdir = 12,
  Rm = 13,
  SetPerms = 14,
  WatchEvent = 15,
  Error = 16,
  IsDomainIntroduced = 17,
  Resume = 18,
  SetTarget = 19,
  ResetWatches = 21,
  DirectoryPart = 22,
};
inline constexpr u32 kMsgTypes = 23;  // XS_TYPE_COUNT
inline constexpr u32 kHeaderBytes = 16;
inline constexpr u32 kPayloadMax = 4096;  // XENSTORE_PAYLOAD_MAX

struct Message {
  u32 type = 0;
  u32 req_id = 0;
  u32 tx_id = 0;
  std::string payload;
};

// The message's name as xenstored logs it ("READ", "WATCH_EVENT"); "unknown" past the table.
std::string_view msg_type_name(u32 type);
// xs_wire.h's name for an errno value ("EACCES"); "EINVAL" for one it does not list, as xenstored's
// send_error falls back to.
std::string_view error_name(int err);
// The errno value of an error name, or 0 if it is not one of xsd_errors.
int error_from_name(std::string_view name);
// xsd_errors has this many entries; error_slot is an errno value's position there (kErrorCount if none).
inline constexpr std::size_t kErrorCount = 16;
std::size_t error_slot(int err);

// Header and payload, as they go on the ring.
std::string encode(const Message& m);
Message error_reply(const Message& request, int err);
Message reply(const Message& request, std::string payload);
Message ok_reply(const Message& request);  // "OK\0"

// The NUL-terminated strings of a payload, in order; a trailing piece without a NUL is not returned.
std::vector<std::string_view> split_strings(std::string_view payload);
// The payload if it is exactly one NUL-terminated string (xenstored's onearg), else empty with ok false.
bool one_arg(std::string_view payload, std::string_view& out);

}  // namespace ring1::xs
