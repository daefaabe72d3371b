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

bool probe_descriptor(Cpu& c, u16 selector, Descriptor& d) {
  if ((selector & ~3u) == 0) return false;
  const bool ldt = selector & 4;
  if (ldt && (c.ldtr.selector & ~3u) == 0) return false;
  const u32 base = ldt ? c.ldtr.base : c.gdtr.base;
  const u32 limit = ldt ? c.ldtr.limit : c.gdtr.limit;
  const u32 offset = selector & ~7u;
  if (offset + 7 > limit) return false;
  d.lo = c.mmu().read<u32>(base + offset, false);
  d.hi = c.mmu().read<u32>(base + offset + 4, false);
  return true;
}

bool descriptor_query(Cpu& c, u16 selector, DescriptorQuery q, Descriptor& d) {
  if (!probe_descriptor(c, selector, d)) return false;
  const bool privileged_ok = d.dpl() >= c.cpl && d.dpl() >= (selector & 3);
  if (d.is_segment()) {
    if (q == DescriptorQuery::Readable && !d.readable()) return false;
    if (q == DescriptorQuery::Writable && !d.writable()) return false;
    return d.conforming() || privileged_ok;  // conforming code is never writable, so VERW stops above
  }
  if (q == DescriptorQuery::Readable || q == DescriptorQuery::Writable) return false;
  bool valid = false;
  switch (d.system_type()) {
    case SystemType::Tss16Available:
    case SystemType::Ldt:
    case SystemType::Tss16Busy:
    case SystemType::Tss32Available:
    case SystemType::Tss32Busy:
      valid = true;
      break;
    case SystemType::CallGate16:
    case SystemType::TaskGate:
    case SystemType::CallGate32:
      valid = q == DescriptorQuery::AccessRights;  // gates have no limit for LSL to report
      break;
    default:
      break;
  }
  return valid && privileged_ok;
}

void load_ldtr(Cpu& c, u16 selector) {
  if ((selector & ~3u) == 0) {
    c.ldtr = SystemSegment{selector, 0, 0, 0};  // LDT references now fault (read_descriptor)
    return;
  }
  const u32 err = selector_error(selector);
  if (selector & 4) raise_fault(Vector::GP, err);
  Descriptor d = read_descriptor(c, selector);
  if (d.is_segment() || d.system_type() != SystemType::Ldt) raise_fault(Vector::GP, err);
  if (!d.present()) raise_fault(Vector::NP, err);
  c.ldtr = SystemSegment{selector, d.base(), d.limit(), d.access()};
}

void load_task_register(Cpu& c, u16 selector) {
  if ((selector & ~3u) == 0) raise_fault(Vector::GP, 0);
  const u32 err = selector_error(selector);
  if (selector & 4) raise_fault(Vector::GP, err);
  Descriptor d = read_descriptor(c, selector);
  const SystemType t = d.system_type();
  if (d.is_segment() || (t != SystemType::Tss16Available && t != SystemType::Tss32Available))
    raise_fault(Vector::GP, err);
  if (!d.present()) raise_fault(Vector::NP, err);
  d.hi |= 2u << 8;  // available (1, 9) -> busy (3, 11)
  c.mmu().write<u32>(c.gdtr.base + (selector & ~7u) + 4, d.hi, false);
  c.tr = SystemSegment{selector, d.base(), d.limit(), d.access()};
}

// `ext` is the EXT bit (SDM 6.13) to add to a #TS raised while delivering an event that was not INT n.
void tss_inner_stack(Cpu& c, u8 ring, u16& ss, u32& esp, u32 ext) {
  const bool tss32 = c.tr.access & 8;  // type 9/11 against 1/3
  const u32 err = selector_error(c.tr.selector) | ext;
  if ((c.tr.selector & ~3u) == 0) raise_fault(Vector::TS, err);  // no task register loaded
  if (tss32) {  // ESPn at 4 + 8n, SSn at 8 + 8n (figure 7-2)
    const u32 off = 4 + 8u * ring;
    if (off + 5 > c.tr.limit) raise_fault(Vector::TS, err);
    esp = c.mmu().read<u32>(c.tr.base + off, false);
    ss = c.mmu().read<u16>(c.tr.base + off + 4, false);
  } else {  // SPn at 2 + 4n, SSn at 4 + 4n (figure 7-11)
    const u32 off = 2 + 4u * ring;
    if (off + 3 > c.tr.limit) raise_fault(Vector::TS, err);
    esp = c.mmu().read<u16>(c.tr.base + off, false);
    ss = c.mmu().read<u16>(c.tr.base + off + 2, false);
  }
}

Descriptor check_stack_segment(Cpu& c, u16 selector, u8 new_cpl, Vector fault) {
  if ((selector & ~3u) == 0) raise_fault(fault, 0);
  Descriptor d = read_descriptor(c, selector, fault);
  const u32 err = selector_error(selector);
  if ((selector & 3) != new_cpl || d.dpl() != new_cpl || !d.writable()) raise_fault(fault, err);
  if (!d.present()) raise_fault(Vector::SS, err);
  return d;
}

FarTarget check_far_target(Cpu& c, u16 selector, u32 offset, FarKind kind) {
  if ((selector & ~3u) == 0) raise_fault(Vector::GP, 0);
  Descriptor d = read_descriptor(c, selector);
  const u32 err = selector_error(selector);
  const u8 rpl = selector & 3;
  FarTarget t;
  if (d.is_code()) {  // direct: conforming DPL <= CPL; non-conforming RPL <= CPL and DPL == CPL (5.8.2)
    if (d.conforming() ? d.dpl() > c.cpl : (rpl > c.cpl || d.dpl() != c.cpl)) raise_fault(Vector::GP, err);
    if (!d.present()) raise_fault(Vector::NP, err);
    if (offset > d.limit()) raise_fault(Vector::GP, 0);
    t.cs = selector;
    t.code = d;
    t.eip = offset;
    t.cpl = c.cpl;
    return t;
  }
  if (d.is_segment()) raise_fault(Vector::GP, err);  // data segments are not jump targets
  switch (d.system_type()) {
    case SystemType::CallGate16:
    case SystemType::CallGate32: {
      // 5.8.4: the gate is visible when its DPL >= CPL and >= RPL.
      if (d.dpl() < c.cpl || d.dpl() < rpl) raise_fault(Vector::GP, err);
      if (!d.present()) raise_fault(Vector::NP, err);
      const u16 cs = d.gate_selector();
      if ((cs & ~3u) == 0) raise_fault(Vector::GP, 0);
      Descriptor cd = read_descriptor(c, cs);
      const u32 cerr = selector_error(cs);
      // The target may be more privileged (DPL <= CPL), never less; JMP never changes CPL, so a
      // non-conforming target of a JMP must be at CPL exactly.
      if (!cd.is_code() || cd.dpl() > c.cpl) raise_fault(Vector::GP, cerr);
      if (kind == FarKind::Jmp && !cd.conforming() && cd.dpl() != c.cpl) raise_fault(Vector::GP, cerr);
      if (!cd.present()) raise_fault(Vector::NP, cerr);
      t.gate32 = d.system_type() == SystemType::CallGate32;
      t.eip = t.gate32 ? d.gate_offset() : d.gate_offset() & 0xFFFF;
      if (t.eip > cd.limit()) raise_fault(Vector::GP, 0);
      t.kind = FarTarget::Kind::Gate;
      t.cs = cs;
      t.code = cd;
      t.inner = kind == FarKind::Call && !cd.conforming() && cd.dpl() < c.cpl;
      t.cpl = t.inner ? cd.dpl() : c.cpl;
      t.params = d.gate_param_count();
      return t;
    }
    case SystemType::TaskGate:
    case SystemType::Tss16Available:
    case SystemType::Tss32Available:
      if (d.dpl() < c.cpl || d.dpl() < rpl) raise_fault(Vector::GP, err);
      if (!d.present()) raise_fault(Vector::NP, err);
      t.kind = FarTarget::Kind::Task;
      t.cs = selector;  // the TSS or task gate itself (cpu/task_switch.h takes it from here)
      t.code = d;
      return t;
    default:
      raise_fault(Vector::GP, err);  // busy TSS, LDT, interrupt and trap gates
  }
}

Descriptor check_return_code_segment(Cpu& c, u16 selector) {
  if ((selector & ~3u) == 0) raise_fault(Vector::GP, 0);
  Descriptor d = read_descriptor(c, selector);
  const u32 err = selector_error(selector);
  const u8 rpl = selector & 3;
  if (!d.is_code() || rpl < c.cpl) raise_fault(Vector::GP, err);
  if (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl) raise_fault(Vector::GP, err);
  if (!d.present()) raise_fault(Vector::NP, err);
  return d;
}

void null_inaccessible_data_segments(Cpu& c) {
  for (SegReg r : {ES, DS, FS, GS}) {
    Segment& s = c.seg[r];
    const u8 type = s.access & 0xF;
    const bool segment = s.access & 0x10;
    const u8 dpl = (s.access >> 5) & 3;
    const bool data_or_nonconforming = segment && (!(type & 8) || !(type & 4));
    if (data_or_nonconforming && dpl < c.cpl) fill_null_segment(s, 0);
  }
}

}  // namespace ring1
