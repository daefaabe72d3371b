#include "cpu/descriptors.h"

namespace ring1 {

namespace {
bool protected_mode(const Cpu& c) { return (c.cr0 & 1) && !(c.eflags & eflags::VM); }
}  // namespace

Descriptor read_descriptor(Cpu& c, u16 selector, Vector fault) {
  const bool ldt = selector & 4;
  const u32 base = ldt ? c.ldtr.base : c.gdtr.base;
  const u32 limit = ldt ? c.ldtr.limit : c.gdtr.limit;
  const u32 offset = selector & ~7u;
  // An LDT selector with a null LDTR is a limit violation: LDTR's cache is unusable (limit 0, selector 0).
  if ((ldt && (c.ldtr.selector & ~3u) == 0) || offset + 7 > limit) raise_fault(fault, selector_error(selector));
  Descriptor d;
  d.lo = c.mmu().read<u32>(base + offset, false);
  d.hi = c.mmu().read<u32>(base + offset + 4, false);
  return d;
}

void mark_accessed(Cpu& c, u16 selector, Descriptor& d) {
  if (!d.is_segment() || d.accessed()) return;
  d.hi |= 1u << 8;
  const u32 base = (selector & 4) ? c.ldtr.base : c.gdtr.base;
  c.mmu().write<u32>(base + (selector & ~7u) + 4, d.hi, false);
}

void fill_segment_cache(Segment& s, u16 selector, const Descriptor& d) {
  s.selector = selector;
  s.base = d.base();
  s.limit = d.limit();
  s.access = d.access();
  s.big = d.big();
  const u32 top = d.big() ? 0xFFFFFFFFu : 0xFFFFu;
  u32 lo = 0, hi = s.limit;
  if (d.expand_down()) {  // valid offsets are limit+1 .. top (3.4.5.1); a limit of top leaves none
    lo = s.limit + 1;
    hi = top;
    if (s.limit >= top) lo = 1, hi = 0;
  }
  if (d.readable()) s.read_lo = lo, s.read_hi = hi;
  else s.read_lo = 1, s.read_hi = 0;
  if (d.writable()) s.write_lo = lo, s.write_hi = hi;
  else s.write_lo = 1, s.write_hi = 0;
}

void fill_null_segment(Segment& s, u16 selector) {
  s.selector = selector;
  s.base = 0;
  s.limit = 0;
  s.access = 0;
  s.read_lo = s.write_lo = 1;
  s.read_hi = s.write_hi = 0;
}

void fill_real_mode_segment(Segment& s, u16 selector, bool v86) {
  s.selector = selector;
  s.base = u32(selector) << 4;
  if (v86) {
    s.limit = 0xFFFF;
    s.big = false;
    s.access = 0xF3;  // present, DPL 3, read/write data, accessed
    s.read_lo = s.write_lo = 0;
    s.read_hi = s.write_hi = 0xFFFF;
  }
}

void load_data_segment(Cpu& c, SegReg r, u16 selector) {
  if (!protected_mode(c)) {
    fill_real_mode_segment(c.seg[r], selector, c.eflags & eflags::VM);
    return;
  }
  const u8 rpl = selector & 3;
  if ((selector & ~3u) == 0) {
    if (r == SS) raise_fault(Vector::GP, 0);  // a null SS is never allowed outside 64-bit mode
    fill_null_segment(c.seg[r], selector);
    return;
  }
  Descriptor d = read_descriptor(c, selector);
  const u32 err = selector_error(selector);
  if (r == SS) {
    if (rpl != c.cpl || !d.writable() || d.dpl() != c.cpl) raise_fault(Vector::GP, err);
    if (!d.present()) raise_fault(Vector::SS, err);
  } else {
    if (!d.readable()) raise_fault(Vector::GP, err);  // system descriptors and execute-only code
    if ((d.is_data() || !d.conforming()) && (rpl > d.dpl() || c.cpl > d.dpl())) raise_fault(Vector::GP, err);
    if (!d.present()) raise_fault(Vector::NP, err);
  }
  mark_accessed(c, selector, d);
  fill_segment_cache(c.seg[r], selector, d);
}

void load_code_segment(Cpu& c, u16 selector, const Descriptor& d, u8 cpl) {
  Descriptor acc = d;
  mark_accessed(c, selector, acc);
  const u16 sel = static_cast<u16>((selector & ~3u) | cpl);
  fill_segment_cache(c.seg[CS], sel, acc);
  c.cpl = cpl;
}

}  // namespace ring1
