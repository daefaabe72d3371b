// uart16550.c: the console on COM1, a 16550 UART at I/O port 0x3F8, driven by polling: wait until the
// transmitter holding register is empty (line status bit 5), then write the byte (PC16550D data sheet).
// Set to 115200 baud 8N1; an emulator ignores the rate, real hardware needs it. Bytes go out as they are
// ("\n" is not expanded to "\r\n"), so ring1's stdout and a log of QEMU's `-serial stdio` compare equal.
#include "kit/x86.h"
#include "native/native.h"

enum {
  COM1 = 0x3f8,
  DATA = 0,         // transmit holding register (DLAB = 0), divisor low byte (DLAB = 1)
  IER = 1,          // interrupt enable (DLAB = 0), divisor high byte (DLAB = 1)
  FCR = 2,          // FIFO control
  LCR = 3,          // line control
  MCR = 4,          // modem control
  LSR = 5,          // line status
  LSR_THRE = 0x20,  // transmitter holding register empty
};

void uart_init(void) {
  outb(COM1 + IER, 0x00);  // no UART interrupts: the console polls
  outb(COM1 + LCR, 0x80);  // DLAB on, to reach the divisor latch
  outb(COM1 + DATA, 1);    // divisor 1: 115200 baud
  outb(COM1 + IER, 0);
  outb(COM1 + LCR, 0x03);  // DLAB off; 8 data bits, no parity, 1 stop bit
  outb(COM1 + FCR, 0x07);  // FIFOs on and cleared
  outb(COM1 + MCR, 0x03);  // DTR and RTS
}

static void put(char c) {
  while (!(inb(COM1 + LSR) & LSR_THRE)) {}
  outb(COM1 + DATA, (uint8_t)c);
}

void uart_write(const char *s, unsigned n) {
  for (unsigned i = 0; i < n; i++) put(s[i]);
}
