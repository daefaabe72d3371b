// The RSP codec: framing, checksums, escaping and the byte-stream decoder.
#include "debugger/rsp_packet.h"

#include <gtest/gtest.h>

namespace ring1 {
namespace {

std::vector<RspEvent> decode(std::string_view bytes) {
  RspDecoder d;
  d.feed(bytes);
  std::vector<RspEvent> out;
  while (auto e = d.next()) out.push_back(*e);
  return out;
}

TEST(RspPacket, ChecksumIsTheModulo256SumOfThePayload) {
  EXPECT_EQ(rsp_checksum(""), 0);
  EXPECT_EQ(rsp_checksum("OK"), 0x9a);
  EXPECT_EQ(rsp_frame("OK"), "$OK#9a");
  EXPECT_EQ(rsp_frame(""), "$#00");
}

TEST(RspPacket, FramingEscapesTheFourSpecialBytes) {
  EXPECT_EQ(rsp_escape("a#b$c}d*e"), "a}\x03" "b}\x04" "c}]d}\x0a" "e");
  // The checksum covers the escaped bytes as sent.
  const std::string f = rsp_frame("}");
  EXPECT_EQ(f.substr(0, 4), "$}]#");
}

TEST(RspPacket, DecoderYieldsPacketsAcksAndInterruptsInOrder) {
  auto ev = decode("+$g#67-\x03$?#3f");
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[0].kind, RspEvent::Kind::Ack);
  EXPECT_EQ(ev[1].kind, RspEvent::Kind::Packet);
  EXPECT_EQ(ev[1].payload, "g");
  EXPECT_EQ(ev[2].kind, RspEvent::Kind::Nack);
  EXPECT_EQ(ev[3].kind, RspEvent::Kind::Interrupt);
  EXPECT_EQ(ev[4].payload, "?");
}

TEST(RspPacket, DecoderReportsABadChecksumInsteadOfAPacket) {
  auto ev = decode("$g#00$g#zz");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, RspEvent::Kind::BadChecksum);
  EXPECT_EQ(ev[1].kind, RspEvent::Kind::BadChecksum);
}

TEST(RspPacket, DecoderUnescapesBinaryPayloadsAndSurvivesSplitReads) {
  const std::string framed = rsp_frame(std::string("X100,2:\x7d\x23", 9));
  RspDecoder d;
  for (char c : framed) d.feed(std::string_view(&c, 1));  // one byte at a time
  auto e = d.next();
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, RspEvent::Kind::Packet);
  EXPECT_EQ(e->payload, std::string("X100,2:\x7d\x23", 9));
  EXPECT_FALSE(d.next());
}

TEST(RspPacket, AnOversizedPacketIsDroppedNotBuffered) {
  std::string big = "$" + std::string(RspDecoder::kMaxPacket + 10, 'a') + "#00";
  auto ev = decode(big + "$g#67");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, RspEvent::Kind::BadChecksum);
  EXPECT_EQ(ev[1].payload, "g");
}

TEST(RspPacket, NoiseOutsidePacketsIsIgnored) {
  auto ev = decode("hello$g#67");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].payload, "g");
}

TEST(RspPacket, HexHelpersRoundTripAndRejectMalformedInput) {
  EXPECT_EQ(to_hex(std::string_view("\x01\xab", 2)), "01ab");
  EXPECT_EQ(from_hex("01ab"), std::string("\x01\xab", 2));
  EXPECT_FALSE(from_hex("0"));
  EXPECT_FALSE(from_hex("0g"));
  EXPECT_EQ(parse_hex("100000"), 0x100000u);
  EXPECT_EQ(parse_hex("FFffFFff"), 0xFFFFFFFFu);
  EXPECT_FALSE(parse_hex(""));
  EXPECT_FALSE(parse_hex("12x"));
  EXPECT_FALSE(parse_hex("11112222333344445"));  // 17 digits
  EXPECT_EQ(le_hex(0x12345678, 4), "78563412");
}

}  // namespace
}  // namespace ring1
