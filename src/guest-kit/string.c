// string.c: the kit's small C library subset (see include/kit/string.h). memcpy and memset, which zero and
// copy whole pages, use REP MOVS/STOS by doublewords, then bytes (one instruction each; ring1 charges every
// element); the rest are plain loops.
#include "kit/string.h"

#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n) {
  void *d = dst;
  const void *s = src;
  size_t words = n / 4, bytes = n % 4;
  __asm__ volatile("rep movsl\n\t"
                   "mov %3, %%ecx\n\t"
                   "rep movsb"
                   : "+D"(d), "+S"(s), "+c"(words)
                   : "r"(bytes)
                   : "memory");
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s) return memcpy(dst, src, n);
  while (n--) d[n] = s[n];
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  void *d = dst;
  size_t words = n / 4, bytes = n % 4;
  uint32_t fill = (unsigned char)c * 0x01010101u;  // the byte in all four lanes
  __asm__ volatile("rep stosl\n\t"
                   "mov %3, %%ecx\n\t"
                   "rep stosb"
                   : "+D"(d), "+c"(words)
                   : "a"(fill), "r"(bytes)
                   : "memory");
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n; n--, a++, b++) {
    if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
    if (!*a) return 0;
  }
  return 0;
}

char *strcpy(char *dst, const char *src) {
  char *d = dst;
  while ((*d++ = *src++)) {}
  return dst;
}
