#include "devices/uart16550.h"

namespace ring1 {

bool Uart16550::attach(PortBus& bus, u16 base) {
  base_ = base;
  return bus.attach(base, 8, {&port_read, &port_write, this});
}

// A wider access reaches consecutive registers a byte at a time, as the ISA bus splits it for an 8-bit
// device; bytes past register 7 read as an unassigned port.
u32 Uart16550::port_read(void* ctx, u16 port, u8 size) {
  auto* u = static_cast<Uart16550*>(ctx);
  u32 v = 0;
  for (u8 k = 0; k < size; ++k) {
    const u32 reg = u32(port - u->base_) + k;
    v |= u32(reg < 8 ? u->read(u8(reg)) : 0xFF) << (8 * k);
  }
  return v;
}

void Uart16550::port_write(void* ctx, u16 port, u8 size, u32 value) {
  auto* u = static_cast<Uart16550*>(ctx);
  for (u8 k = 0; k < size; ++k) {
    const u32 reg = u32(port - u->base_) + k;
    if (reg < 8) u->write(u8(reg), u8(value >> (8 * k)));
  }
}

u8 Uart16550::trigger_level() const {
  static constexpr u8 kLevels[4] = {1, 4, 8, 14};  // FCR bits 7:6
  return (fcr_ & FcrEnable) ? kLevels[fcr_ >> 6] : 1;
}

// Interrupt identification by priority (datasheet table IV): receiver line status, received data (or the
// FIFO's character timeout), transmitter holding register empty, modem status. Line errors (overrun,
// parity, framing, break) never happen on a console whose bytes arrive whole, so the first never fires.
u8 Uart16550::iir() const {
  const u8 fifo = (fcr_ & FcrEnable) ? IirFifo : 0;
  if (ier_ & IerRda) {
    if (rx_count_ >= trigger_level()) return fifo | IirRda;
    // The FIFO's timeout: characters below the trigger level and no more arriving (datasheet: four
    // character times without input; here, the source has nothing more).
    if (fifo && rx_count_ > 0 && source_dry_) return fifo | IirTimeout;
  }
  if ((ier_ & IerThre) && thr_ipending_) return fifo | IirThre;
  if ((ier_ & IerMsi) && (msr_ & 0x0F)) return fifo | IirMsi;
  return fifo | IirNoInt;
}

// On a PC the UART's INTR pin reaches IRQ 4 through a buffer enabled by OUT2 (MCR bit 3); in loopback the
// OUT2 pin is forced inactive (datasheet, MCR bit 4), so no interrupt leaves the chip. QEMU ignores OUT2;
// real PCs and ring1 do not.
void Uart16550::update_irq() {
  const bool level = interrupt_pending() && (mcr_ & McrOut2) && !(mcr_ & McrLoop);
  if (level == irq_level_) return;
  irq_level_ = level;
  irq_(level);
}

void Uart16550::push_rx(u8 byte) {
  if (rx_count_ == rx_capacity()) return;  // cannot happen: the source is only asked while there is room
  rx_[(rx_head_ + rx_count_) % 16] = byte;
  ++rx_count_;
}

// Received bytes are taken from the source when the guest looks at the receiver (and when it enables the
// received-data interrupt), up to the FIFO's capacity; in loopback the receiver hears only the transmitter.
void Uart16550::fill_rx() {
  if (mcr_ & McrLoop) return;
  while (rx_count_ < rx_capacity()) {
    const int b = in_();
    if (b < 0) {
      source_dry_ = true;
      return;
    }
    source_dry_ = false;
    push_rx(u8(b));
  }
}

void Uart16550::transmit(u8 byte) {
  if (mcr_ & McrLoop) {
    push_rx(byte);
    source_dry_ = true;
  } else {
    out_(byte);
  }
}

// In loopback the modem inputs are wired to the modem outputs (datasheet, MCR bit 4): CTS = RTS, DSR = DTR,
// RI = OUT1, DCD = OUT2.
u8 Uart16550::loopback_msr() const {
  u8 v = 0;
  if (mcr_ & McrRts) v |= MsrCts;
  if (mcr_ & McrDtr) v |= MsrDsr;
  if (mcr_ & McrOut1) v |= MsrRi;
  if (mcr_ & McrOut2) v |= MsrDcd;
  return v;
}

void Uart16550::set_mcr(u8 value) {
  mcr_ = value & 0x1F;
  const u8 now = (mcr_ & McrLoop) ? loopback_msr() : u8(MsrDcd | MsrDsr | MsrCts);
  const u8 before = msr_ & 0xF0;
  u8 delta = 0;
  if ((now ^ before) & MsrCts) delta |= 0x01;
  if ((now ^ before) & MsrDsr) delta |= 0x02;
  if ((before & MsrRi) && !(now & MsrRi)) delta |= 0x04;  // TERI: the trailing edge of RI
  if ((now ^ before) & MsrDcd) delta |= 0x08;
  msr_ = u8(now | (msr_ & 0x0F) | delta);
}

u8 Uart16550::read(u8 reg) {
  u8 v = 0xFF;
  switch (reg & 7) {
    case 0:
      if (lcr_ & LcrDlab) return u8(divisor_);
      fill_rx();
      v = 0;
      if (rx_count_) {
        v = rx_[rx_head_];
        rx_head_ = u8((rx_head_ + 1) % 16);
        --rx_count_;
      }
      update_irq();  // the line drops here if that was the last byte ...
      fill_rx();     // ... and rises again (a new edge) if the source has the next one
      break;
    case 1: return (lcr_ & LcrDlab) ? u8(divisor_ >> 8) : ier_;
    case 2:
      fill_rx();
      v = iir();
      // Reading IIR while it reports THRE clears that interrupt (datasheet table IV).
      if ((v & 0x0F) == IirThre) thr_ipending_ = false;
      break;
    case 3: return lcr_;
    case 4: return mcr_;
    case 5:
      fill_rx();
      v = u8((rx_count_ ? LsrDr : 0) | LsrThre | LsrTemt);
      break;
    case 6:
      v = msr_;
      msr_ &= 0xF0;  // reading MSR clears the delta bits
      break;
    case 7: return scr_;
  }
  update_irq();
  return v;
}

void Uart16550::write(u8 reg, u8 value) {
  switch (reg & 7) {
    case 0:
      if (lcr_ & LcrDlab) {
        divisor_ = u16((divisor_ & 0xFF00) | value);
        return;
      }
      // The byte leaves at once: THR empties, and THRE is pending again as soon as it was cleared, so the
      // line falls and rises (a new edge for the PIC).
      thr_ipending_ = false;
      update_irq();
      transmit(value);
      thr_ipending_ = true;
      break;
    case 1:
      if (lcr_ & LcrDlab) {
        divisor_ = u16((divisor_ & 0x00FF) | (value << 8));
        return;
      }
      // Enabling the THRE interrupt while THR is empty raises it at once (as on the chip and in QEMU).
      if ((value & IerThre) && !(ier_ & IerThre)) thr_ipending_ = true;
      ier_ = value & 0x0F;
      fill_rx();
      break;
    case 2: {
      const u8 before = fcr_;
      fcr_ = value & 0xC1;  // enable and trigger level are kept; DMA mode (bit 3) only matters to RXRDY/TXRDY pins
      // Changing the FIFO enable clears both FIFOs (datasheet, FCR bit 0).
      if ((value & FcrClearRx) || ((before ^ fcr_) & FcrEnable)) rx_head_ = rx_count_ = 0;
      if (!(fcr_ & FcrEnable)) fcr_ = 0;
      fill_rx();
      break;
    }
    case 3: lcr_ = value; return;
    case 4: set_mcr(value); break;
    case 5: return;  // LSR is read-only (writes are for factory test)
    case 6: return;  // MSR is read-only
    case 7: scr_ = value; return;
  }
  update_irq();
}

}  // namespace ring1
