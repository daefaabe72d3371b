// format.c: the printf family's formatting engine, written once over a "sink" so that printf (to the console)
// and snprintf (to a buffer) share it. Conversions as in C11 7.21.6.1, restricted to those listed in
// include/kit/console.h; anything else is copied through so a typo shows up in the output.
#include <stdbool.h>
#include <stdint.h>

#include "kit/console.h"
#include "kit/div64.h"
#include "kit/platform.h"
#include "kit/string.h"

struct sink {
  void (*put)(struct sink *, char);
  char *buf;     // snprintf: the buffer
  size_t size;   // and its size
  size_t count;  // characters produced so far (what printf returns)
};

static void emit(struct sink *s, char c) {
  s->put(s, c);
  s->count++;
}

static void emit_padded(struct sink *s, const char *text, size_t len, int width, bool left, char pad) {
  int fill = width > (int)len ? width - (int)len : 0;
  if (!left)
    while (fill-- > 0) emit(s, pad);
  while (len--) emit(s, *text++);
  if (left)
    while (fill-- > 0) emit(s, ' ');
}

// Digits of v in base 10 or 16 into the end of buf, returning where they start.
static char *digits(char *end, uint64_t v, unsigned base, bool upper) {
  const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char *p = end;
  do *--p = set[div64_u32(&v, base)];
  while (v);
  return p;
}

static void format(struct sink *s, const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      emit(s, *fmt);
      continue;
    }
    const char *start = fmt++;
    bool left = false, zero = false;
    for (;; fmt++) {
      if (*fmt == '-') left = true;
      else if (*fmt == '0') zero = true;
      else break;
    }
    int width = 0;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    int longs = 0;
    while (*fmt == 'l') longs++, fmt++;

    char buf[24];  // 2^64 has 20 decimal digits, plus a sign
    char *end = buf + sizeof buf;
    char pad = zero && !left ? '0' : ' ';
    switch (*fmt) {
      case 'd':
      case 'i': {
        int64_t v = longs == 2 ? va_arg(ap, long long) : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
        uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
        char *p = digits(end, mag, 10, false);
        if (v < 0 && pad == '0') {  // the sign goes before the zeros: %05d of -42 is -0042
          emit(s, '-');
          emit_padded(s, p, end - p, width - 1, left, pad);
        } else {
          if (v < 0) *--p = '-';
          emit_padded(s, p, end - p, width, left, pad);
        }
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        uint64_t v = longs == 2 ? va_arg(ap, unsigned long long)
                     : longs == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
        char *p = digits(end, v, *fmt == 'u' ? 10 : 16, *fmt == 'X');
        emit_padded(s, p, end - p, width, left, pad);
        break;
      }
      case 'p': {  // as glibc prints pointers: 0x and lower-case hex
        char *p = digits(end, (uintptr_t)va_arg(ap, void *), 16, false);
        *--p = 'x';
        *--p = '0';
        emit_padded(s, p, end - p, width, left, ' ');
        break;
      }
      case 's': {
        const char *str = va_arg(ap, const char *);
        if (!str) str = "(null)";
        emit_padded(s, str, strlen(str), width, left, ' ');
        break;
      }
      case 'c': {
        char c = (char)va_arg(ap, int);
        emit_padded(s, &c, 1, width, left, ' ');
        break;
      }
      case '%': emit(s, '%'); break;
      default:  // unknown conversion: copy it through verbatim
        for (const char *q = start; q <= fmt && *q; q++) emit(s, *q);
        if (!*fmt) return;
    }
  }
}

// The console sink buffers a line so that each console write is a whole line (one platform call, and on the
// paravirtual platform one hypercall, per line rather than per character).
struct console_sink {
  struct sink base;
  char line[128];
  size_t used;
};

static void console_flush(struct console_sink *c) {
  if (c->used) plat_console_write(c->line, c->used);
  c->used = 0;
}

static void console_put(struct sink *s, char ch) {
  struct console_sink *c = (struct console_sink *)s;
  c->line[c->used++] = ch;
  if (ch == '\n' || c->used == sizeof c->line) console_flush(c);
}

int vprintf(const char *fmt, va_list ap) {
  struct console_sink c = {.base = {.put = console_put}};
  format(&c.base, fmt, ap);
  console_flush(&c);
  return (int)c.base.count;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}

static void buffer_put(struct sink *s, char ch) {
  if (s->count + 1 < s->size) s->buf[s->count] = ch;
}

// As C's snprintf: writes at most size - 1 characters and a terminating NUL, returns the untruncated length.
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  struct sink s = {.put = buffer_put, .buf = buf, .size = size};
  format(&s, fmt, ap);
  if (size) buf[s.count < size ? s.count : size - 1] = '\0';
  return (int)s.count;
}

int snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

int puts(const char *s) {
  plat_console_write(s, strlen(s));
  plat_console_write("\n", 1);
  return 1;
}

int putchar(int c) {
  char ch = (char)c;
  plat_console_write(&ch, 1);
  return (unsigned char)ch;
}

void panic(const char *fmt, ...) {
  static int panicking;
  if (panicking++) plat_exit(KIT_EXIT_PANIC);  // a fault while printing the panic: just stop
  va_list ap;
  va_start(ap, fmt);
  printf("panic: ");
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  plat_exit(KIT_EXIT_PANIC);
}
