// QEMU's fw_cfg as a guest reads it (hw/nvram/fw_cfg.c, docs/specs/fw_cfg.rst): a 16-bit key to port
// 0x510, the item's bytes from 0x511 one at a time; what QEMU's PC machine answers for the signature, the
// ID, the CPU count, the RAM size and the file directory, and zeros for what it does not hold.
#include <gtest/gtest.h>

#include "devices/pc_guest.h"

namespace ring1::test {
namespace {

// Selects `key` and reads `n` bytes the way kvm-unit-tests' fwcfg_get_u does.
std::vector<u8> guest_item(PcGuest& m, u16 key, u32 n) {
  std::string src = fmt::format("mov ax, {:#x}\n mov dx, 0x510\n out dx, ax\n mov dx, 0x511\n mov edi, 0x5000\n", key);
  for (u32 i = 0; i < n; ++i) src += "in al, dx\n stosb\n";
  m.load_asm(src);
  EXPECT_EQ(m.run(), StopReason::Breakpoint);
  std::vector<u8> out(n);
  m.ram.read_bytes(0x5000, out.data(), n);
  return out;
}

u64 le(const std::vector<u8>& b) {
  u64 v = 0;
  for (size_t i = 0; i < b.size(); ++i) v |= u64(b[i]) << (8 * i);
  return v;
}

TEST(FwCfg, SignatureIsQemuAndIsSelectedAtReset) {
  PcGuest m;
  m.load_asm("mov dx, 0x511\n in al, dx\n mov bl, al\n in al, dx\n mov bh, al\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EBX) & 0xFFFF, u32('Q' | ('E' << 8))) << "no selection needed: reset selects the signature";
  const std::vector<u8> sig = guest_item(m, 0x0000, 4);
  EXPECT_EQ(std::string(sig.begin(), sig.end()), "QEMU");
}

TEST(FwCfg, IdSaysTheTraditionalInterfaceOnlyAndOneCpuIsPresent) {
  PcGuest m;
  EXPECT_EQ(le(guest_item(m, 0x01, 4)), 1u) << "bit 0: I/O ports; bit 1 (DMA) clear";
  EXPECT_EQ(le(guest_item(m, 0x05, 2)), 1u) << "FW_CFG_NB_CPUS";
  EXPECT_EQ(le(guest_item(m, 0x0F, 2)), 1u) << "FW_CFG_MAX_CPUS";
  EXPECT_EQ(le(guest_item(m, 0x03, 8)), u64(PcGuest::kRam)) << "FW_CFG_RAM_SIZE, 64-bit";
}

TEST(FwCfg, UnknownKeysAndReadsPastAnItemReadZero) {
  PcGuest m;
  EXPECT_EQ(le(guest_item(m, 0x11, 8)), 0u) << "a key in range without an item";
  EXPECT_EQ(le(guest_item(m, 0x1234, 4)), 0u) << "a key past the file slots selects nothing";
  EXPECT_EQ(le(guest_item(m, 0x8000, 4)), 0u) << "no arch-local items";
  const std::vector<u8> past = guest_item(m, 0x05, 4);
  EXPECT_EQ(past[0], 1u);
  EXPECT_EQ(past[2] | past[3], 0) << "the two-byte item is followed by zeros";
}

TEST(FwCfg, FileDirectoryListsTheE820MapBigEndianAndItsKeyReadsTheMap) {
  PcGuest m;
  const std::vector<u8> dir = guest_item(m, 0x19, 4 + 64);
  const u32 count = (u32(dir[0]) << 24) | (u32(dir[1]) << 16) | (u32(dir[2]) << 8) | dir[3];
  ASSERT_EQ(count, 1u);
  const u32 size = (u32(dir[4]) << 24) | (u32(dir[5]) << 16) | (u32(dir[6]) << 8) | dir[7];
  const u16 key = u16((dir[8] << 8) | dir[9]);
  EXPECT_EQ(size, 40u) << "two e820 entries of 20 bytes";
  EXPECT_EQ(key, 0x20u) << "the first file slot";
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&dir[12])), "etc/e820");
  const std::vector<u8> map = guest_item(m, key, 40);
  const std::vector<u8> second_base(map.begin() + 20, map.begin() + 28);
  const std::vector<u8> second_len(map.begin() + 28, map.begin() + 36);
  EXPECT_EQ(le(std::vector<u8>(map.begin() + 8, map.begin() + 16)), 0x9FC00u);
  EXPECT_EQ(le(second_base), 0x100000u);
  EXPECT_EQ(le(second_len), u64(PcGuest::kRam) - 0x100000);
  EXPECT_EQ(map[36], 1u) << "type 1: RAM";
}

}  // namespace
}  // namespace ring1::test
