// The hypervisor's own memory: machine frames taken from the top of RAM, and the page tables that map them
// into the top 64 MB of every address space (layout.h). It holds what the processor needs to enter ring 0
// from a guest — a GDT with Xen's reserved entries, an IDT whose gates lead to small entry stubs, a TSS
// naming the ring-0 stack — and the machine-to-physical table guests may read. The stubs are real code: a
// hypercall or a fault is a gate transition on the emulated CPU, the stub runs VMCALL (the host escape,
// cpu.h) and returns by IRET, so every entry costs what the cycle model says it costs.
#pragma once
#include <array>

#include "hypervisor/layout.h"
#include "mmu/physical_memory.h"

namespace ring1 {
class Cpu;  // cpu/cpu.h: install() loads its GDTR, IDTR, TR and CR4
}

namespace ring1::hv {

class HypervisorSpace {
 public:
  // Takes the top frames of `ram`. With `global_mappings`, the hypervisor's pages are marked global (PTE.G)
  // so that CR3 writes keep them in the TLB, as the 2003 Xen did with CR4.PGE.
  HypervisorSpace(PhysicalMemory& ram, bool global_mappings);

  // Frames at and above this one are the hypervisor's; a guest may never map them.
  u32 first_reserved_frame() const { return first_frame_; }
  // The page-directory entry for hypervisor slot `i` (0..15, linear 0xFC000000 + i * 4 MB), to be copied
  // into every guest page directory (Xen: init_xen_l2_slots).
  u32 l2_entry(u32 i) const { return l2_[i]; }
  // Copies the hypervisor's slots into the page directory at machine address `pd`.
  void fill_l2_slots(u32 pd) const;

  // A page directory holding only the hypervisor's slots: its own address space, for the experiment that
  // places the hypervisor outside the guest's (--hv-layout separate).
  u32 own_page_directory() const { return own_pd_frame_ * kPageSize; }

  // The guest's part of the GDT (pages 0..13, Xen's set_gdt): page `i` shows machine frame `mfn`, or the
  // hypervisor's own empty page again with reset_gdt_page. The caller flushes the TLB entry.
  void set_gdt_page(u32 i, u32 mfn);
  void reset_gdt_page(u32 i);
  static constexpr u32 kGuestGdtPages = kFirstReservedGdtEntry / 512;  // 14

  // Loads GDTR, IDTR and TR and sets CR4.PGE when the mappings are global. CR3 is the caller's.
  void install(Cpu& cpu) const;

  // The machine address behind a linear address of the private part (the stack, the TSS), for host-side
  // reads and writes of the hypervisor's own data.
  u32 machine(u32 lin) const { return private_frame_ * kPageSize + (lin - kPrivateStart); }

  // The frames that hold the machine-to-physical table (mapped read-only at 0xFC000000); its contents are
  // MachToPhys's.
  u32 m2p_first_frame() const { return m2p_frame_; }
  u32 m2p_frames() const { return m2p_frames_; }

  // TSS.SS1:ESP1: the guest kernel's stack, which the CPU takes for a ring-3 -> ring-1 gate (the direct
  // system-call gate) and which the hypervisor uses for bounces from ring 3 (stack_switch).
  void set_ring1_stack(u16 ss, u32 esp);
  // IDT entries. Vectors without a stub (anything but 0..31, 0x82 and 0xfc) are not present unless set here.
  void set_trap_gate(u8 vector, u16 selector, u32 offset, u8 dpl);
  void clear_gate(u8 vector);
  bool has_stub(u8 vector) const { return vector < 32 || vector == kHypercallVector || vector == kEventCheckVector; }
  // The gate a vector has in the IDT when the guest has asked for nothing (its stub, or not present).
  void reset_gate(u8 vector);
  u32 stub_address(u8 vector) const;

 private:
  void write_gdt_entry(u32 index, u64 desc);
  void build_stubs();

  PhysicalMemory& ram_;
  bool global_;
  u32 first_frame_ = 0;
  u32 own_pd_frame_ = 0;
  u32 private_l1_frame_ = 0;
  u32 private_frame_ = 0;  // first machine frame of the private part (contiguous)
  u32 m2p_frame_ = 0;      // first machine frame of the M2P table (contiguous)
  u32 m2p_frames_ = 0;
  std::array<u32, kHvL2Slots> l2_{};
};

}  // namespace ring1::hv
