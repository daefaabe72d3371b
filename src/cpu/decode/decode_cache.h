// Decoded instructions, cached per physical page (DESIGN.md, src/cpu). A Block is a straight run of Insn
// that starts at a physical address and ends at a control transfer, the end of its 4 KiB frame, or a length
// cap. The 64-byte lines it covers are marked as holding code; a write overlapping one (a guest store, a
// loader, DMA) drops the blocks whose bytes it overlaps, so self-modifying code re-decodes while data that
// shares the frame but not the lines costs nothing. Zydis runs only when a block is built.
#pragma once
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/cost_profile.h"
#include "cpu/cpu_model.h"
#include "cpu/decode/zydis_decoder.h"
#include "cpu/insn.h"
#include "cpu/sensitive.h"
#include "mmu/physical_memory.h"

namespace ring1 {

struct Block {
  u32 phys = 0;
  u8 mode = 0;    // bit 0: 32-bit code segment
  u32 bytes = 0;  // bytes covered, first to last instruction
  std::vector<Insn> insns;
  // The translation tier's (src/jit): how often the block ran, and its host code, valid while `jit_epoch`
  // matches the tier's current code arena. Freed with the block; the decode cache never reads them.
  mutable u32 heat = 0;
  mutable u32 jit_epoch = 0;
  mutable const void* jit_code = nullptr;
  // Where another block's translation jumps to go straight on into this one (jit/block_compiler.cpp).
  mutable const void* jit_chain = nullptr;
};

// A decoded instruction the decoder marked as sensitive (cpu/sensitive.h): its Insn runs
// exec_sensitive, which finds here the handler it stands in front of and the table row it belongs to.
struct SensitiveMark {
  Handler original = nullptr;
  SensitiveInsn insn = SensitiveInsn::Count;
};

// The handler every marked Insn runs instead of its own (cpu/sensitive_watch.cpp).
void exec_sensitive(Cpu& c, const Insn& i);

struct DecodeCacheStats {
  u64 blocks_built = 0;
  u64 insns_decoded = 0;
  u64 frames_invalidated = 0;
};

class DecodeCache {
 public:
  static constexpr u32 kMaxBlockInsns = 32;

  DecodeCache(PhysicalMemory& ram, const CostProfile& costs);

  // The block starting at `phys` in `mode`, building it if needed. nullptr when the first instruction does
  // not fit in its frame (it straddles two pages); the caller decodes that one alone with build_insn().
  const Block* get(u32 phys, u8 mode) {
    Block* b = fast_[slot(phys)];
    if (b && b->phys == phys && b->mode == mode) [[likely]] return b;
    return get_slow(phys, mode);
  }

  // Decodes one instruction from `avail` bytes into `out` (an Insn raising #UD if the bytes are not an
  // instruction ring1 executes). Returns false if more bytes are needed. `sensitive`, if given, receives the
  // instruction's row in the sensitive-instruction table, or SensitiveInsn::Count.
  bool build_insn(const u8* bytes, u32 avail, bool code32, Insn& out, SensitiveInsn* sensitive = nullptr) const;

  // Sensitive-instruction marking (cpu/sensitive.h). When on, an Insn of a table row, once at its final
  // address, is made to run exec_sensitive, which records executions in deprivileged rings and then runs
  // the instruction's own handler; unmarked instructions are untouched, so the run loop pays nothing for
  // them. Changing it drops every decoded block.
  void set_sensitive_marking(bool on) {
    marking_ = on;
    invalidate_all();
  }
  bool sensitive_marking() const { return marking_; }
  // Makes `insn` (at its final address) run exec_sensitive if marking is on and `row` is a table row.
  void arm_sensitive(Insn& insn, SensitiveInsn row);
  // The mark of an Insn that runs exec_sensitive.
  const SensitiveMark& sensitive_mark(const Insn* insn) const;

  // Drops every block decoded from this frame. Blocks are freed at the next collect(), never while a
  // block may still be executing.
  void invalidate_frame(u32 frame);
  // Drops the blocks whose bytes overlap [paddr, paddr + len) (inside one frame), keeps the frame's other
  // blocks and their code-line marks; returns whether any block went.
  bool invalidate_range(u32 paddr, u32 len);
  void invalidate_all();
  void collect() {
    if (!graveyard_.empty()) [[unlikely]] collect_slow();
  }

  // The generation builders decode for (cpu_model.h): some forms bind a model's own handler, so the
  // hot path never asks. Changing it drops every decoded block.
  void set_model(CpuModel m) {
    model_ = m;
    invalidate_all();
  }
  CpuModel model() const { return model_; }

  const InsnDecoder& decoder() const { return decoder_; }
  // get()'s direct-mapped slots, for translated code that finds the next block as get() would on a hit.
  static constexpr u32 kFastSlots = 1u << 14;
  static u32 slot(u32 phys) { return (phys ^ (phys >> 14)) & (kFastSlots - 1); }
  Block* const* fast_slots() const { return fast_.data(); }
  const DecodeCacheStats& stats() const { return stats_; }

 private:
  const Block* get_slow(u32 phys, u8 mode);
  void collect_slow();

  PhysicalMemory& ram_;
  const CostProfile& costs_;
  InsnDecoder decoder_;
  std::vector<Block*> fast_;
  std::unordered_map<u32, std::vector<std::unique_ptr<Block>>> by_frame_;
  std::vector<std::unique_ptr<Block>> graveyard_;
  DecodeCacheStats stats_;
  CpuModel model_ = kDefaultCpuModel;
  bool marking_ = true;
  // Marked instructions by address. Entries of dropped blocks go when the blocks are freed (collect).
  std::unordered_map<const Insn*, SensitiveMark> marks_;
};

}  // namespace ring1
