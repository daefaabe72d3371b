// Building the hypervisor's 64 MB: frames, page tables, GDT, IDT, TSS and entry stubs (see the header).
#include "hypervisor/hypervisor_space.h"
#include "common/arch_bits.h"

#include <stdexcept>

#include "cpu/cpu.h"
#include "cpu/descriptor_encoding.h"
#include "cpu/descriptors.h"

namespace ring1::hv {
namespace {

// Page-table entry bits (SDM vol. 3, 4.3, table 4-6).

// Code/data descriptor types (SDM vol. 3, table 3-1): execute/read and read/write, accessed.
constexpr u8 kCodeType = 0xB, kDataType = 0x3;


constexpr u32 kStubs = 34;  // vectors 0-31, the hypercall and the event check
u32 stub_slot(u8 vector) { return vector == kHypercallVector ? 32 : vector == kEventCheckVector ? 33 : vector; }

}  // namespace

HypervisorSpace::HypervisorSpace(PhysicalMemory& ram, bool global_mappings)
    : ram_(ram), global_(global_mappings) {
  const u32 ram_frames = static_cast<u32>(ram.size() >> kPageShift);
  m2p_frames_ = (ram_frames * 4 + kPageSize - 1) / kPageSize;
  const u32 total = 3 + kPrivatePages + m2p_frames_;
  // The guest must keep enough to boot something: a hypervisor that fills RAM is a configuration error.
  if (ram_frames < total + 256) throw std::runtime_error("not enough memory for the hypervisor and a guest");
  first_frame_ = ram_frames - total;
  const u32 m2p_l1 = first_frame_, private_l1 = first_frame_ + 1;
  own_pd_frame_ = first_frame_ + 2;
  private_l1_frame_ = private_l1;
  private_frame_ = first_frame_ + 3;
  m2p_frame_ = private_frame_ + kPrivatePages;

  for (u32 f = first_frame_; f < ram_frames; ++f) {
    static const u8 zero[kPageSize] = {};
    ram_.write_bytes(f * kPageSize, zero, kPageSize);
  }
  const u32 g = global_mappings ? pte::Global : 0;
  // Slot 1008: the M2P table, read-only (guests read it; the hypervisor writes it host-side).
  for (u32 i = 0; i < m2p_frames_; ++i) {
    const u32 pte = ((m2p_frame_ + i) << kPageShift) | pte::Present | pte::Accessed | g;
    ram_.write_bytes(m2p_l1 * kPageSize + i * 4, &pte, 4);
  }
  // Slot 1009: the private part, read-write, supervisor only.
  for (u32 i = 0; i < kPrivatePages; ++i) {
    const u32 pte = ((private_frame_ + i) << kPageShift) | pte::Present | pte::Writable | pte::Accessed | pte::Dirty | g;
    ram_.write_bytes(private_l1 * kPageSize + i * 4, &pte, 4);
  }
  l2_[0] = (m2p_l1 << kPageShift) | pte::Present | pte::Writable | pte::Accessed;
  l2_[1] = (private_l1 << kPageShift) | pte::Present | pte::Writable | pte::Accessed;
  fill_l2_slots(own_pd_frame_ * kPageSize);  // its own address space maps nothing else

  // The reserved GDT entries (layout.h). Guest segments end where the readable M2P ends.
  const u32 guest_limit_pages = (kGuestSegmentEnd >> kPageShift) - 1;
  write_gdt_entry(kHypervisorCs >> 3, seg_desc(0, 0xFFFFF, kCodeType, 0, true, true, true));
  write_gdt_entry(kHypervisorDs >> 3, seg_desc(0, 0xFFFFF, kDataType, 0, true, true, true));
  write_gdt_entry(kRing1Cs >> 3, seg_desc(0, guest_limit_pages, kCodeType, 1, true, true, true));
  write_gdt_entry(kRing1Ds >> 3, seg_desc(0, guest_limit_pages, kDataType, 1, true, true, true));
  write_gdt_entry(kRing3Cs >> 3, seg_desc(0, guest_limit_pages, kCodeType, 3, true, true, true));
  write_gdt_entry(kRing3Ds >> 3, seg_desc(0, guest_limit_pages, kDataType, 3, true, true, true));
  // The TSS, marked busy as LTR would leave it. Its I/O-map base lies past its limit, so every port is
  // denied to rings 1 and 3 (SDM vol. 3, 20.5.2): a PV guest has no direct I/O.
  write_gdt_entry(kTssSelector >> 3, sys_desc(kTssBase, 0x67, u8(SystemType::Tss32Busy)));
  const u16 ss0 = kHypervisorDs, iomap = 0x68;
  const u32 esp0 = kStackTop;
  ram_.write_bytes(machine(kTssBase + 4), &esp0, 4);
  ram_.write_bytes(machine(kTssBase + 8), &ss0, 2);
  ram_.write_bytes(machine(kTssBase + 0x66), &iomap, 2);

  build_stubs();
  for (u32 v = 0; v < 256; ++v) reset_gate(static_cast<u8>(v));
}

void HypervisorSpace::write_gdt_entry(u32 index, u64 desc) {
  ram_.write_bytes(machine(kGdtBase + index * 8), &desc, 8);
}

// One stub per vector, 16 bytes apart: push a zero error code where the CPU pushes none, push the vector,
// VMCALL into the host, drop both, IRET. What the host changed in the IRET frame decides where it returns.
void HypervisorSpace::build_stubs() {
  for (u32 v = 0; v < kStubs; ++v) {
    const u8 vector = v == 32 ? kHypercallVector : v == 33 ? kEventCheckVector : static_cast<u8>(v);
    u8 code[16];
    u32 n = 0;
    if (!pushes_error_code(vector)) {
      code[n++] = 0x6A;  // push imm8 0
      code[n++] = 0x00;
    }
    code[n++] = 0x68;  // push imm32 vector
    code[n++] = vector;
    code[n++] = 0;
    code[n++] = 0;
    code[n++] = 0;
    code[n++] = 0x0F;  // vmcall
    code[n++] = 0x01;
    code[n++] = 0xC1;
    code[n++] = 0x83;  // add esp, 8
    code[n++] = 0xC4;
    code[n++] = 0x08;
    code[n++] = 0xCF;  // iretd
    while (n < 16) code[n++] = 0xCC;
    ram_.write_bytes(machine(kStubsBase + v * 16), code, 16);
  }
}

u32 HypervisorSpace::stub_address(u8 vector) const { return kStubsBase + stub_slot(vector) * 16; }

void HypervisorSpace::reset_gate(u8 vector) {
  if (!has_stub(vector)) {
    clear_gate(vector);
    return;
  }
  // Interrupt gates: the hypervisor runs with interrupts off. DPL 0 keeps `int n` for exception vectors
  // away from guests (they get #GP), except INT3, INTO and BOUND, which guests may raise at any ring as on
  // hardware; the hypercall gate is ring 1's (xen-x86_32.h: "int $0x82" from the guest kernel only).
  u8 dpl = 0;
  if (vector == 3 || vector == 4 || vector == 5) dpl = 3;
  if (vector == kHypercallVector) dpl = 1;
  const u64 g = gate_desc(kHypervisorCs, stub_address(vector), u8(SystemType::InterruptGate32), dpl);
  ram_.write_bytes(machine(kIdtBase + u32(vector) * 8), &g, 8);
}

void HypervisorSpace::set_trap_gate(u8 vector, u16 selector, u32 offset, u8 dpl) {
  const u64 g = gate_desc(selector, offset, u8(SystemType::TrapGate32), dpl);
  ram_.write_bytes(machine(kIdtBase + u32(vector) * 8), &g, 8);
}

void HypervisorSpace::clear_gate(u8 vector) {
  const u64 zero = 0;
  ram_.write_bytes(machine(kIdtBase + u32(vector) * 8), &zero, 8);
}

// The guest's GDT frames are mapped writable for ring 0 only: the processor sets accessed bits in the
// descriptors it loads (SDM vol. 3, 3.4.5), and the guest itself can reach them only read-only, since a
// descriptor page never takes the writable type (frame_table.h).
void HypervisorSpace::set_gdt_page(u32 i, u32 mfn) {
  const u32 pte = (mfn << kPageShift) | pte::Present | pte::Writable | pte::Accessed | pte::Dirty;
  ram_.write_bytes(private_l1_frame_ * kPageSize + ((kGdtBase - kPrivateStart) / kPageSize + i) * 4, &pte, 4);
}

void HypervisorSpace::reset_gdt_page(u32 i) {
  const u32 pte = ((private_frame_ + (kGdtBase - kPrivateStart) / kPageSize + i) << kPageShift) | pte::Present | pte::Writable | pte::Accessed |
                  pte::Dirty | (global_ ? pte::Global : 0);
  ram_.write_bytes(private_l1_frame_ * kPageSize + ((kGdtBase - kPrivateStart) / kPageSize + i) * 4, &pte, 4);
}

void HypervisorSpace::fill_l2_slots(u32 pd) const {
  ram_.write_bytes(pd + kFirstHvL2Slot * 4, l2_.data(), kHvL2Slots * 4);
}

void HypervisorSpace::set_ring1_stack(u16 ss, u32 esp) {
  ram_.write_bytes(machine(kTssBase + 12), &esp, 4);
  ram_.write_bytes(machine(kTssBase + 16), &ss, 2);
}

void HypervisorSpace::install(Cpu& cpu) const {
  cpu.gdtr = TableRegister{kGdtBase, static_cast<u16>(kGdtLimit)};
  cpu.idtr = TableRegister{kIdtBase, 256 * 8 - 1};
  cpu.tr = SystemSegment{kTssSelector, kTssBase, 0x67, u16(0x80 | u8(SystemType::Tss32Busy))};
  if (global_ && !(cpu.cr4 & cr4::PGE)) cpu.set_cr4(cpu.cr4 | cr4::PGE);
}

}  // namespace ring1::hv
