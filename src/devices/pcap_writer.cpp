// The pcap file format (see the header): tcpdump's savefile layout, pcap-savefile(5).
#include "devices/pcap_writer.h"

#include <cerrno>
#include <cstring>

namespace ring1 {

bool PcapWriter::open(const std::string& path, std::string& error) {
  close();
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) {
    error = path + ": cannot create the pcap file: " + std::strerror(errno);
    return false;
  }
  const u32 magic = kMagic;
  const u16 major = 2, minor = 4;
  const i32 thiszone = 0;
  const u32 sigfigs = 0, snaplen = kSnapLen, linktype = kLinkTypeEthernet;
  bool ok = std::fwrite(&magic, 4, 1, f_) == 1 && std::fwrite(&major, 2, 1, f_) == 1 && std::fwrite(&minor, 2, 1, f_) == 1 &&
            std::fwrite(&thiszone, 4, 1, f_) == 1 && std::fwrite(&sigfigs, 4, 1, f_) == 1 &&
            std::fwrite(&snaplen, 4, 1, f_) == 1 && std::fwrite(&linktype, 4, 1, f_) == 1;
  if (!ok) {
    error = path + ": cannot write the pcap file";
    close();
  }
  return ok;
}

bool PcapWriter::record(u64 time_ns, const u8* frame, u32 len) {
  if (!f_) return false;
  const u32 incl = len < kSnapLen ? len : kSnapLen;
  const u32 hdr[4] = {u32(time_ns / 1000000000u), u32(time_ns % 1000000000u / 1000u), incl, len};
  if (std::fwrite(hdr, sizeof hdr, 1, f_) != 1 || (incl && std::fwrite(frame, incl, 1, f_) != 1)) {
    close();
    return false;
  }
  ++frames_;
  return true;
}

void PcapWriter::close() {
  if (f_) std::fclose(f_);
  f_ = nullptr;
}

}  // namespace ring1
