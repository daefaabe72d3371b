// Framing and the error strings, which come from xs_wire.h's own xsd_errors table.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include <xen/io/xs_wire.h>

#include "control/xenstore/wire_protocol.h"

namespace ring1::xs {
namespace {

TEST(WireProtocol, ErrorRepliesCarryTheErrnoNameNulTerminatedAndEchoTheRequestIds) {
  const Message req{XS_READ, 41, 3, std::string("x\0", 2)};
  const Message r = error_reply(req, ENOENT);
  EXPECT_EQ(r.type, u32(XS_ERROR));
  EXPECT_EQ(r.req_id, 41u);
  EXPECT_EQ(r.tx_id, 3u);
  EXPECT_EQ(r.payload, std::string("ENOENT\0", 7));
}

TEST(WireProtocol, EveryXsdErrorHasItsXenName) {
  for (const struct xsd_errors& e : xsd_errors) {
    EXPECT_EQ(error_name(e.errnum), e.errstring);
    EXPECT_EQ(error_from_name(e.errstring), e.errnum);
  }
  EXPECT_EQ(error_name(EAGAIN), "EAGAIN");
  EXPECT_EQ(error_name(E2BIG), "E2BIG");
  EXPECT_EQ(error_name(EDOM), "EINVAL");  // not in the table: xenstored falls back to the first entry
}

TEST(WireProtocol, SuccessWithoutDataIsOk) {
  const Message r = ok_reply(Message{XS_WRITE, 9, 0, {}});
  EXPECT_EQ(r.type, u32(XS_WRITE));
  EXPECT_EQ(r.payload, std::string("OK\0", 3));
}

TEST(WireProtocol, AMessageIsItsSixteenByteHeaderThenThePayload) {
  const std::string bytes = encode(Message{XS_DIRECTORY, 1, 2, "ab"});
  ASSERT_EQ(bytes.size(), 18u);
  xsd_sockmsg h;
  std::memcpy(&h, bytes.data(), sizeof(h));
  EXPECT_EQ(h.type, u32(XS_DIRECTORY));
  EXPECT_EQ(h.req_id, 1u);
  EXPECT_EQ(h.tx_id, 2u);
  EXPECT_EQ(h.len, 2u);
}

TEST(WireProtocol, PayloadsSplitIntoTheirNulTerminatedStrings) {
  const auto s = split_strings(std::string("a\0bc\0tail", 9));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], "a");
  EXPECT_EQ(s[1], "bc");
  std::string_view one;
  EXPECT_TRUE(one_arg(std::string("path\0", 5), one));
  EXPECT_EQ(one, "path");
  EXPECT_FALSE(one_arg("path", one));
  EXPECT_FALSE(one_arg(std::string("a\0b\0", 4), one));
}

TEST(WireProtocol, MessageNamesFollowXsWire) {
  EXPECT_EQ(msg_type_name(XS_TRANSACTION_START), "TRANSACTION_START");
  EXPECT_EQ(msg_type_name(XS_WATCH_EVENT), "WATCH_EVENT");
  EXPECT_EQ(msg_type_name(XS_DIRECTORY_PART), "DIRECTORY_PART");
  EXPECT_EQ(msg_type_name(999), "unknown");
}

}  // namespace
}  // namespace ring1::xs
