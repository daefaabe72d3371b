// parse_count: how every count option of ring1 reads a number (--max-instructions, --pv-pages, --domain's
// memory=, --bvt's mcu=, ...): decimal digits, or 0x and hex digits, nothing else (no sign, no exponent, no
// spaces), at most `max`. One reader, so that every option accepts and refuses the same spellings.
#pragma once
#include <optional>
#include <string>

#include "common/types.h"

namespace ring1 {

inline std::optional<u64> parse_count(const std::string& text, u64 max) {
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const std::string digits = hex ? text.substr(2) : text;
  if (digits.empty()) return std::nullopt;
  const u64 base = hex ? 16 : 10;
  u64 v = 0;
  for (char ch : digits) {
    u64 d;
    if (ch >= '0' && ch <= '9') d = u64(ch - '0');
    else if (hex && ch >= 'a' && ch <= 'f') d = u64(ch - 'a' + 10);
    else if (hex && ch >= 'A' && ch <= 'F') d = u64(ch - 'A' + 10);
    else return std::nullopt;
    if (v > (max - d) / base) return std::nullopt;
    v = v * base + d;
  }
  return v;
}

}  // namespace ring1
