// Emulating the privileged instructions Xen completes for a PV guest (see the header). The guest's
// general registers are live in the CPU while the hypervisor runs (the stubs save none), so results go
// straight into them; EIP and the rest of the return state are in the stub's IRET frame.
#include "hypervisor/privileged_op.h"

#include <cstring>

#include <fmt/format.h>

#include "cpu/cpu.h"
#include "cpu/descriptors.h"
#include "hypervisor/cpuid_policy.h"
#include "hypervisor/domain_builder.h"
#include "hypervisor/hypervisor.h"

namespace ring1::hv {
namespace {

constexpr u32 kMaxInsnBytes = 15;  // SDM vol. 2, 2.3.11
constexpr u32 kTscMsr = 0x10;
constexpr u32 kDebugCtlMsr = 0x1D9;  // IA32_DEBUGCTL (SDM vol. 3, 17.4.1)
// A REP string I/O instruction is completed this many iterations at a time; then, as Xen does when
// hypercall_preempt_check says so, the guest resumes on the same instruction (its registers say how far it
// got) and traps again. A huge count therefore never holds the hypervisor for long.
constexpr u32 kMaxStringIoPerEntry = 4096;

// The instruction bytes at the guest's CS:EIP, as far as they can be read (at most 15): Xen's insn_fetch.
struct CodeBytes {
  u8 b[kMaxInsnBytes] = {};
  u32 n = 0;          // how many could be read
  u32 linear = 0;     // the linear address of b[0]
  bool big = true;    // the code segment's default operand size is 32 bits
};

CodeBytes fetch(Hypervisor& hv, const Hypervisor::Frame& f) {
  CodeBytes c;
  u32 base = 0;
  try {
    const Descriptor d = read_descriptor(hv.cpu(), static_cast<u16>(f.cs));
    base = d.base();
    c.big = d.big();
  } catch (const CpuFault&) {
    return c;  // no code segment to read through: nothing to emulate
  }
  c.linear = base + f.eip;
  while (c.n < kMaxInsnBytes && hv.guest().copy_from(LinearAddr{c.linear + c.n}, &c.b[c.n], 1)) ++c.n;
  return c;
}

// Xen's guest_io_okay: the virtual IOPL lets the guest kernel (ring 1) do port I/O from IOPL 1 and its
// applications from IOPL 3; failing that, ports below iobmp_limit whose bits are clear in the guest's I/O
// bitmap are allowed (bytes of the bitmap that cannot be read count as all ones: no access).
bool guest_io_okay(Hypervisor& hv, u8 ring, u32 port, u32 bytes) {
  const VirtualCpu& v = hv.vcpu();
  if (v.iopl >= (ring == 1 ? 1 : 3)) return true;
  if (v.iobmp_limit > port + bytes) {
    u8 x[2] = {0xFF, 0xFF};
    for (u32 i = 0; i < 2; ++i)
      if (!hv.guest().copy_from(LinearAddr{v.iobmp + (port >> 3) + i}, &x[i], 1)) break;
    const u32 mask = u32(x[0]) | (u32(x[1]) << 8);
    if ((mask & (((1u << bytes) - 1) << (port & 7))) == 0) return true;
  }
  return false;
}

// WRMSR to the hypercall-page MSR: the page at guest frame (EDX:EAX) >> 12, which for a PV guest is a
// machine frame, must be the domain's and able to take the writable type; it gets the hypercall stubs.
// As in Xen 3.2, a bad frame or a non-zero page index makes the write do nothing (Xen only logs it).
void write_hypercall_page_msr(Hypervisor& hv, u32 eax, u32 edx) {
  if ((eax & 0xFFF) != 0) return;
  const u64 gmfn = (u64(edx) << 20) | (eax >> 12);
  if (gmfn >= hv.frames().nr_frames()) return;
  const Mfn m{static_cast<u32>(gmfn)};
  if (!hv.frames().get_page_and_type(m, hv.domain().id, FrameType::Writable)) return;
  u8 page[kPageSize];
  fill_hypercall_page(page);
  hv.ram().write_bytes(machine_addr(m).value, page, kPageSize);
  hv.frames().put_page_and_type(m);
}

// The guest segment a string I/O instruction uses, as [base + lo, base + hi] of allowed offsets. DS, ES, FS
// and GS are still the guest's in the CPU (the entry stubs load none of them), with their hidden parts; CS
// and SS are the hypervisor's now, so the guest's are read from its descriptor tables by the frame's
// selectors (a readable code segment, a writable stack segment), as Xen reads them.
struct DataSegment {
  u32 base = 0, lo = 1, hi = 0;  // lo > hi: no access
};

DataSegment guest_segment(Hypervisor& hv, const Hypervisor::Frame& f, SegReg r, bool write) {
  const Cpu& c = hv.cpu();
  if (r != CS && r != SS) {
    const Segment& s = c.seg[r];
    return write ? DataSegment{s.base, s.write_lo, s.write_hi} : DataSegment{s.base, s.read_lo, s.read_hi};
  }
  try {
    const Descriptor d = read_descriptor(hv.cpu(), static_cast<u16>(r == CS ? f.cs : f.ss));
    const bool ok = d.present() && (write ? d.writable() : d.readable());
    return ok ? DataSegment{d.base(), 0, d.limit()} : DataSegment{};
  } catch (const CpuFault&) {
    return DataSegment{};
  }
}

// INS and OUTS (Xen 3.2: "Input/Output String instructions"): INS stores what the port reads (all ones: no
// device) at ES:(E)DI, OUTS reads DS:(E)SI (or the override's segment) and sends it nowhere; (E)DI or (E)SI
// steps by the operand size, down when EFLAGS.DF is set. With REP, (E)CX counts the iterations, and a count
// of 0 does nothing. A port the guest may not use or an offset outside the segment is the guest's #GP; a
// page that cannot be written or read is the guest's #PF, raised with the iterations done so far kept in
// the registers and EIP on the instruction, so that it resumes there once the guest has handled it. Long
// REP runs are split (kMaxStringIoPerEntry).
bool string_io(Hypervisor& hv, Hypervisor::Frame f, u8 opcode, u32 length, u32 op_bytes, u32 ad_bytes, bool rep,
               SegReg src_seg) {
  Cpu& c = hv.cpu();
  const u8 ring = f.cs & 3;
  const bool in = opcode <= 0x6D;
  const u32 bytes = (opcode & 1) ? op_bytes : 1;
  const u32 mask = ad_bytes == 4 ? 0xFFFFFFFFu : 0xFFFFu;
  const int reg = in ? EDI : ESI;
  const DataSegment seg = guest_segment(hv, f, in ? ES : src_seg, in);
  const u32 port = c.gpr[EDX] & 0xFFFF;
  const i32 step = (f.eflags & eflags::DF) ? -i32(bytes) : i32(bytes);
  auto set_reg = [&](int r, u32 v) { c.gpr[r] = (c.gpr[r] & ~mask) | (v & mask); };
  if (rep && (c.gpr[ECX] & mask) == 0) {
    f.eip += length;
    hv.set_frame(f);
    return true;
  }
  for (u32 n = 0;; ++n) {
    if (n == kMaxStringIoPerEntry) {
      hv.set_frame(f);  // preempted: the guest re-executes the instruction and traps again for the rest
      return true;
    }
    const u32 off = c.gpr[reg] & mask;
    if (seg.lo > seg.hi || off < seg.lo || off > seg.hi || seg.hi - off < bytes - 1) return false;
    if (!guest_io_okay(hv, ring, port, bytes)) return false;
    const LinearAddr at{seg.base + off};
    u32 data = 0xFFFFFFFFu;
    const bool ok = in ? hv.guest().copy_to(at, &data, bytes) : hv.guest().copy_from(at, &data, bytes);
    if (!ok) {
      hv.set_frame(f);  // EIP stays on the instruction
      hv.deliver_page_fault(at.value, in ? 2u : 0u);  // a write or a read, by the kernel
      return true;
    }
    set_reg(reg, off + u32(step));
    if (!rep) break;
    set_reg(ECX, (c.gpr[ECX] & mask) - 1);
    if ((c.gpr[ECX] & mask) == 0) break;
  }
  f.eip += length;
  hv.set_frame(f);
  return true;
}


// The control and debug registers as Xen 3.2 shows them to a PV kernel (traps.c, emulate_privileged_op's
// 0F 20-23 cases; set_debugreg/do_get_debugreg). ModRM's reg field names the register and its r/m field
// the general register, whatever the mod bits say (SDM vol. 2, MOV to/from control and debug registers).
// ESP is the guest's from the frame: the CPU's is the hypervisor's stack here.
u32 guest_gpr(Hypervisor& hv, const Hypervisor::Frame& f, u8 r) {
  return r == ESP ? f.esp : hv.cpu().gpr[r];
}

void set_guest_gpr(Hypervisor& hv, Hypervisor::Frame& f, u8 r, u32 v) {
  if (r == ESP)
    f.esp = v;
  else
    hv.cpu().gpr[r] = v;
}

constexpr u32 kCr0Ts = 1u << 3;
constexpr u32 kCr4Pse = 1u << 4, kCr4Pge = 1u << 7;
constexpr u32 kVcpuCr2At = offsetof(xen::VcpuInfo, arch) + offsetof(xen::ArchVcpuInfo, cr2);

// MOV from CR0/2/3/4; false for another register (the guest's #GP).
bool read_cr(Hypervisor& hv, u8 cr, u32& v) {
  Cpu& c = hv.cpu();
  switch (cr) {
    case 0: v = c.cr0; return true;  // its TS is the guest's own (fpu_taskswitch, CLTS)
    case 2: hv.ram().read_bytes(hv.vcpu().vcpu_info + kVcpuCr2At, &v, 4); return true;
    case 3: v = hv.domain().guest_table ? hv.domain().guest_table->value << kPageShift : 0; return true;
    case 4: v = c.cr4 & ~(kCr4Pge | kCr4Pse); return true;  // "we lie about PGE & PSE"
    default: return false;
  }
}

// MOV to CR0/2/3/4; false where Xen fails the instruction (the guest's #GP).
bool write_cr(Hypervisor& hv, u8 cr, u32 v) {
  Cpu& c = hv.cpu();
  switch (cr) {
    case 0:
      if ((v ^ c.cr0) & ~kCr0Ts) return false;  // "Attempt to change unmodifiable CR0 flags"
      c.set_cr0(v & kCr0Ts ? c.cr0 | kCr0Ts : c.cr0 & ~kCr0Ts);
      return true;
    case 2:
      hv.ram().write_bytes(hv.vcpu().vcpu_info + kVcpuCr2At, &v, 4);  // arch_set_cr2
      return true;
    case 3: {
      // new_guest_cr3 on the frame the value names, then the load as MMUEXT_NEW_BASEPTR does it.
      MmuOutcome out;
      out.rc = hv.mmu_ops().new_guest_cr3(hv.domain(), Mfn{v >> kPageShift});
      if (out.rc != 0) return false;
      out.tlb.new_base = Mfn{v >> kPageShift};
      hv.finish_mmu(out);
      return true;
    }
    case 4:
      return true;  // Xen logs "Attempt to change CR4 flags" and changes nothing
    default:
      return false;
  }
}

}  // namespace

// Xen 3.2's set_debugreg: DR0-3 must lie below the hypervisor; DR6's reserved bits are forced; DR7 may not
// set general detection nor reserved bits. ring1's processor matches no breakpoint, so a DR7 that enables
// one stops the run as not modelled, as MOV DR7 does natively (control_registers.cpp).
i32 set_debugreg(Hypervisor& hv, u32 reg, u32 value) {
  VirtualCpu& v = hv.vcpu();
  switch (reg) {
    case 0: case 1: case 2: case 3:
      if (u64(value) + 4 > xen::kHypervisorVirtStart) return -xen::err::kEPERM;
      break;
    case 6:
      value = (value & 0xFFFFEFFFu) | 0xFFFF0FF0u;
      break;
    case 7:
      if (value != 0) {
        value = (value & 0xFFFF27FFu) | 0x400u;
        if (value & (1u << 13)) return -xen::err::kEPERM;  // GD
        if (value & 0xFFu) {
          hv.cpu().not_modelled(fmt::format("debug-register breakpoints (a PV guest's DR7 {:#010x})", value));
          return -xen::err::kEPERM;
        }
      }
      break;
    default:
      return -xen::err::kEINVAL;
  }
  v.debugreg[reg] = value;
  return 0;
}

i32 get_debugreg(Hypervisor& hv, u32 reg, u32& value) {
  if (reg > 7) return -xen::err::kEINVAL;
  value = hv.vcpu().debugreg[reg];
  return 0;
}

namespace {
}  // namespace

bool emulate_privileged_op(Hypervisor& hv) {
  Hypervisor::Frame f = hv.frame();
  const u8 ring = f.cs & 3;
  const CodeBytes code = fetch(hv, f);
  Cpu& c = hv.cpu();
  u32 op_bytes = code.big ? 4 : 2, ad_bytes = code.big ? 4 : 2;
  bool lock = false, rep = false;
  SegReg data_seg = DS;
  u32 i = 0;
  // Legacy prefixes: operand and address size, the segment of OUTS's source, REP for string I/O.
  for (; i < code.n; ++i) {
    const u8 p = code.b[i];
    if (p == 0x66) op_bytes ^= 6;  // 2 <-> 4
    else if (p == 0x67) ad_bytes ^= 6;
    else if (p == 0xF0) lock = true;
    else if (p == 0xF2 || p == 0xF3) rep = true;
    else if (p == 0x26) data_seg = ES;
    else if (p == 0x2E) data_seg = CS;
    else if (p == 0x36) data_seg = SS;
    else if (p == 0x3E) data_seg = DS;
    else if (p == 0x64) data_seg = FS;
    else if (p == 0x65) data_seg = GS;
    else break;
  }
  if (i >= code.n) return false;
  const u8 opcode = code.b[i++];
  auto done = [&] {
    f.eip += i;
    hv.set_frame(f);
    return true;
  };
  auto need = [&](u32 more) { return i + more <= code.n; };

  if (opcode != 0x0F) {
    if (lock) return false;
    if (opcode >= 0x6C && opcode <= 0x6F) return string_io(hv, f, opcode, i, op_bytes, ad_bytes, rep, data_seg);
    u32 port = 0;
    switch (opcode) {
      case 0xE4: case 0xE5: case 0xEC: case 0xED: {  // IN imm8 / IN DX, into AL or (E)AX
        const u32 bytes = (opcode & 1) ? op_bytes : 1;
        if (opcode <= 0xE5) {
          if (!need(1)) return false;
          port = code.b[i++];
        } else {
          port = c.gpr[EDX] & 0xFFFF;
        }
        if (!guest_io_okay(hv, ring, port, bytes)) return false;
        // A domain without physical devices may touch no real port (Xen: admin_io_okay fails), so the
        // read floats high: all ones in the operand's bytes, the rest of EAX kept.
        if (bytes == 4) c.gpr[EAX] = 0xFFFFFFFFu;
        else c.gpr[EAX] |= bytes == 2 ? 0xFFFFu : 0xFFu;
        return done();
      }
      case 0xE6: case 0xE7: case 0xEE: case 0xEF: {  // OUT: allowed writes go nowhere, as above
        const u32 bytes = (opcode & 1) ? op_bytes : 1;
        if (opcode <= 0xE7) {
          if (!need(1)) return false;
          port = code.b[i++];
        } else {
          port = c.gpr[EDX] & 0xFFFF;
        }
        if (!guest_io_okay(hv, ring, port, bytes)) return false;
        return done();
      }
      case 0xFA: case 0xFB:
        // CLI/STI with enough virtual IOPL: accepted and ignored. Xen deliberately does not map them to the
        // event mask (a later POPF could not undo it), so they change nothing.
        if (hv.vcpu().iopl < (ring == 1 ? 1 : 3)) return false;
        return done();
      default: return false;
    }
  }

  // Two-byte opcodes are emulated for the guest kernel only.
  if (ring != 1 || !need(1)) return false;
  const u8 op2 = code.b[i++];
  if (lock) return false;
  switch (op2) {
    case 0x06:  // CLTS: the guest's CR0.TS clears (do_fpu_taskswitch(0))
      c.set_cr0(c.cr0 & ~kCr0Ts);
      return done();
    case 0x09:  // WBINVD: a domain with no physical devices has no caches to flush; Xen ignores it
      return done();
    case 0x20: case 0x21: case 0x22: case 0x23: {  // MOV from/to CR, from/to DR
      if (!need(1)) return false;
      const u8 modrm = code.b[i++];
      const u8 reg = (modrm >> 3) & 7, rm = modrm & 7;
      u32 v = 0;
      if (op2 == 0x20) {
        if (!read_cr(hv, reg, v)) return false;
        set_guest_gpr(hv, f, rm, v);
      } else if (op2 == 0x22) {
        if (!write_cr(hv, reg, guest_gpr(hv, f, rm))) return false;
        if (reg == 3) f = hv.frame();  // finish_mmu may have moved nothing, but keep what the frame says
      } else if (op2 == 0x21) {
        if (get_debugreg(hv, reg, v) != 0) return false;
        set_guest_gpr(hv, f, rm, v);
      } else {
        if (set_debugreg(hv, reg, guest_gpr(hv, f, rm)) != 0) return false;
      }
      return done();
    }
    case 0x30: {  // WRMSR: the hypercall-page MSR acts; Xen 3.2 drops writes to every other MSR.
      if (c.gpr[ECX] == kHypercallPageMsr) write_hypercall_page_msr(hv, c.gpr[EAX], c.gpr[EDX]);
      return done();
    }
    case 0x32: {  // RDMSR
      if (c.gpr[ECX] == kHypercallPageMsr) {
        c.gpr[EAX] = c.gpr[EDX] = 0;
        return done();
      }
      if (c.gpr[ECX] == kTscMsr) {
        // "Everyone can read the MSR space" (Xen reads the real one): the modelled time-stamp counter.
        const u64 tsc = c.cycles + c.tsc_offset;
        c.gpr[EAX] = static_cast<u32>(tsc);
        c.gpr[EDX] = static_cast<u32>(tsc >> 32);
        return done();
      }
      if (c.gpr[ECX] == kDebugCtlMsr) {
        // IA32_DEBUGCTL exists on every P6-class part, and Xen 3.2 reads the real one: 0, as ring1 models
        // no last-branch recording nor single-stepping on branches.
        c.gpr[EAX] = c.gpr[EDX] = 0;
        return done();
      }
      return false;  // an MSR ring1's processor does not have: the read faults, as Xen's rdmsr_safe would
    }
    default: return false;
  }
}

bool emulate_forced_invalid_op(Hypervisor& hv) {
  Hypervisor::Frame f = hv.frame();
  const CodeBytes code = fetch(hv, f);
  static constexpr u8 kSig[5] = {0x0F, 0x0B, 'x', 'e', 'n'};
  // The signature or the CPUID after it cannot be read: Xen reports a page fault on the first byte that
  // could not be read (propagate_page_fault, error code 0), if what it could read matched so far.
  const u32 want = code.n >= 5 && std::memcmp(code.b, kSig, 5) == 0 ? 7 : 5;
  if (code.n < want) {
    if (std::memcmp(code.b, kSig, std::min<u32>(code.n, 5)) != 0) return false;
    hv.deliver_page_fault(code.linear + code.n, 0);
    return true;
  }
  if (std::memcmp(code.b, kSig, 5) != 0) return false;
  if (code.b[5] != 0x0F || code.b[6] != 0xA2) return false;  // only CPUID is emulated
  Cpu& c = hv.cpu();
  const CpuidResult r = pv_cpuid(c, c.gpr[EAX], hv.domain().privileged);
  c.gpr[EAX] = r.eax;
  c.gpr[EBX] = r.ebx;
  c.gpr[ECX] = r.ecx;
  c.gpr[EDX] = r.edx;
  f.eip += 7;
  hv.set_frame(f);
  return true;
}

}  // namespace ring1::hv
