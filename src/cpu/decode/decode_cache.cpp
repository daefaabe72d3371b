#include "cpu/decode/decode_cache.h"

#include <algorithm>

#include "cpu/isa/isa_table.h"
#include "cpu/isa/ud.h"

namespace ring1 {

DecodeCache::DecodeCache(PhysicalMemory& ram, const CostProfile& costs)
    : ram_(ram), costs_(costs), fast_(kFastSlots, nullptr) {}

bool DecodeCache::build_insn(const u8* bytes, u32 avail, bool code32, Insn& out) const {
  DecodedInsn d;
  DecodeStatus st = decoder_.decode(bytes, std::min<u32>(avail, 15), code32, d);
  if (st == DecodeStatus::NeedMoreBytes && avail < 15) return false;

  out = Insn{};
  out.base = out.index = kNoReg;
  out.amask = 0xFFFFFFFFu;
  BuildInfo info;
  bool ok = false;
  if (st == DecodeStatus::Ok && d.mnemonic != Mnemonic::Invalid) {
    const IsaTable& isa = IsaTable::instance();
    if (Builder b = isa.builder(d.mnemonic)) {
      ok = b(d, out, info) && out.fn != nullptr;
      if (ok && isa.ends_block(d.mnemonic)) out.flags |= insn_flag::EndsBlock;
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
    out.flags |= insn_flag::EndsBlock;
    info.cost = CostClass::Simple;
  }
  out.len = st == DecodeStatus::Ok ? d.length : 1;
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
  while (block->insns.size() < kMaxBlockInsns && at < page_end && ram_.contains(at, 1)) {
    u32 avail = std::min<u32>(page_end - at, u32(std::min<u64>(ram_.size() - at, 15)));
    Insn insn;
    if (!build_insn(ram_.host(at), avail, mode & 1, insn)) break;  // straddles the frame's end
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
  ram_.mark_code(frame);
  ++stats_.blocks_built;
  Block* raw = block.get();
  list.push_back(std::move(block));
  fast_[slot(phys)] = raw;
  return raw;
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
