// cmdline.h: a kit kernel's parameters from its command line (kit_boot.cmdline), as the guests run in several
// roles take them: a leading role word ("grant ...", "map ...") and "key=decimal" settings. Inline, like
// div64.h: a kernel reads them once at start.
#pragma once
#include <stdint.h>

#include "kit/kit.h"
#include "kit/string.h"

// The decimal value of "key=" in the command line (at the start of a word), or `def` when it is absent.
static inline uint32_t kit_arg(const char *key, uint32_t def) {
  size_t n = strlen(key);
  for (const char *p = kit_boot.cmdline; *p; p++) {
    if ((p == kit_boot.cmdline || p[-1] == ' ') && strncmp(p, key, n) == 0 && p[n] == '=') {
      uint32_t v = 0;
      for (p += n + 1; *p >= '0' && *p <= '9'; p++) v = v * 10 + (uint32_t)(*p - '0');
      return v;
    }
  }
  return def;
}

// Whether the command line starts with `word`: the kernel's role in a run of several domains.
static inline int kit_role(const char *word) { return strncmp(kit_boot.cmdline, word, strlen(word)) == 0; }
