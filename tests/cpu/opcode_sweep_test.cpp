// A walk over the opcode space of the P6 integer ISA (every one-byte opcode and every 0F xx, each with all
// eight ModRM reg fields, register and memory forms) that asks two processors: Unicorn (QEMU's x86 in 32-bit
// protected mode) and ring1's decoder. What Unicorn executes and ring1 turns into #UD is listed; the test
// pins that list, which docs/cpu-model.md reproduces. x87 (D8-DF), MMX and SSE are outside the P6 integer
// ISA and skipped; so are prefixes, which are not opcodes of their own.
#include <gtest/gtest.h>
#include <unicorn/unicorn.h>

#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cpu/decode/decode_cache.h"
#include "cpu/isa/ud.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

constexpr u32 kCode = 0x100000, kData = 0x1000;

bool is_prefix(u8 b) {
  switch (b) {
    case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65: case 0x66: case 0x67:
    case 0xF0: case 0xF2: case 0xF3: case 0x0F:
      return true;
    default:
      return false;
  }
}

// 0F xx outside the integer ISA: MMX, SSE and their prefetch/cache-control neighbours, 3DNow!, the 0F38/0F3A
// escapes. (0F 18-1F are hint NOPs on the P6 and are kept.)
bool is_simd_0f(u8 b) {
  return (b >= 0x10 && b <= 0x17) || (b >= 0x28 && b <= 0x2F) || (b >= 0x50 && b <= 0x7F) || b == 0x0E ||
         b == 0x0F || b == 0x38 || b == 0x3A || b == 0xAE || b == 0xC2 || (b >= 0xC3 && b <= 0xC6) ||
         b >= 0xD0 || b == 0x78 || b == 0x79 || b == 0xB8 || b == 0xBC || b == 0xBD || b == 0x0D;
}

// Unicorn's verdict: true if it decodes and starts executing the bytes (it may fault later on memory or
// privilege: that is still an instruction), false on #UD.
struct Uc {
  static void on_intr(uc_engine* uc, u32 intno, void* ud) {
    *static_cast<u32*>(ud) = intno;
    uc_emu_stop(uc);
  }
  bool valid(const std::vector<u8>& bytes) {
    uc_engine* uc = nullptr;
    if (uc_open(UC_ARCH_X86, UC_MODE_32, &uc) != UC_ERR_OK) return false;
    uc_mem_map(uc, 0, 0x200000, UC_PROT_ALL);
    uc_mem_write(uc, kCode, bytes.data(), bytes.size());
    for (int r : {UC_X86_REG_EAX, UC_X86_REG_EBX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_ESI,
                  UC_X86_REG_EDI, UC_X86_REG_EBP}) {
      u32 v = kData;
      uc_reg_write(uc, r, &v);
    }
    u32 esp = 0x80000;
    uc_reg_write(uc, UC_X86_REG_ESP, &esp);
    u32 intno = ~0u;
    uc_hook hook;
    uc_hook_add(uc, &hook, UC_HOOK_INTR, reinterpret_cast<void*>(&on_intr), &intno, 1, 0);
    const uc_err e = uc_emu_start(uc, kCode, kCode + 0x1000, 100000, 1);
    uc_close(uc);
    return e != UC_ERR_INSN_INVALID && intno != 6;
  }
};

// Register forms of far CALL/JMP through memory (FF /3, FF /5 with mod = 11) are #UD on every x86 and in
// ring1, but abort Unicorn 2.0.1's code generator ("tcg fatal error"): not asked.
bool unicorn_aborts(const std::vector<u8>& b) {
  return b[0] == 0xFF && (b[1] == 0xDB || b[1] == 0xEB || (b[1] & 0xF8) == 0xD8 || (b[1] & 0xF8) == 0xE8);
}

bool ring1_ud(const DecodeCache& cache, const std::vector<u8>& bytes) {
  Insn insn;
  if (!cache.build_insn(bytes.data(), u32(bytes.size()), true, insn)) return true;
  return insn.fn == &exec_ud;
}

std::string name(const std::vector<u8>& op, int reg) {
  std::string s;
  for (u8 b : op) s += fmt::format("{:02X} ", b);
  return reg < 0 ? s.substr(0, s.size() - 1) : s + fmt::format("/{}", reg);
}

TEST(OpcodeSweep, EveryP6IntegerOpcodeUnicornExecutesRing1ExecutesTooExceptTheListedOnes) {
  TestMachine m;
  const DecodeCache& cache = m.cpu.decode_cache();
  Uc uc;
  std::set<std::string> missing;
  std::vector<std::vector<u8>> opcodes;
  for (unsigned b = 0; b < 256; ++b)
    if (!is_prefix(u8(b)) && !(b >= 0xD8 && b <= 0xDF)) opcodes.push_back({u8(b)});
  for (unsigned b = 0; b < 256; ++b)
    if (!is_simd_0f(u8(b))) opcodes.push_back({0x0F, u8(b)});
  for (const auto& op : opcodes) {
    std::set<int> regs_missing;
    for (int reg = 0; reg < 8; ++reg) {
      for (u8 mod : {u8(0xC0), u8(0x00)}) {
        std::vector<u8> bytes = op;
        bytes.push_back(u8(mod | (reg << 3)));  // ModRM: register form, or [eax]
        bytes.resize(15, 0);                     // immediates and displacements read as zero
        if (unicorn_aborts(bytes)) continue;
        if (ring1_ud(cache, bytes) && uc.valid(bytes)) regs_missing.insert(reg);  // Unicorn only when needed
      }
    }
    if (regs_missing.size() == 8) missing.insert(name(op, -1));
    else for (int r : regs_missing) missing.insert(name(op, r));
  }
  // Where the two disagree, ring1 follows the Intel P6 and Unicorn (QEMU's "max"-like CPU) a later or an AMD
  // part: each of these is #UD on a Pentium II (SDM vol. 2, opcode map, and the instructions' CPUID flags).
  const std::set<std::string> expected = {
      "0F 05",  // SYSCALL: AMD's; #UD on Intel processors outside 64-bit mode
      "8F /1", "8F /2", "8F /3", "8F /4", "8F /5", "8F /6", "8F /7",  // POP r/m needs reg = 0 (AMD's XOP)
      "C5",     // LDS with a register operand (a VEX prefix only on AVX processors)
      "C6 /7", "C7 /7",  // XABORT/XBEGIN (TSX)
  };
  std::string got;
  for (const auto& s : missing) got += s + "\n";
  EXPECT_EQ(missing, expected) << "Unicorn executes and ring1 #UDs:\n" << got;
}

}  // namespace
}  // namespace ring1::test
