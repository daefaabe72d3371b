// Every frame the virtual switch carries, written as a classic libpcap file (`--vif-pcap FILE`) that
// tcpdump and Wireshark read: the 24-byte global header (magic 0xa1b2c3d4, version 2.4, snaplen 65535,
// link type 1 = Ethernet) and a 16-byte record header per frame (seconds, microseconds, captured and
// original length), host byte order as libpcap writes it. Timestamps are the modelled system time, so the
// same run writes the same file byte for byte.
#pragma once
#include <cstdio>
#include <string>

#include "common/types.h"

namespace ring1 {

class PcapWriter {
 public:
  static constexpr u32 kMagic = 0xa1b2c3d4, kSnapLen = 65535, kLinkTypeEthernet = 1;

  PcapWriter() = default;
  ~PcapWriter() { close(); }
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Creates `path` and writes the global header; false with `error` set (one line) if it cannot.
  bool open(const std::string& path, std::string& error);
  bool is_open() const { return f_ != nullptr; }
  // One frame seen at `time_ns`; false if the write failed (the file is then closed).
  bool record(u64 time_ns, const u8* frame, u32 len);
  void close();
  u64 frames() const { return frames_; }

 private:
  std::FILE* f_ = nullptr;
  u64 frames_ = 0;
};

}  // namespace ring1
