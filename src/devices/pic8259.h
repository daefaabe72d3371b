// The PC's two Intel 8259A programmable interrupt controllers (datasheet 231468, "8259A Programmable
// Interrupt Controller"): the master at ports 0x20/0x21 drives the CPU's INTR line, the slave at 0xA0/0xA1
// is cascaded on the master's IR2. Together they are the CPU's InterruptController: `pending` is the
// master's INT output, `acknowledge` the two-pulse INTA sequence that returns the vector.
//
// Modelled: the ICW1-ICW4 initialisation sequence, IMR (OCW1), non-specific and specific EOI and the
// rotation commands (OCW2), reading IRR/ISR, poll mode and special mask mode (OCW3), automatic EOI (with
// rotation), special fully nested mode, edge- and level-triggered inputs (ICW1 LTIM), fixed or rotating
// priority, and the spurious IR7/IR15 when a request has gone before INTA. Not modelled: the PC/AT's ELCR
// ports 0x4D0/0x4D1 (lines are edge-triggered unless a guest sets LTIM), 8080/8085 mode (ICW4 uPM = 0:
// ring1 answers with 8086 vectors), buffered mode (pin-level only).
#pragma once
#include <string>

#include "cpu/cpu_pins.h"
#include "devices/streams.h"
#include "mmu/port_bus.h"

namespace ring1 {

// One 8259A. The pair below wires two of them; tests may drive a chip through the pair only.
class I8259 {
 public:
  void set_line(u8 irq, bool level);
  // The highest-priority request the chip would present now, or -1 (datasheet, "Priority resolver").
  int highest_request() const;
  // Whether a request on `irq` would reach the chip's INT output now, whatever else is requesting: the chip
  // is initialised, the line unmasked, and nothing of equal or higher priority is in service.
  bool would_present(u8 irq) const;
  // The INTA sequence for request `irq` (from highest_request): ISR set (or not, in AEOI), IRR cleared.
  void accept(u8 irq);
  u8 vector(u8 irq) const { return u8(icw2_ | irq); }

  void write_command(u8 v);   // port 0x20/0xA0: ICW1, OCW2, OCW3
  void write_data(u8 v);      // port 0x21/0xA1: ICW2-4 during initialisation, OCW1 after
  u8 read_command();          // IRR or ISR per OCW3, or the poll word
  u8 read_data();             // IMR, or the poll word

  bool is_master = false;
  I8259* slave = nullptr;     // the master's view of the slave on IR2 (for poll and nesting)

  u8 irr() const { return irr_; }
  u8 isr() const { return isr_; }
  u8 imr() const { return imr_; }
  bool initialised() const { return init_step_ == 0 && icw2_seen_; }

 private:
  int priority_of(u8 mask) const;  // the highest-priority set bit of mask, as 0 (highest) .. 7, or 8
  u8 blocking_in_service() const;  // the ISR bits that hold off lower-priority requests
  void eoi(int irq, bool rotate);
  int highest_in_service() const;
  u8 poll();

  u8 irr_ = 0, isr_ = 0, imr_ = 0;
  u8 levels_ = 0;         // the current level of each IR input
  u8 icw2_ = 0;           // vector base (T7-T3)
  u8 icw3_ = 0;
  u8 lowest_ = 7;         // the IR with the lowest priority (rotation); the one after it is highest
  u8 init_step_ = 0;      // 0: operational; 2, 3, 4: the ICW expected next
  bool icw4_needed_ = false, single_ = false, level_triggered_ = false;
  bool auto_eoi_ = false, rotate_on_aeoi_ = false, sfnm_ = false;
  bool read_isr_ = false, special_mask_ = false, poll_ = false;
  bool icw2_seen_ = false;
};

class Pic8259 {
 public:
  explicit Pic8259(CpuPins& cpu);
  Pic8259(const Pic8259&) = delete;
  Pic8259& operator=(const Pic8259&) = delete;

  // Claims 0x20-0x21 and 0xA0-0xA1.
  bool attach(PortBus& bus);
  // Makes the pair the CPU's interrupt controller.
  void install();

  // IRQ 0-15: the level of an input line. Edge-triggered inputs request on a rising edge.
  void set_irq(u8 irq, bool level);
  // An IrqLine for a device.
  IrqLine line(u8 irq) { return IrqLine{&set_irq_thunk, this, irq}; }

  // The InterruptController interface: the master's INT output, and the INTA sequence.
  bool pending() const { return master_.highest_request() >= 0; }
  u8 acknowledge();
  // The lines a device raises on its own, from timed events, while the CPU may be halted (the PC's PIT on
  // IRQ 0). Every other line is raised only by the guest's own port accesses, which a halted CPU makes none of.
  void set_timed_lines(u16 irqs) { timed_lines_ = irqs; }
  // Why none of the timed lines could reach the CPU now (for a CPU halted with IF = 1), or null if one could,
  // or if no timed line was declared.
  const char* wake_blocked() const;

  const I8259& master() const { return master_; }
  const I8259& slave() const { return slave_; }
  u64 spurious() const { return spurious_; }

 private:
  static void set_irq_thunk(void* ctx, u8 irq, bool level) { static_cast<Pic8259*>(ctx)->set_irq(irq, level); }
  static u32 port_read(void* ctx, u16 port, u8 size);
  static void port_write(void* ctx, u16 port, u8 size, u32 value);
  // After any change: the slave's INT is the master's IR2 input; the master's INT asks the CPU to look.
  void update();

  CpuPins& cpu_;
  I8259 master_, slave_;
  u64 spurious_ = 0;
  u16 timed_lines_ = 0;
  mutable std::string wake_reason_;
};

}  // namespace ring1
