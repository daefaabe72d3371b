// The mutation engine and driver (see mutator.h).
#include "mutator.h"

#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace ring1::fuzz {

namespace {
constexpr u32 kInteresting32[] = {0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x1000, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
                                  0x100000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0xFC000000,
                                  0xC0000000, 0x1BADB002, 0x464C457F};
}  // namespace

void mutate(std::vector<u8>& d, Rng& rng, std::span<const u8> other, size_t max_size) {
  const u32 rounds = 1 + rng.below(8);
  for (u32 r = 0; r < rounds; ++r) {
    if (d.empty()) d.push_back(u8(rng.next()));
    const size_t n = d.size();
    switch (rng.below(10)) {
      case 0: d[rng.below(u32(n))] ^= u8(1u << rng.below(8)); break;
      case 1: d[rng.below(u32(n))] = u8(rng.next()); break;
      case 2: {  // an interesting 32-bit value, little-endian, anywhere
        const u32 v = kInteresting32[rng.below(sizeof kInteresting32 / 4)];
        const size_t at = rng.below(u32(n));
        for (size_t k = 0; k < 4 && at + k < n; ++k) d[at + k] = u8(v >> (8 * k));
        break;
      }
      case 3: {  // add or subtract a little from a word
        const size_t at = rng.below(u32(n));
        u32 v = 0;
        for (size_t k = 0; k < 4 && at + k < n; ++k) v |= u32(d[at + k]) << (8 * k);
        v += u32(rng.below(33)) - 16;
        for (size_t k = 0; k < 4 && at + k < n; ++k) d[at + k] = u8(v >> (8 * k));
        break;
      }
      case 4: {  // copy a block within the input
        const size_t len = 1 + rng.below(u32(std::min<size_t>(n, 64)));
        const size_t from = rng.below(u32(n - len + 1)), to = rng.below(u32(n - len + 1));
        std::memmove(d.data() + to, d.data() + from, len);
        break;
      }
      case 5: {  // insert random bytes
        if (n >= max_size) break;
        const size_t len = 1 + rng.below(16);
        const size_t at = rng.below(u32(n + 1));
        std::vector<u8> ins(len);
        for (u8& b : ins) b = u8(rng.next());
        d.insert(d.begin() + std::ptrdiff_t(at), ins.begin(), ins.end());
        break;
      }
      case 6: {  // delete a block
        const size_t len = 1 + rng.below(u32(std::min<size_t>(n, 64)));
        const size_t at = rng.below(u32(n - len + 1));
        d.erase(d.begin() + std::ptrdiff_t(at), d.begin() + std::ptrdiff_t(at + len));
        break;
      }
      case 7: d.resize(rng.below(u32(n)) + 1); break;  // truncate
      case 8: {  // splice: a block of the other input over this one
        if (other.empty()) break;
        const size_t len = 1 + rng.below(u32(std::min<size_t>(other.size(), 256)));
        const size_t from = rng.below(u32(other.size() - len + 1));
        const size_t at = rng.below(u32(n));
        if (at + len > d.size()) d.resize(std::min(max_size, at + len));
        std::memcpy(d.data() + at, other.data() + from, std::min(len, d.size() - at));
        break;
      }
      case 9: {  // append a block of the other input (sequences of hypercall records grow this way)
        if (other.empty() || n >= max_size) break;
        const size_t len = std::min(max_size - n, size_t(1 + rng.below(u32(other.size()))));
        const size_t from = rng.below(u32(other.size() - len + 1));
        d.insert(d.end(), other.begin() + std::ptrdiff_t(from), other.begin() + std::ptrdiff_t(from + len));
        break;
      }
    }
  }
}

DriverResult run_driver(const char* name, const std::vector<std::vector<u8>>& corpus, const Target& target,
                        const DriverOptions& o) {
  DriverResult res;
  Rng rng(o.seed);
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  auto run_one = [&](std::span<const u8> input) {
    ++res.executions;
    const std::string what = target(input);
    if (what.empty()) return;
    ++res.failures;
    std::string saved;
    if (!o.save_dir.empty()) {
      saved = fmt::format("{}/{}-crash-{}.bin", o.save_dir, name, res.executions);
      if (std::FILE* f = std::fopen(saved.c_str(), "wb")) {
        std::fwrite(input.data(), 1, input.size(), f);
        std::fclose(f);
      }
    }
    fmt::print(stderr, "ring1-fuzz {}: FAILURE at execution {}: {}{}\n", name, res.executions, what,
               saved.empty() ? "" : " (input saved to " + saved + ")");
  };
  for (const auto& c : corpus) run_one(c);
  if (corpus.empty()) return res;
  std::vector<u8> input;
  for (u64 i = 0; (o.iterations == 0 || i < o.iterations) && (o.seconds <= 0 || elapsed() < o.seconds); ++i) {
    const auto& base = corpus[rng.below(u32(corpus.size()))];
    const auto& other = corpus[rng.below(u32(corpus.size()))];
    input = base;
    mutate(input, rng, other, o.max_size);
    run_one(input);
  }
  res.seconds = elapsed();
  return res;
}

}  // namespace ring1::fuzz
