#include "devices/pit8254.h"

namespace ring1 {

namespace {
using u128 = unsigned __int128;
u32 from_bcd(u32 v) { return (v & 0xF) + ((v >> 4) & 0xF) * 10 + ((v >> 8) & 0xF) * 100 + ((v >> 12) & 0xF) * 1000; }
u16 to_bcd(u32 v) {
  return u16((v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) | ((v / 1000 % 10) << 12));
}
}  // namespace

Pit8254::Pit8254(CpuClock& cpu, IrqLine irq0, u64 cpu_hz) : cpu_(cpu), irq0_(irq0), cpu_hz_(cpu_hz ? cpu_hz : 1) {
  ch_[2].gate = false;  // port 0x61 bit 0 starts clear
  // Channel 0's OUT starts high, as a PC's is after the BIOS set it counting in mode 2 (QEMU's too): a
  // kernel's control word for a repeating mode then makes no extra edge, and its first interrupt is the
  // first period's.
  irq0_(true);
}

bool Pit8254::attach(PortBus& bus) {
  return bus.attach(0x40, 4, {&port_read, &port_write, this}) && bus.attach(0x61, 1, {&port_read, &port_write, this});
}

void Pit8254::install() {
  cpu_.attach_event_hook({[](void* p, Cycles now) { static_cast<Pit8254*>(p)->fire(now); }, this});
}

void Pit8254::install(TimedEvents& events) {
  events_ = &events;
  slot_ = events.add([](void* p, Cycles now) { static_cast<Pit8254*>(p)->fire(now); }, this);
}

u64 Pit8254::clocks(const Channel& c, Cycles now) const {
  if (now <= c.start) return 0;
  return u64(u128(now - c.start) * kInputHz / cpu_hz_);
}

Cycles Pit8254::cycle_of_clock(int ch, u64 d) const {
  return ch_[ch].start + Cycles((u128(d) * cpu_hz_ + kInputHz - 1) / kInputHz);
}

// The counting element after d clocks (datasheet, "Operating modes"; the repeating modes as QEMU computes
// them: mode 2 counts N..1, mode 3 counts down by two each clock).
u32 Pit8254::value_at(const Channel& c, u64 d) const {
  const u32 n = c.count, m = modulus(c);
  if (!c.counting) return n % m;
  switch (c.mode) {
    case 2: return n - u32(d % n);
    case 3: return (n - u32((2 * d) % n)) % m;
    default: return u32((u64(n) + u64(m) * ((d / m) + 1) - d) % m);  // 0, 1, 4, 5: down from N, wrapping
  }
}

bool Pit8254::out_at(const Channel& c, u64 d) const {
  const u32 n = c.count;
  switch (c.mode) {
    case 0: return c.counting && d >= n;              // low from the control word to the terminal count
    case 1: return !c.counting || d >= n;             // low from the trigger to the terminal count
    case 2: return !c.counting || d % n != n - 1;     // low for the clock where the count is 1
    case 3: return !c.counting || d % n < (n + 1) / 2;  // high for the first half of each period
    default: return !c.counting || d != n;            // 4, 5: low for one clock after the terminal count
  }
}

u32 Pit8254::counter(int ch) const { return value_at(ch_[ch], clocks(ch_[ch], cpu_.now())); }
bool Pit8254::out(int ch) const { return out_at(ch_[ch], clocks(ch_[ch], cpu_.now())); }

u16 Pit8254::encoded(const Channel& c, u32 value) const { return c.bcd ? to_bcd(value % 10000) : u16(value); }

// Read-back status (datasheet, "Read-back command"): OUT, null count, RW, mode, BCD. The count is null
// from a control word or a new count until a clock has loaded it into the counting element.
u8 Pit8254::status_of(int ch) const {
  const Channel& c = ch_[ch];
  const bool null_count = !c.counting || clocks(c, cpu_.now()) == 0;
  return u8((out(ch) << 7) | (null_count << 6) | (c.rw << 4) | (c.mode << 1) | u8(c.bcd));
}

void Pit8254::schedule() {
  const Channel& c = ch_[0];
  next_edge_ = 0;
  if (c.counting) {
    switch (c.mode) {
      case 0: case 1: next_edge_ = c.count; break;  // OUT rises at the terminal count
      case 2: case 3: next_edge_ = c.count > 1 ? c.count : 0; break;  // a count of 1 never toggles OUT
      case 4: case 5: next_edge_ = u64(c.count) + 1; break;
    }
  }
  set_deadline(next_edge_ ? cycle_of_clock(0, next_edge_) : ~Cycles(0));
}

void Pit8254::fire(Cycles now) {
  Channel& c = ch_[0];
  if (!next_edge_ || !c.counting) return;
  ++pulses_;
  if (c.mode == 0 || c.mode == 1) {
    irq0_(true);  // OUT rises and stays high
  } else {
    irq0_(false);  // the repeating modes and the strobes: one rising edge per period
    irq0_(true);
  }
  if (c.mode != 2 && c.mode != 3) {
    next_edge_ = 0;
    return;
  }
  // The next period's edge, counted from the load: exact whatever the lateness of this call. Edges that
  // have already passed (a long wait with the CPU stopped) merge into this one, as IRR holds one request.
  do next_edge_ += c.count;
  while (cycle_of_clock(0, next_edge_) <= now);
  set_deadline(cycle_of_clock(0, next_edge_));
}

void Pit8254::load(int ch, u32 n) {
  Channel& c = ch_[ch];
  c.count = n;
  c.start = cpu_.now();
  if (c.mode == 1 || c.mode == 5) {
    c.counting = false;  // the gate's next rising edge starts it
    c.waiting_trigger = true;
  } else {
    c.counting = true;
  }
  if (ch == 0) schedule();
}

void Pit8254::control(u8 v) {
  const int sc = v >> 6;
  if (sc == 3) {
    // Read-back: bit 5 clear latches counts, bit 4 clear latches status, bits 1-3 select channels 0-2.
    for (int ch = 0; ch < 3; ++ch) {
      if (!(v & (2u << ch))) continue;
      Channel& c = ch_[ch];
      if (!(v & 0x10) && !c.status_latched) {
        c.status = status_of(ch);
        c.status_latched = true;
      }
      if (!(v & 0x20) && !c.count_latched) {
        c.latched = encoded(c, counter(ch));
        c.count_latched = true;
        c.latched_msb_next = c.rw == 2;
      }
    }
    return;
  }
  Channel& c = ch_[sc];
  const u8 rw = (v >> 4) & 3;
  if (rw == 0) {
    // Counter latch: the count is held until read; a second latch before then is ignored.
    if (!c.count_latched) {
      c.latched = encoded(c, counter(sc));
      c.count_latched = true;
      c.latched_msb_next = c.rw == 2;
    }
    return;
  }
  c.rw = rw;
  c.mode = (v >> 1) & 7;
  if (c.mode > 5) c.mode -= 4;  // 6 and 7 are 2 and 3 (datasheet, control word format)
  c.bcd = v & 1;
  c.counting = c.waiting_trigger = false;
  c.write_msb_next = c.read_msb_next = rw == 2;
  c.count_latched = c.status_latched = false;
  if (sc == 0) {
    irq0_(c.mode != 0);  // OUT's level after a control word: low in mode 0, high in the others
    schedule();
  }
}

void Pit8254::write_count(int ch, u8 v) {
  Channel& c = ch_[ch];
  u32 raw;
  if (c.rw == 1) raw = v;
  else if (c.rw == 2) raw = u32(v) << 8;
  else if (!c.write_msb_next) {
    c.write_lsb = v;
    c.write_msb_next = true;
    if (c.mode == 0) {  // writing the first byte stops a mode-0 count (datasheet, mode 0)
      c.counting = false;
      if (ch == 0) schedule();
    }
    return;
  } else {
    raw = c.write_lsb | (u32(v) << 8);
    c.write_msb_next = false;
  }
  u32 n = c.bcd ? from_bcd(raw) : raw;
  if (n == 0) n = modulus(c);
  load(ch, n);
}

void Pit8254::set_gate2(bool level) {
  Channel& c = ch_[2];
  const bool rising = level && !c.gate;
  c.gate = level;
  if (!rising) return;
  // A rising gate triggers modes 1 and 5 and restarts modes 2 and 3 (datasheet, "Gate").
  if (c.waiting_trigger || (c.counting && c.mode != 0 && c.mode != 4)) {
    c.start = cpu_.now();
    c.counting = true;
  }
}

u8 Pit8254::read(u16 port) {
  if (port == 0x61) {
    // Port B: gate 2 and speaker bits as written, the refresh toggle (every 15.085 us, as QEMU derives it
    // from time), and channel 2's OUT.
    const u64 refresh = u64(u128(cpu_.now()) * 1000000000 / cpu_hz_ / 15085) & 1;
    return u8((port61_ & 3) | (refresh << 4) | (out(2) << 5));
  }
  if (port == 0x43) return 0xFF;  // the control word register cannot be read (datasheet, table 1)
  Channel& c = ch_[port - 0x40];
  if (c.status_latched) {
    c.status_latched = false;
    return c.status;
  }
  if (c.count_latched) {
    u8 b;
    if (c.rw == 3 && !c.latched_msb_next) {
      b = u8(c.latched);
      c.latched_msb_next = true;
      return b;
    }
    b = c.latched_msb_next ? u8(c.latched >> 8) : u8(c.latched);
    c.count_latched = false;
    return b;
  }
  const u16 v = encoded(c, counter(port - 0x40));
  if (c.rw == 1) return u8(v);
  if (c.rw == 2) return u8(v >> 8);
  const bool msb = c.read_msb_next;
  c.read_msb_next = !msb;
  return msb ? u8(v >> 8) : u8(v);
}

void Pit8254::write(u16 port, u8 value) {
  if (port == 0x61) {
    port61_ = value & 0x0F;
    set_gate2(value & 1);
    return;
  }
  if (port == 0x43) control(value);
  else write_count(port - 0x40, value);
}

u32 Pit8254::port_read(void* ctx, u16 port, u8 size) {
  auto* p = static_cast<Pit8254*>(ctx);
  u32 v = 0;
  for (u8 k = 0; k < size; ++k) {
    const u16 q = u16(port + k);
    v |= u32((q >= 0x40 && q <= 0x43) || q == 0x61 ? p->read(q) : 0xFF) << (8 * k);
  }
  return v;
}

void Pit8254::port_write(void* ctx, u16 port, u8 size, u32 value) {
  auto* p = static_cast<Pit8254*>(ctx);
  for (u8 k = 0; k < size; ++k) {
    const u16 q = u16(port + k);
    if ((q >= 0x40 && q <= 0x43) || q == 0x61) p->write(q, u8(value >> (8 * k)));
  }
}

}  // namespace ring1
