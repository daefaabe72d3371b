// ulib.c: the little library lmbench-os's programs share (user image: ring 3 may call only code there).
#include "ulib.h"

int u_strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

void u_print(const char *s) { u_write(1, s, user_strlen(s)); }

void line_text(struct line *l, const char *s, uint32_t width) {
  uint32_t n = 0;
  for (; s[n] && l->len < sizeof l->buf - 1; n++) l->buf[l->len++] = s[n];
  for (; n < width && l->len < sizeof l->buf - 1; n++) l->buf[l->len++] = ' ';
}

void line_number(struct line *l, uint64_t v, uint32_t width) {
  char digits[24];
  uint32_t n = 0;
  do {
    uint64_t q = v / 10;
    digits[n++] = (char)('0' + (v - q * 10));
    v = q;
  } while (v);
  for (uint32_t i = n; i < width && l->len < sizeof l->buf - 1; i++) l->buf[l->len++] = ' ';
  while (n && l->len < sizeof l->buf - 1) l->buf[l->len++] = digits[--n];
}

void line_write(struct line *l) {
  l->buf[l->len++] = '\n';
  u_write(1, l->buf, l->len);
  l->len = 0;
}

// Shell sort (Ciura's gaps): the sample counts are small.
void u_sort(uint32_t *v, uint32_t n) {
  static const uint32_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
  for (uint32_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++)
    for (uint32_t i = gaps[g]; i < n; i++) {
      uint32_t x = v[i], j = i;
      for (; j >= gaps[g] && v[j - gaps[g]] > x; j -= gaps[g]) v[j] = v[j - gaps[g]];
      v[j] = x;
    }
}

unsigned u_atou(const char *s) {
  unsigned v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (unsigned)(*s++ - '0');
  return v;
}
