#include "devices/fw_cfg.h"

#include <algorithm>
#include <cstring>

namespace ring1 {

namespace {
void put_le(std::vector<u8>& v, u64 x, int bytes) {
  for (int i = 0; i < bytes; ++i) v.push_back(u8(x >> (8 * i)));
}
void put_be(std::vector<u8>& v, u64 x, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) v.push_back(u8(x >> (8 * i)));
}
std::vector<u8> le(u64 x, int bytes) {
  std::vector<u8> v;
  put_le(v, x, bytes);
  return v;
}
}  // namespace

// What QEMU's PC machine puts there for one CPU and no graphics (hw/i386/fw_cfg.c, hw/nvram/fw_cfg.c):
// the signature "QEMU"; the ID with bit 0 only (the traditional I/O interface: ring1 has no fw_cfg DMA, so
// bit 1 stays clear and no DMA port answers); a zero UUID; the RAM size (64-bit); no-graphic 1; one CPU
// present and at most; no boot menu; and the file "etc/e820", the memory map firmware hands to a kernel
// (entries of u64 address, u64 length, u32 type, little-endian): RAM below the 640 KiB hole and RAM from
// 1 MiB, as in the multiboot map (multiboot_loader.cpp) but without the reserved ranges, as QEMU's file has.
FwCfg::FwCfg(u64 ram_bytes) {
  items_[Signature] = {'Q', 'E', 'M', 'U'};
  items_[Id] = le(1, 4);
  items_[Uuid] = std::vector<u8>(16, 0);
  items_[RamSize] = le(ram_bytes, 8);
  items_[NoGraphic] = le(1, 2);
  items_[NbCpus] = le(1, 2);
  items_[MaxCpus] = le(1, 2);
  items_[BootMenu] = le(0, 2);
  std::vector<u8> e820;
  auto entry = [&](u64 addr, u64 len, u32 type) {
    put_le(e820, addr, 8);
    put_le(e820, len, 8);
    put_le(e820, type, 4);
  };
  entry(0, 0x9FC00, 1);
  if (ram_bytes > 0x100000) entry(0x100000, ram_bytes - 0x100000, 1);
  add_file("etc/e820", std::move(e820));
}

// The directory (key 0x19): a big-endian count, then per file its size (be32), key (be16), a reserved
// be16 and a 56-byte NUL-padded name.
void FwCfg::add_file(const std::string& name, std::vector<u8> data) {
  const u16 key = u16(FileFirst + files_.size());
  files_.push_back(name);
  std::vector<u8> dir;
  put_be(dir, files_.size(), 4);
  for (size_t i = 0; i < files_.size(); ++i) {
    const u16 k = u16(FileFirst + i);
    put_be(dir, (k == key ? data : items_[k]).size(), 4);
    put_be(dir, k, 2);
    put_be(dir, 0, 2);
    char n[56] = {};
    std::memcpy(n, files_[i].data(), std::min<size_t>(files_[i].size(), 55));
    dir.insert(dir.end(), n, n + 56);
  }
  items_[FileDir] = std::move(dir);
  items_[key] = std::move(data);
}

bool FwCfg::attach(PortBus& bus) { return bus.attach(kSelectorPort, 2, {&port_read, &port_write, this}); }
void FwCfg::detach(PortBus& bus) { bus.detach(kSelectorPort, 2); }

// A key past the last file slot selects nothing; a key in range without an item selects an empty one.
// Either way reads return 0, as in QEMU (fw_cfg_select, fw_cfg_data_read).
void FwCfg::select(u16 key) {
  offset_ = 0;
  valid_ = (key & kEntryMask) < FileFirst + kFileSlots;
  current_ = u16(key & ~0x4000);
}

u8 FwCfg::read_data() {
  if (!valid_) return 0;
  auto it = items_.find(current_);
  if (it == items_.end() || offset_ >= it->second.size()) return 0;
  return it->second[offset_++];
}

const std::vector<u8>* FwCfg::item(u16 key) const {
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : &it->second;
}

// QEMU's I/O ports are one two-byte region: a byte read at either port is the next data byte; a 16-bit
// write selects; a byte write is the obsolete data write, which QEMU ignores. Other widths are not decoded
// there (all ones, as an unclaimed port).
u32 FwCfg::port_read(void* ctx, u16, u8 size) {
  if (size != 1) return size == 2 ? 0xFFFF : 0xFFFFFFFF;
  return static_cast<FwCfg*>(ctx)->read_data();
}

void FwCfg::port_write(void* ctx, u16, u8 size, u32 value) {
  if (size == 2) static_cast<FwCfg*>(ctx)->select(u16(value));
}

}  // namespace ring1
