#include "devices/pic8259.h"

#include <fmt/format.h>

namespace ring1 {

// ---- one chip ----

// Priorities run from the IR after `lowest_` (highest) round to `lowest_` itself (datasheet, "Priority
// cell" and "Automatic rotation"); fixed priority is lowest_ = 7 (IR0 highest).
int I8259::priority_of(u8 mask) const {
  for (int p = 0; p < 8; ++p)
    if (mask & (1u << ((lowest_ + 1 + p) & 7))) return p;
  return 8;
}

// An uninitialised 8259A presents nothing: its state after power-up is undefined until ICW1-ICW4
// (datasheet, "Initialization command words"). On QEMU the BIOS has initialised both chips before the
// kernel runs; a multiboot kernel reprograms them anyway.
int I8259::highest_request() const {
  if (!initialised()) return -1;
  const int p = priority_of(irr_ & ~imr_);
  if (p == 8) return -1;
  if (p >= priority_of(blocking_in_service())) return -1;
  return (lowest_ + 1 + p) & 7;
}

u8 I8259::blocking_in_service() const {
  u8 in_service = isr_;
  // Special mask mode: a level masked in the IMR does not hold off others, even if in service.
  if (special_mask_) in_service &= ~imr_;
  // Special fully nested mode (master): a higher-priority request from the slave gets through while the
  // slave's IR2 is in service.
  if (is_master && sfnm_) in_service &= ~(1u << 2);
  return in_service;
}

bool I8259::would_present(u8 irq) const {
  const u8 bit = u8(1u << irq);
  return initialised() && !(imr_ & bit) && priority_of(bit) < priority_of(blocking_in_service());
}

// Edge-triggered: a rising edge sets IRR; the request must stay high until INTA, or it is gone and the CPU
// gets IR7 instead (datasheet, "Edge and level triggered modes"). Level-triggered: IRR follows the line.
void I8259::set_line(u8 irq, bool level) {
  const u8 bit = u8(1u << irq);
  if (level) {
    if (level_triggered_ || !(levels_ & bit)) irr_ |= bit;
    levels_ |= bit;
  } else {
    irr_ &= ~bit;
    levels_ &= ~bit;
  }
}

void I8259::accept(u8 irq) {
  const u8 bit = u8(1u << irq);
  if (!level_triggered_) irr_ &= ~bit;
  if (auto_eoi_) {
    if (rotate_on_aeoi_) lowest_ = irq;
  } else {
    isr_ |= bit;
  }
}

void I8259::eoi(int irq, bool rotate) {
  if (irq < 0) return;
  isr_ &= ~(1u << irq);
  if (rotate) lowest_ = u8(irq);
}

void I8259::write_command(u8 v) {
  if (v & 0x10) {
    // ICW1 (datasheet): the edge-sense circuit is reset (a line already high needs a new edge), IMR and the
    // special mask are cleared, IR7 gets the lowest priority, status reads return IRR, and without IC4 every
    // ICW4 function is zero.
    irr_ = isr_ = imr_ = 0;
    lowest_ = 7;
    special_mask_ = read_isr_ = poll_ = false;
    level_triggered_ = v & 0x08;
    single_ = v & 0x02;
    icw4_needed_ = v & 0x01;
    auto_eoi_ = rotate_on_aeoi_ = sfnm_ = false;
    if (level_triggered_) irr_ = levels_;
    init_step_ = 2;
    icw2_seen_ = false;
    return;
  }
  if (v & 0x08) {
    // OCW3: poll, read IRR/ISR, special mask mode.
    if (v & 0x04) poll_ = true;
    if (v & 0x02) read_isr_ = v & 0x01;
    if (v & 0x40) special_mask_ = v & 0x20;
    return;
  }
  // OCW2: R, SL, EOI in bits 7-5; L2-L0 the level for the specific forms.
  const u8 level = v & 7;
  switch (v >> 5) {
    case 0: rotate_on_aeoi_ = false; break;                   // rotate in AEOI mode (clear)
    case 1: eoi(highest_in_service(), false); break;          // non-specific EOI
    case 2: break;                                            // no operation
    case 3: eoi(level, false); break;                         // specific EOI
    case 4: rotate_on_aeoi_ = true; break;                    // rotate in AEOI mode (set)
    case 5: eoi(highest_in_service(), true); break;           // rotate on non-specific EOI
    case 6: lowest_ = level; break;                           // set priority
    case 7: eoi(level, true); break;                          // rotate on specific EOI
  }
}

int I8259::highest_in_service() const {
  const int p = priority_of(isr_);
  return p == 8 ? -1 : (lowest_ + 1 + p) & 7;
}

void I8259::write_data(u8 v) {
  switch (init_step_) {
    case 2:
      icw2_ = v & 0xF8;  // T7-T3; the low three bits of the vector are the IR number (8086 mode)
      icw2_seen_ = true;
      init_step_ = single_ ? (icw4_needed_ ? 4 : 0) : 3;
      return;
    case 3:
      icw3_ = v;  // the PC's wiring is fixed: the slave sits on the master's IR2
      init_step_ = icw4_needed_ ? 4 : 0;
      return;
    case 4:
      auto_eoi_ = v & 0x02;
      sfnm_ = v & 0x10;
      init_step_ = 0;
      return;
    default: imr_ = v; return;  // OCW1
  }
}

// Poll (OCW3 P): the next read is an interrupt acknowledge that returns 0x80 | level, or 0 if nothing is
// requesting (datasheet, "The poll command").
u8 I8259::read_command() {
  if (poll_) return poll();
  return read_isr_ ? isr_ : irr_;
}

u8 I8259::poll() {
  poll_ = false;
  const int irq = highest_request();
  if (irq < 0) return 0;
  accept(u8(irq));
  return u8(0x80 | irq);
}

u8 I8259::read_data() {
  if (poll_) return poll();
  return imr_;
}

// ---- the PC's pair ----

Pic8259::Pic8259(CpuPins& cpu) : cpu_(cpu) {
  master_.is_master = true;
  master_.slave = &slave_;
}

bool Pic8259::attach(PortBus& bus) {
  return bus.attach(0x20, 2, {&port_read, &port_write, this}) && bus.attach(0xA0, 2, {&port_read, &port_write, this});
}

void Pic8259::install() {
  cpu_.attach_interrupt_controller({
      [](void* p) { return static_cast<Pic8259*>(p)->pending(); },
      [](void* p) { return static_cast<Pic8259*>(p)->acknowledge(); },
      this,
      [](void* p) { return static_cast<const Pic8259*>(p)->wake_blocked(); }});
}

// A halted CPU wakes only through a timed line (set_timed_lines): it must get through its chip and, for
// the slave's lines, through the master's IR2. The reason names the first timed line's obstacle.
const char* Pic8259::wake_blocked() const {
  if (!timed_lines_) return nullptr;
  int first = -1;
  for (u8 irq = 0; irq < 16; ++irq) {
    if (!(timed_lines_ & (1u << irq))) continue;
    const bool ok = irq < 8 ? master_.would_present(irq) : slave_.would_present(u8(irq - 8)) && master_.would_present(2);
    if (ok) return nullptr;
    if (first < 0) first = irq;
  }
  const I8259& chip = first < 8 ? master_ : slave_;
  const u8 line = u8(first & 7);
  const char* which = first < 8 ? "master" : "slave";
  if (!chip.initialised())
    wake_reason_ = fmt::format("the {} PIC was never initialised (ICW1-ICW4), so IRQ {} cannot reach the CPU", which, first);
  else if (chip.imr() & (1u << line))
    wake_reason_ = fmt::format("IRQ {} (the timer) is masked at the {} PIC (IMR {:#04x})", first, which, chip.imr());
  else if (first >= 8 && !master_.would_present(2))
    wake_reason_ = fmt::format("IRQ {} cannot pass the master PIC's cascade line IR2 (masked, uninitialised or held off)", first);
  else
    wake_reason_ = fmt::format("IRQ {} (the timer) is held off by an interrupt still in service at the {} PIC (ISR {:#04x}, "
                               "no EOI)", first, which, chip.isr());
  return wake_reason_.c_str();
}

void Pic8259::set_irq(u8 irq, bool level) {
  if (irq >= 16 || irq == 2) return;  // IR2 of the master is the cascade, not a device line
  if (irq < 8) master_.set_line(irq, level);
  else slave_.set_line(u8(irq - 8), level);
  update();
}

void Pic8259::update() {
  master_.set_line(2, slave_.highest_request() >= 0);
  if (master_.highest_request() >= 0) cpu_.interrupt_requested();
}

// INTA (datasheet, "Interrupt sequence"): the master resolves; if it chose the cascade, the slave supplies
// the vector. A request that vanished before INTA gets IR7's vector with no ISR bit set (the spurious
// IRQ 7); on the slave the master has already taken IR2 in service, so the handler of IRQ 15 must EOI the
// master only.
u8 Pic8259::acknowledge() {
  u8 vector;
  const int irq = master_.highest_request();
  if (irq < 0) {
    ++spurious_;
    vector = master_.vector(7);
  } else {
    master_.accept(u8(irq));
    if (irq == 2) {
      const int irq2 = slave_.highest_request();
      if (irq2 < 0) {
        ++spurious_;
        vector = slave_.vector(7);
      } else {
        slave_.accept(u8(irq2));
        vector = slave_.vector(u8(irq2));
      }
    } else {
      vector = master_.vector(u8(irq));
    }
  }
  update();
  return vector;
}

u32 Pic8259::port_read(void* ctx, u16 port, u8 size) {
  auto* pic = static_cast<Pic8259*>(ctx);
  u32 v = 0;
  for (u8 k = 0; k < size; ++k) {
    const u16 p = u16(port + k);
    u8 b = 0xFF;
    I8259* chip = (p & ~1u) == 0x20 ? &pic->master_ : (p & ~1u) == 0xA0 ? &pic->slave_ : nullptr;
    if (chip) b = (p & 1) ? chip->read_data() : chip->read_command();
    v |= u32(b) << (8 * k);
  }
  pic->update();  // a poll read acknowledges
  return v;
}

void Pic8259::port_write(void* ctx, u16 port, u8 size, u32 value) {
  auto* pic = static_cast<Pic8259*>(ctx);
  for (u8 k = 0; k < size; ++k) {
    const u16 p = u16(port + k);
    const u8 b = u8(value >> (8 * k));
    I8259* chip = (p & ~1u) == 0x20 ? &pic->master_ : (p & ~1u) == 0xA0 ? &pic->slave_ : nullptr;
    if (!chip) continue;
    if (p & 1) chip->write_data(b);
    else chip->write_command(b);
  }
  pic->update();
}

}  // namespace ring1
