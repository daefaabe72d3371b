#include "devices/cmos_rtc.h"

#include <algorithm>

namespace ring1 {

namespace {
constexpr u8 kRegA = 0x0A, kRegB = 0x0B, kRegC = 0x0C, kRegD = 0x0D, kCentury = 0x32;
constexpr u8 kBBinary = 0x04, kB24Hour = 0x02;
}  // namespace

CmosRtc::CmosRtc(const CpuClock& cpu, u64 cpu_hz, RtcMode mode, u64 ram_bytes)
    : cpu_(cpu), cpu_hz_(cpu_hz ? cpu_hz : 1), mode_(mode) {
  ram_[kRegA] = 0x26;  // 32.768 kHz time base, 1024 Hz periodic rate: what a BIOS leaves (and QEMU resets to)
  ram_[kRegB] = kB24Hour;  // BCD, 24-hour
  ram_[kRegD] = 0x80;      // VRT: the battery is good, RAM and time are valid
  // Memory size, as QEMU's pc_cmos_init writes it: base memory 640 KiB (0x15/0x16); extended memory above
  // 1 MiB in KiB, at most 0xFFFF (0x17/0x18, and the BIOS's copy at 0x30/0x31); memory above 16 MiB in
  // 64 KiB units, at most 0xFFFF (0x34/0x35).
  ram_[0x15] = 640 & 0xFF;
  ram_[0x16] = 640 >> 8;
  const u64 ext = std::min<u64>(ram_bytes > (1u << 20) ? (ram_bytes >> 10) - 1024 : 0, 0xFFFF);
  ram_[0x17] = ram_[0x30] = u8(ext);
  ram_[0x18] = ram_[0x31] = u8(ext >> 8);
  const u64 above16 = std::min<u64>(ram_bytes > (16u << 20) ? (ram_bytes - (16u << 20)) >> 16 : 0, 0xFFFF);
  ram_[0x34] = u8(above16);
  ram_[0x35] = u8(above16 >> 8);
}

i64 CmosRtc::now() const {
  const i64 base = mode_ == RtcMode::Host ? i64(std::time(nullptr)) : kSosp2003 + i64(cpu_.now() / cpu_hz_);
  return base + offset_;
}

u8 CmosRtc::encode(u32 v) const { return (ram_[kRegB] & kBBinary) ? u8(v) : u8(((v / 10) << 4) | (v % 10)); }
u32 CmosRtc::decode(u8 v) const { return (ram_[kRegB] & kBBinary) ? v : u32((v >> 4) * 10 + (v & 0xF)); }

u8 CmosRtc::read(u8 index) {
  index &= 0x7F;
  if (index > 9 && index != kCentury) {
    if (index == kRegC) {
      const u8 v = ram_[kRegC];  // interrupt flags; reading clears them (none are ever raised here)
      ram_[kRegC] = 0;
      return v;
    }
    return ram_[index];
  }
  if (index == 1 || index == 3 || index == 5) return ram_[index];  // the alarm
  const time_t t = time_t(now());
  tm d{};
  gmtime_r(&t, &d);
  switch (index) {
    case 0: return encode(u32(d.tm_sec));
    case 2: return encode(u32(d.tm_min));
    case 4: {
      if (ram_[kRegB] & kB24Hour) return encode(u32(d.tm_hour));
      const u32 h12 = d.tm_hour % 12 == 0 ? 12 : d.tm_hour % 12;  // 12-hour: bit 7 is PM
      return u8(encode(h12) | (d.tm_hour >= 12 ? 0x80 : 0));
    }
    case 6: return encode(u32(d.tm_wday + 1));  // 1 = Sunday
    case 7: return encode(u32(d.tm_mday));
    case 8: return encode(u32(d.tm_mon + 1));
    case 9: return encode(u32(d.tm_year % 100));
    default: return encode(u32((d.tm_year + 1900) / 100));  // 0x32, the century
  }
}

void CmosRtc::write(u8 index, u8 value) {
  index &= 0x7F;
  if (index > 9 && index != kCentury) {
    if (index == kRegA) ram_[kRegA] = value & 0x7F;  // UIP is read-only
    else if (index == kRegB) ram_[kRegB] = value;
    else if (index != kRegC && index != kRegD) ram_[index] = value;  // C and D are read-only
    return;
  }
  if (index == 1 || index == 3 || index == 5 || index == 6) {
    ram_[index] = value;  // the alarm; the day of the week follows from the date here
    return;
  }
  // A time or date register: move the clock so that field reads back as written.
  const i64 before = now();
  const time_t t = time_t(before);
  tm d{};
  gmtime_r(&t, &d);
  switch (index) {
    case 0: d.tm_sec = int(decode(value)); break;
    case 2: d.tm_min = int(decode(value)); break;
    case 4:
      if (ram_[kRegB] & kB24Hour) {
        d.tm_hour = int(decode(value));
      } else {
        const int h = int(decode(value & 0x7F)) % 12;
        d.tm_hour = h + ((value & 0x80) ? 12 : 0);
      }
      break;
    case 7: d.tm_mday = int(decode(value)); break;
    case 8: d.tm_mon = int(decode(value)) - 1; break;
    case 9: d.tm_year = (d.tm_year + 1900) / 100 * 100 + int(decode(value)) - 1900; break;
    default: d.tm_year = int(decode(value)) * 100 + (d.tm_year % 100) - 1900; break;  // century
  }
  offset_ += i64(timegm(&d)) - before;
}

u32 CmosRtc::port_read(void* ctx, u16 port, u8) {
  auto* r = static_cast<CmosRtc*>(ctx);
  // The index register is write-only on the chipset; QEMU reads it back as 0xFF.
  if (port == 0x70) return 0xFF;
  return r->read(r->index_);
}

void CmosRtc::port_write(void* ctx, u16 port, u8, u32 value) {
  auto* r = static_cast<CmosRtc*>(ctx);
  if (port == 0x70) {
    r->index_ = value & 0x7F;
    r->nmi_masked_ = value & 0x80;  // kept for the guest's benefit: ring1 models no NMI source
    return;
  }
  r->write(r->index_, u8(value));
}

}  // namespace ring1
