#include "cpu/decode/decode_cache.h"

#include <algorithm>
#include <array>

#include "cpu/isa/isa_table.h"
#include "cpu/isa/ud.h"

namespace ring1 {

namespace {

// The first generation that executes a mnemonic, for the ones later than the 386 (SDM vol. 2 and the
// "Architecture Compatibility" chapters of vol. 3): on an earlier model the bytes are #UD, as there.
CpuModel first_model(const DecodedInsn& d) {
  using M = Mnemonic;
  switch (d.mnemonic) {
    case M::BSWAP: case M::CMPXCHG: case M::XADD: case M::INVD: case M::WBINVD: case M::INVLPG:
    case M::CPUID:  // the late 486 steppings ring1's 486 stands for have it
      return CpuModel::I486;
    // The Pentium's (ring1 has no Pentium model: they come with the P6) and the P6's own.
    case M::RDTSC: case M::RDMSR: case M::WRMSR: case M::CMPXCHG8B: case M::SYSENTER: case M::SYSEXIT:
    case M::ENDBR32:
    case M::CMOVO: case M::CMOVNO: case M::CMOVB: case M::CMOVNB: case M::CMOVZ: case M::CMOVNZ:
    case M::CMOVBE: case M::CMOVNBE: case M::CMOVS: case M::CMOVNS: case M::CMOVP: case M::CMOVNP:
    case M::CMOVL: case M::CMOVNL: case M::CMOVLE: case M::CMOVNLE:
      return CpuModel::P6;
    case M::NOP:  // 90 on every model; the multi-byte NOP r/m (0F 1F) is the P6's
      return d.escape == 1 ? CpuModel::P6 : CpuModel::I386;
    default:
      return CpuModel::I386;
  }
}

// 0F 18-0F 1F with a ModRM operand: the "hint NOP" space. The P6 executes every form as a NOP that names,
// but never accesses, its memory operand (SDM vol. 2, NOP, and the opcode map's "reserved-NOP" rows); later
// processors gave some forms meanings (PREFETCHh, MPX, CLDEMOTE) that Zydis decodes, and that a processor
// without those features still runs as NOPs.
void hint_nop(Cpu&, const Insn&) {}

// The length of an unprefixed 0F 18-1F instruction whose form Zydis rejects (an MPX form naming a bound
// register that does not exist, say): opcode, ModRM, SIB and displacement (SDM vol. 2, 2.1.5). 0 if the
// bytes are not such an instruction.
u8 hint_nop_length(const u8* b, u32 avail, bool code32) {
  if (avail < 3 || b[0] != 0x0F || b[1] < 0x18 || b[1] > 0x1F) return 0;
  const u8 modrm = b[2], mod = modrm >> 6, rm = modrm & 7;
  u32 len = 3;
  if (mod == 3) return u8(len);
  if (code32) {
    if (rm == 4) {
      if (avail < 4) return 0;
      ++len;
      if (mod == 0 && (b[3] & 7) == 5) len += 4;
    }
    if (mod == 0 && rm == 5) len += 4;
    len += mod == 1 ? 1 : mod == 2 ? 4 : 0;
  } else {
    if (mod == 0 && rm == 6) len += 2;
    len += mod == 1 ? 1 : mod == 2 ? 2 : 0;
  }
  return len <= avail ? u8(len) : 0;
}

// The bytes a block's decoding depended on: its instructions, and for one that decoded as invalid (#UD,
// length 1) the rest of the 15 bytes the decoder looked at, since later bytes could have made it valid.
u32 decoded_extent(const Block& b) {
  const u32 frame_left = kPageSize - (b.phys & (kPageSize - 1));
  const bool undecodable = b.insns.back().fn == &exec_ud && b.insns.back().op == kUdInvalid;
  return undecodable ? std::min<u32>(b.bytes + 14, frame_left) : b.bytes;
}

}  // namespace

DecodeCache::DecodeCache(PhysicalMemory& ram, const CostProfile& costs)
    : ram_(ram), costs_(costs), fast_(kFastSlots, nullptr) {}

bool DecodeCache::build_insn(const u8* bytes, u32 avail, bool code32, Insn& out, SensitiveInsn* sensitive) const {
  DecodedInsn d;
  if (sensitive) *sensitive = SensitiveInsn::Count;
  DecodeStatus st = decoder_.decode(bytes, std::min<u32>(avail, 15), code32, d);
  if (st == DecodeStatus::NeedMoreBytes && avail < 15) return false;
  d.model = model_;

  out = Insn{};
  out.base = out.index = kNoReg;
  out.amask = 0xFFFFFFFFu;
  BuildInfo info;
  bool ok = false;
  u8 hint_len = 0;  // a hint NOP Zydis could not decode: its length
  if (st == DecodeStatus::Ok && d.mnemonic != Mnemonic::Invalid) {
    const IsaTable& isa = IsaTable::instance();
    Builder b = isa.builder(d.mnemonic);
    if (b && u8(d.model) >= u8(first_model(d))) {
      ok = b(d, out, info) && out.fn != nullptr;
      if (ok && isa.ends_block(d.mnemonic)) out.flags |= insn_flag::EndsBlock;
      if (ok && sensitive && marking_) *sensitive = classify_sensitive(d).value_or(SensitiveInsn::Count);
    }
  }
  if (!ok) {
    // Either not an instruction at all or one this core does not execute: both are #UD to the guest.
    // op records which, for the report (ud.h).
    out = Insn{};
    out.base = out.index = kNoReg;
    out.amask = 0xFFFFFFFFu;
    out.fn = &exec_ud;
    out.op = (st == DecodeStatus::Ok && d.mnemonic != Mnemonic::Invalid) ? kUdNotImplemented : kUdInvalid;
    if (st == DecodeStatus::Ok && d.escape == 1 && d.opcode >= 0x18 && d.opcode <= 0x1F && !d.lock &&
        d.model == CpuModel::P6)
      out.fn = &hint_nop;
    if (st != DecodeStatus::Ok && model_ == CpuModel::P6) {
      if (const u8 n = hint_nop_length(bytes, std::min<u32>(avail, 15), code32)) {
        out.fn = &hint_nop;
        hint_len = n;
      }
    }
    // An x87 instruction ring1 does not execute still honours CR0.EM/TS (#NM) first (fpu_absent.cpp).
    if (st == DecodeStatus::Ok && d.escape == 0 && d.opcode >= 0xD8 && d.opcode <= 0xDF) out.fn = &exec_esc_absent;
    out.flags |= insn_flag::EndsBlock;
    info.cost = CostClass::Simple;
  }
  out.len = st == DecodeStatus::Ok ? d.length : hint_len ? hint_len : 1;
  if (d.operand_size == 2) out.flags |= insn_flag::Osize16;
  if (d.address_size == 2) out.flags |= insn_flag::Asize16;
  if (d.rep) out.flags |= insn_flag::Rep;
  if (d.repne) out.flags |= insn_flag::Repne;
  if (d.lock) out.flags |= insn_flag::Lock;
  // At least one cycle, whatever the profile says: time must pass while instructions retire, or a cycle
  // limit (and every timed event) would never come for a guest looping on a zero-cost instruction.
  out.cycles = std::max<u8>(1, costs_.cost(info.cost));
  return true;
}

const Block* DecodeCache::get_slow(u32 phys, u8 mode) {
  u32 frame = phys >> kPageShift;
  auto& list = by_frame_[frame];
  for (auto& b : list) {
    if (b->phys == phys && b->mode == mode) {
      fast_[slot(phys)] = b.get();
      return b.get();
    }
  }

  auto block = std::make_unique<Block>();
  block->phys = phys;
  block->mode = mode;
  u32 page_end = (frame + 1) << kPageShift;
  u32 at = phys;
  // Rows of the sensitive instructions, by position in the block: they are armed once the block's
  // instructions have their final addresses.
  std::array<SensitiveInsn, kMaxBlockInsns> rows;
  bool any_sensitive = false;
  while (block->insns.size() < kMaxBlockInsns && at < page_end && ram_.contains(at, 1)) {
    u32 avail = std::min<u32>(page_end - at, u32(std::min<u64>(ram_.size() - at, 15)));
    Insn insn;
    SensitiveInsn row;
    if (!build_insn(ram_.host(at), avail, mode & 1, insn, &row)) break;  // straddles the frame's end
    rows[block->insns.size()] = row;
    any_sensitive |= row != SensitiveInsn::Count;
    block->insns.push_back(insn);
    ++stats_.insns_decoded;
    at += insn.len;
    if (insn.flags & insn_flag::EndsBlock) break;
  }
  if (block->insns.empty()) {
    if (list.empty()) by_frame_.erase(frame);
    return nullptr;
  }
  block->bytes = at - phys;
  block->insns.shrink_to_fit();
  if (any_sensitive)
    for (size_t k = 0; k < block->insns.size(); ++k) arm_sensitive(block->insns[k], rows[k]);
  ram_.mark_code(phys, decoded_extent(*block));
  ++stats_.blocks_built;
  Block* raw = block.get();
  list.push_back(std::move(block));
  fast_[slot(phys)] = raw;
  return raw;
}

void DecodeCache::arm_sensitive(Insn& insn, SensitiveInsn row) {
  if (!marking_ || row == SensitiveInsn::Count) return;
  marks_[&insn] = SensitiveMark{insn.fn, row};  // Cpu's scratch Insn is re-armed each time it is rebuilt
  insn.fn = &exec_sensitive;
}

const SensitiveMark& DecodeCache::sensitive_mark(const Insn* insn) const {
  static const SensitiveMark kNone{};
  auto it = marks_.find(insn);
  return it == marks_.end() ? kNone : it->second;
}

void DecodeCache::collect_slow() {
  if (!marks_.empty())
    for (const auto& b : graveyard_)
      for (const Insn& i : b->insns)
        if (i.fn == &exec_sensitive) marks_.erase(&i);
  graveyard_.clear();
}

void DecodeCache::invalidate_frame(u32 frame) {
  auto it = by_frame_.find(frame);
  if (it == by_frame_.end()) return;
  for (auto& b : it->second) {
    Block*& s = fast_[slot(b->phys)];
    if (s == b.get()) s = nullptr;
    graveyard_.push_back(std::move(b));
  }
  by_frame_.erase(it);
  ++stats_.frames_invalidated;
}

bool DecodeCache::invalidate_range(u32 paddr, u32 len) {
  const u32 frame = paddr >> kPageShift;
  auto it = by_frame_.find(frame);
  if (it == by_frame_.end()) {
    ram_.clear_code(frame);
    return false;
  }
  auto& list = it->second;
  bool dropped = false;
  ram_.clear_code(frame);
  for (size_t k = 0; k < list.size();) {
    Block* b = list[k].get();
    if (b->phys < paddr + len && paddr < b->phys + decoded_extent(*b)) {
      Block*& s = fast_[slot(b->phys)];
      if (s == b) s = nullptr;
      graveyard_.push_back(std::move(list[k]));
      list[k] = std::move(list.back());
      list.pop_back();
      dropped = true;
    } else {
      ram_.mark_code(b->phys, decoded_extent(*b));
      ++k;
    }
  }
  if (list.empty()) by_frame_.erase(it);
  if (dropped) ++stats_.frames_invalidated;
  return dropped;
}

void DecodeCache::invalidate_all() {
  std::vector<u32> frames;
  frames.reserve(by_frame_.size());
  for (auto& [f, _] : by_frame_) frames.push_back(f);
  for (u32 f : frames) {
    ram_.clear_code(f);
    invalidate_frame(f);
  }
}

}  // namespace ring1
