// console.h: formatted output to the platform console (COM1 natively, as QEMU's `-serial stdio` shows it).
// The format language is the C library's, for the conversions a kernel prints with: %d %i %u %x %X %p %s %c %%,
// the length modifiers l and ll, a field width, the 0 flag (zero padding) and the - flag (left-justify).
// No floating point: ring1 does not model the x87, and the kit is built with -mno-sse (print fixed point).
#pragma once
#include <stdarg.h>
#include <stddef.h>

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
// Writes s and a newline, as the C library's puts does.
int puts(const char *s);
int putchar(int c);

// Prints a message and ends the run through the platform's exit with status KIT_EXIT_PANIC.
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
