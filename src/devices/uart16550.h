// COM1: a National Semiconductor NS16550A UART (datasheet "PC16550D Universal Asynchronous Receiver/
// Transmitter with FIFOs", 1995) at ports 0x3F8-0x3FF on IRQ 4, as every PC and QEMU's `-serial` provide.
// It is the console: transmitted bytes go to a sink at once, so the transmitter is always ready (THRE and
// TEMT set), and received bytes come from a source that never blocks. Line timing (the divisor) is stored,
// never simulated, which is what a console needs and what QEMU does with a chardev backend.
#pragma once
#include "devices/streams.h"
#include "mmu/port_bus.h"

namespace ring1 {

class Uart16550 {
 public:
  static constexpr u16 kCom1Base = 0x3F8;
  static constexpr u8 kCom1Irq = 4;

  // Register bits (PC16550D datasheet, table II).
  enum : u8 {
    IerRda = 0x01, IerThre = 0x02, IerRls = 0x04, IerMsi = 0x08,
    IirNoInt = 0x01, IirMsi = 0x00, IirThre = 0x02, IirRda = 0x04, IirRls = 0x06, IirTimeout = 0x0C, IirFifo = 0xC0,
    FcrEnable = 0x01, FcrClearRx = 0x02, FcrClearTx = 0x04,
    LcrDlab = 0x80,
    McrDtr = 0x01, McrRts = 0x02, McrOut1 = 0x04, McrOut2 = 0x08, McrLoop = 0x10,
    LsrDr = 0x01, LsrThre = 0x20, LsrTemt = 0x40,
    MsrCts = 0x10, MsrDsr = 0x20, MsrRi = 0x40, MsrDcd = 0x80,
  };

  Uart16550(ByteSink out, ByteSource in, IrqLine irq) : out_(out), in_(in), irq_(irq) {}
  Uart16550(const Uart16550&) = delete;
  Uart16550& operator=(const Uart16550&) = delete;

  // Claims the 8 ports at `base`. False if any is taken.
  bool attach(PortBus& bus, u16 base = kCom1Base);

  // Register access by offset 0..7 (what the port handlers call; tests may call them directly).
  u8 read(u8 reg);
  void write(u8 reg, u8 value);

  // True while the UART's INTR output is active (an enabled interrupt is pending), OUT2 aside.
  bool interrupt_pending() const { return (iir() & IirNoInt) == 0; }
  bool irq_level() const { return irq_level_; }

 private:
  static u32 port_read(void* ctx, u16 port, u8 size);
  static void port_write(void* ctx, u16 port, u8 size, u32 value);

  u8 iir() const;
  u8 rx_capacity() const { return (fcr_ & FcrEnable) ? 16 : 1; }
  u8 trigger_level() const;
  void fill_rx();
  void push_rx(u8 byte);
  void transmit(u8 byte);
  u8 loopback_msr() const;
  void set_mcr(u8 value);
  void update_irq();

  ByteSink out_;
  ByteSource in_;
  IrqLine irq_;
  u16 base_ = kCom1Base;

  u8 rx_[16] = {};
  u8 rx_head_ = 0, rx_count_ = 0;
  bool source_dry_ = false;  // the source had nothing at the last attempt: a FIFO below its trigger times out
  bool thr_ipending_ = false;
  u8 ier_ = 0, fcr_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0;
  u8 msr_ = MsrDcd | MsrDsr | MsrCts;  // a console "modem" is always there (QEMU's reset value)
  u16 divisor_ = 0x0C;                 // 9600 baud at 1.8432 MHz, QEMU's reset value
  bool irq_level_ = false;
};

}  // namespace ring1
