// Message framing, names and error strings (see the header). The error names come from Xen's own table,
// so they cannot drift from what real clients compare against.
#include "control/xenstore/wire_protocol.h"

#include <cerrno>
#include <cstring>

#include <xen/io/xs_wire.h>

namespace ring1::xs {

static_assert(u32(MsgType::Control) == XS_CONTROL && u32(MsgType::Directory) == XS_DIRECTORY &&
              u32(MsgType::Read) == XS_READ && u32(MsgType::GetPerms) == XS_GET_PERMS &&
              u32(MsgType::Watch) == XS_WATCH && u32(MsgType::Unwatch) == XS_UNWATCH &&
              u32(MsgType::TransactionStart) == XS_TRANSACTION_START &&
              u32(MsgType::TransactionEnd) == XS_TRANSACTION_END && u32(MsgType::Introduce) == XS_INTRODUCE &&
              u32(MsgType::Release) == XS_RELEASE && u32(MsgType::GetDomainPath) == XS_GET_DOMAIN_PATH &&
              u32(MsgType::Write) == XS_WRITE && u32(MsgType::Mkdir) == XS_MKDIR && u32(MsgType::Rm) == XS_RM &&
              u32(MsgType::SetPerms) == XS_SET_PERMS && u32(MsgType::WatchEvent) == XS_WATCH_EVENT &&
              u32(MsgType::Error) == XS_ERROR && u32(MsgType::IsDomainIntroduced) == XS_IS_DOMAIN_INTRODUCED &&
              u32(MsgType::Resume) == XS_RESUME && u32(MsgType::SetTarget) == XS_SET_TARGET &&
              u32(MsgType::ResetWatches) == XS_RESET_WATCHES &&
              u32(MsgType::DirectoryPart) == XS_DIRECTORY_PART && kMsgTypes == XS_TYPE_COUNT);
static_assert(sizeof(xsd_sockmsg) == kHeaderBytes && kPayloadMax == XENSTORE_PAYLOAD_MAX);
static_assert(sizeof(xsd_errors) / sizeof(xsd_errors[0]) == kErrorCount);

namespace {
constexpr std::string_view kNames[kMsgTypes] = {
    "CONTROL", "DIRECTORY", "READ",     "GET_PERMS",   "WATCH",      "UNWATCH",   "TRANSACTION_START",
    "TRANSACTION_END", "INTRODUCE", "RELEASE", "GET_DOMAIN_PATH", "WRITE", "MKDIR", "RM", "SET_PERMS",
    "WATCH_EVENT", "ERROR", "IS_DOMAIN_INTRODUCED", "RESUME", "SET_TARGET", "unknown", "RESET_WATCHES",
    "DIRECTORY_PART"};
}  // namespace

std::string_view msg_type_name(u32 type) { return type < kMsgTypes ? kNames[type] : "unknown"; }

std::string_view error_name(int err) {
  for (const struct xsd_errors& e : xsd_errors)
    if (e.errnum == err) return e.errstring;
  return xsd_errors[0].errstring;
}

int error_from_name(std::string_view name) {
  for (const struct xsd_errors& e : xsd_errors)
    if (name == e.errstring) return e.errnum;
  return 0;
}

std::size_t error_slot(int err) {
  for (std::size_t i = 0; i < kErrorCount; ++i)
    if (xsd_errors[i].errnum == err) return i;
  return kErrorCount;
}

std::string encode(const Message& m) {
  xsd_sockmsg h{m.type, m.req_id, m.tx_id, static_cast<u32>(m.payload.size())};
  std::string out(reinterpret_cast<const char*>(&h), sizeof(h));
  out += m.payload;
  return out;
}

Message error_reply(const Message& request, int err) {
  std::string payload(error_name(err));
  payload += '\0';  // send_error sends strlen + 1 bytes
  return Message{XS_ERROR, request.req_id, request.tx_id, std::move(payload)};
}

Message reply(const Message& request, std::string payload) {
  return Message{request.type, request.req_id, request.tx_id, std::move(payload)};
}

Message ok_reply(const Message& request) { return reply(request, std::string("OK", 3)); }

std::vector<std::string_view> split_strings(std::string_view payload) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t nul = payload.find('\0', start);
    if (nul == std::string_view::npos) break;
    out.push_back(payload.substr(start, nul - start));
    start = nul + 1;
  }
  return out;
}

bool one_arg(std::string_view payload, std::string_view& out) {
  if (payload.empty() || payload.back() != '\0' || payload.find('\0') != payload.size() - 1) return false;
  out = payload.substr(0, payload.size() - 1);
  return true;
}

}  // namespace ring1::xs
