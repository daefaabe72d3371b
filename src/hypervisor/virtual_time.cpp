// Virtual time (see the header). The scale is Xen's choice of (mul, shift) for the counter's frequency, and
// every time the hypervisor uses (timer deadlines, the stamp) is computed with the same formula the guest
// uses, so the two can never disagree by a rounding step.
#include "hypervisor/virtual_time.h"

#include <cstddef>

#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

constexpr u64 kNsPerSec = 1'000'000'000;
using u128 = unsigned __int128;

}  // namespace

VirtualTime::VirtualTime(u64 cpu_hz, i64 epoch_sec) : hz_(cpu_hz), epoch_(epoch_sec), scale_(scale_for(cpu_hz)) {}

TimeScale VirtualTime::scale_for(u64 hz) {
  i32 shift = 0;
  u64 f = hz;
  while (f > 2 * kNsPerSec) {
    f >>= 1;
    --shift;
  }
  while (f <= kNsPerSec) {
    f <<= 1;
    ++shift;
  }
  return TimeScale{static_cast<u32>((u128(kNsPerSec) << 32) / f), static_cast<i8>(shift)};
}

u64 VirtualTime::scale(u64 delta, TimeScale s) {
  const u128 d = s.shift >= 0 ? u128(delta) << s.shift : u128(delta >> -s.shift);
  return static_cast<u64>((d * s.mul) >> 32);
}

u64 VirtualTime::system_time(Cycles now) const {
  return stamp_ns_ + scale(now >= stamp_cycles_ ? now - stamp_cycles_ : 0, scale_);
}

Cycles VirtualTime::cycles_at(u64 ns) const {
  if (ns <= stamp_ns_) return stamp_cycles_;
  const u64 d = ns - stamp_ns_;
  // An estimate from the inverse of the formula, then exact steps: scale() is monotonic in the delta.
  const u128 per = u128(scale_.mul);
  u128 t = ((u128(d) << 32) + per - 1) / per;
  t = scale_.shift >= 0 ? t >> scale_.shift : t << -scale_.shift;
  if (t > u128(~u64(0) >> 1)) return ~Cycles(0);
  u64 c = static_cast<u64>(t);
  while (scale(c, scale_) < d) ++c;
  while (c > 0 && scale(c - 1, scale_) >= d) --c;
  return stamp_cycles_ + c;
}

void VirtualTime::restamp(Cycles now) {
  stamp_ns_ = system_time(now);
  stamp_cycles_ = now;
}

void VirtualTime::publish(PhysicalMemory& ram, u32 vcpu_info, u64 tsc_offset) const {
  const u32 at = vcpu_info + offsetof(xen::VcpuInfo, time);
  xen::VcpuTimeInfo t;
  ram.read_bytes(at, &t, sizeof(t));
  // The seqlock: odd while the fields change (xen.h: "version is odd while an update is in progress").
  t.version = (t.version | 1) + ((t.version & 1) ? 2 : 0);
  ram.write_bytes(at, &t.version, 4);
  t.tsc_timestamp = stamp_cycles_ + tsc_offset;
  t.system_time = stamp_ns_;
  t.tsc_to_system_mul = scale_.mul;
  t.tsc_shift = scale_.shift;
  t.flags = 0;
  ram.write_bytes(at, &t, sizeof(t));
  t.version += 1;
  ram.write_bytes(at, &t.version, 4);
}

void VirtualTime::publish_wallclock(PhysicalMemory& ram, u32 shared_info) const {
  xen::SharedInfo s;
  ram.read_bytes(shared_info, &s, sizeof(s));
  u32 version = s.wc_version | 1;
  ram.write_bytes(shared_info + offsetof(xen::SharedInfo, wc_version), &version, 4);
  // wc_* is the wall-clock time at system time 0; i386 keeps the seconds' high half in arch.wc_sec_hi.
  const u64 sec = static_cast<u64>(epoch_);
  const u32 lo = static_cast<u32>(sec), hi = static_cast<u32>(sec >> 32), nsec = 0;
  ram.write_bytes(shared_info + offsetof(xen::SharedInfo, wc_sec), &lo, 4);
  ram.write_bytes(shared_info + offsetof(xen::SharedInfo, wc_nsec), &nsec, 4);
  ram.write_bytes(shared_info + offsetof(xen::SharedInfo, arch) + offsetof(xen::ArchSharedInfo, wc_sec_hi), &hi, 4);
  version += 1;
  ram.write_bytes(shared_info + offsetof(xen::SharedInfo, wc_version), &version, 4);
}

}  // namespace ring1::hv
