// QEMU's firmware configuration device on the PC's I/O ports (hw/nvram/fw_cfg.c, docs/specs/fw_cfg.rst): a
// guest writes a 16-bit key to the selector port 0x510 and reads the item's bytes one at a time from the
// data port 0x511. Test kernels written for QEMU ask it how many CPUs there are (key 0x05) before they
// start any, and firmware reads the RAM size and the e820 map from it. ring1 presents the items a kernel
// uses, with QEMU's encodings: fixed-size integers little-endian, the file directory big-endian.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "mmu/port_bus.h"

namespace ring1 {

class FwCfg {
 public:
  static constexpr u16 kSelectorPort = 0x510, kDataPort = 0x511;
  // Keys (QEMU's include/standard-headers/linux/qemu_fw_cfg.h).
  enum Key : u16 {
    Signature = 0x00, Id = 0x01, Uuid = 0x02, RamSize = 0x03, NoGraphic = 0x04, NbCpus = 0x05,
    MaxCpus = 0x0F, BootMenu = 0x0E, FileDir = 0x19, FileFirst = 0x20,
  };
  static constexpr u16 kFileSlots = 0x20;  // QEMU's default: keys 0x20..0x3F name files
  static constexpr u16 kEntryMask = 0x3FFF;  // without the write-channel and arch-local bits

  // One CPU; `ram_bytes` of RAM below 4 GiB laid out as the multiboot memory map says.
  explicit FwCfg(u64 ram_bytes);

  bool attach(PortBus& bus);
  void detach(PortBus& bus);

  void select(u16 key);
  u8 read_data();
  // The bytes of an item as the guest would read them from its start (tests).
  const std::vector<u8>* item(u16 key) const;

 private:
  static u32 port_read(void* ctx, u16 port, u8 size);
  static void port_write(void* ctx, u16 port, u8 size, u32 value);
  void add_file(const std::string& name, std::vector<u8> data);

  std::map<u16, std::vector<u8>> items_;  // keys with their arch-local bit, without the write bit
  std::vector<std::string> files_;        // names in key order from FileFirst
  u16 current_ = Signature;               // selected at reset, as QEMU's fw_cfg_reset does
  bool valid_ = true;
  u32 offset_ = 0;
};

}  // namespace ring1
