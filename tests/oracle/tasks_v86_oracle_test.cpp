// Differential checks of task switching and virtual-8086 mode against Unicorn (QEMU's TCG helpers): the
// same memory image (GDT, TSSes, ring-0 code, V86 code) runs on both from flat ring 0 to an end address,
// and registers, selectors, TR, CR0.TS and the first 4 MiB of memory must agree byte for byte.
// Only paths that raise no exception are compared: Unicorn hands every interrupt and exception to a host
// hook instead of the guest's IDT, so delivery through task gates and from V86 to ring 0 (and the T bit)
// are checked against the SDM alone, in tests/cpu/task_switch_test.cpp and tests/cpu/v86_test.cpp. Two
// places where Unicorn 2.0 departs from the SDM are left out and named below: it reads and writes a 16-bit
// TSS's selectors 4 bytes apart instead of 2 (so a switch to a 16-bit task is not compared), and its PUSHFD
// in V86 mode stores VM = 1 where the SDM (vol. 2, PUSHF) clears VM and RF in the image.
#include <unicorn/unicorn.h>

#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cpu/descriptor_encoding.h"
#include "support/assembler.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

constexpr u32 kMem = 4u << 20;
constexpr u32 kGdt = 0x300000, kTss0 = 0x302000, kTssA = 0x303000, kTss16 = 0x305000, kV86 = 0x20000;
constexpr u16 kCode0 = 0x08, kData0 = 0x10, kTss0Sel = 0x18, kTssASel = 0x20, kTss16Sel = 0x28, kGateA = 0x30;

// The shared image: descriptors with their accessed bits already set, so neither machine writes them.
std::vector<u8> image(const std::string& ring0, const std::string& v86) {
  std::vector<u8> m(kMem, 0);
  auto put = [&](u32 at, const void* p, u32 n) { std::memcpy(m.data() + at, p, n); };
  auto put64 = [&](u32 at, u64 v) { put(at, &v, 8); };
  auto put32 = [&](u32 at, u32 v) { put(at, &v, 4); };
  auto put16 = [&](u32 at, u16 v) { put(at, &v, 2); };
  put64(kGdt + kCode0, seg_desc(0, 0xFFFFF, 0xB, 0, true, true, true));
  put64(kGdt + kData0, seg_desc(0, 0xFFFFF, 0x3, 0, true, true, true));
  put64(kGdt + kTss0Sel, sys_desc(kTss0, 0x67, 0x9));
  put64(kGdt + kTssASel, sys_desc(kTssA, 0x67, 0x9));
  put64(kGdt + kTss16Sel, sys_desc(kTss16, 0x2B, 0x1));
  put64(kGdt + kGateA, gate_desc(kTssASel, 0, 0x5, 0));
  // Task A: ring 0 at kCode + 0x200, its own stack and register values.
  put32(kTssA + 0x20, TestMachine::kCode + 0x200);
  put32(kTssA + 0x24, 0x2);
  for (u32 r = 0; r < 8; ++r) put32(kTssA + 0x28 + 4 * r, 0x1000 * (r + 1) + 0xA0);
  put32(kTssA + 0x38, 0x60000);
  const u16 sa[6] = {kData0, kCode0, kData0, kData0, kData0, kData0};
  for (u32 s = 0; s < 6; ++s) put32(kTssA + 0x48 + 4 * s, sa[s]);
  // The 16-bit task: at kCode + 0x300.
  put16(kTss16 + 0x0E, u16(TestMachine::kCode + 0x300));
  put16(kTss16 + 0x10, 0x0002);
  for (u32 r = 0; r < 8; ++r) put16(kTss16 + 0x12 + 2 * r, u16(0x200 + r));
  put16(kTss16 + 0x1A, 0x7000);
  const u16 s16[4] = {kData0, kCode0, kData0, kData0};
  for (u32 s = 0; s < 4; ++s) put16(kTss16 + 0x22 + 2 * s, s16[s]);
  // The initial task's ring-0 stack (for completeness; nothing here changes rings through it).
  put32(kTss0 + 4, 0x90000);
  put32(kTss0 + 8, kData0);
  const std::vector<u8> code = assemble(ring0, Bits::b32, TestMachine::kCode);
  put(TestMachine::kCode, code.data(), u32(code.size()));
  if (!v86.empty()) {
    const std::vector<u8> vc = assemble(v86, Bits::b16, 0);
    put(kV86, vc.data(), u32(vc.size()));
  }
  return m;
}

struct Final {
  u32 gpr[8], eip, eflags, cr0_ts;
  u16 seg[6], tr;
  std::vector<u8> mem;
};

void check(uc_err e, const char* what) { ASSERT_EQ(e, UC_ERR_OK) << what << ": " << uc_strerror(e); }

// Unicorn from flat ring 0 (CS 0x08, data 0x10 through the image's GDT) until the linear address `until`.
Final run_unicorn(const std::vector<u8>& img, u32 until) {
  Final f{};
  uc_engine* uc = nullptr;
  EXPECT_EQ(uc_open(UC_ARCH_X86, UC_MODE_32, &uc), UC_ERR_OK);
  check(uc_mem_map(uc, 0, kMem, UC_PROT_ALL), "map");
  check(uc_mem_write(uc, 0, img.data(), kMem), "write");
  uc_x86_mmr gdtr{0, kGdt, 0x37, 0};
  check(uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr), "gdtr");
  u32 cs = kCode0, ds = kData0, esp = TestMachine::kStackTop, fl = 2;
  check(uc_reg_write(uc, UC_X86_REG_CS, &cs), "cs");
  for (int r : {UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_SS, UC_X86_REG_FS, UC_X86_REG_GS})
    check(uc_reg_write(uc, r, &ds), "seg");
  check(uc_reg_write(uc, UC_X86_REG_ESP, &esp), "esp");
  check(uc_reg_write(uc, UC_X86_REG_EFLAGS, &fl), "eflags");
  check(uc_emu_start(uc, TestMachine::kCode, until, 0, 10000), "emu_start");
  const int gprs[8] = {UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
                       UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI};
  for (int r = 0; r < 8; ++r) uc_reg_read(uc, gprs[r], &f.gpr[r]);
  uc_reg_read(uc, UC_X86_REG_EIP, &f.eip);
  uc_reg_read(uc, UC_X86_REG_EFLAGS, &f.eflags);
  u32 cr0 = 0;
  uc_reg_read(uc, UC_X86_REG_CR0, &cr0);
  f.cr0_ts = cr0 & 8;
  const int segs[6] = {UC_X86_REG_ES, UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_FS, UC_X86_REG_GS};
  for (int s = 0; s < 6; ++s) {
    u32 v = 0;
    uc_reg_read(uc, segs[s], &v);
    f.seg[s] = u16(v);
  }
  uc_x86_mmr tr{};
  uc_reg_read(uc, UC_X86_REG_TR, &tr);
  f.tr = tr.selector;
  f.mem.resize(kMem);
  uc_mem_read(uc, 0, f.mem.data(), kMem);
  uc_close(uc);
  return f;
}

// ring1 from the same state until EIP reaches `until_eip`.
Final run_ring1(const std::vector<u8>& img, u32 until_eip) {
  Final f{};
  TestMachine m;
  m.ram.write_bytes(0, img.data(), kMem);
  m.cpu.gdtr = {kGdt, 0x37};
  m.cpu.eip = TestMachine::kCode;
  RunLimits lim;
  lim.max_instructions = 10000;
  lim.stop_at_eip = until_eip;
  EXPECT_EQ(m.cpu.run(lim), StopReason::Breakpoint) << m.cpu.host_error();
  for (int r = 0; r < 8; ++r) f.gpr[r] = m.cpu.gpr[r];
  f.eip = m.cpu.eip;
  f.eflags = m.cpu.eflags;
  f.cr0_ts = m.cpu.cr0 & 8;
  for (int s = 0; s < 6; ++s) f.seg[s] = m.cpu.seg[s].selector;
  f.tr = m.cpu.tr.selector;
  f.mem.resize(kMem);
  m.ram.read_bytes(0, f.mem.data(), kMem);
  return f;
}

void expect_same(const Final& ring1, const Final& uc) {
  for (int r = 0; r < 8; ++r) EXPECT_EQ(ring1.gpr[r], uc.gpr[r]) << "GPR " << r;
  EXPECT_EQ(ring1.eip, uc.eip);
  EXPECT_EQ(ring1.eflags, uc.eflags);
  EXPECT_EQ(ring1.cr0_ts, uc.cr0_ts);
  for (int s = 0; s < 6; ++s) EXPECT_EQ(ring1.seg[s], uc.seg[s]) << "segment register " << s;
  EXPECT_EQ(ring1.tr, uc.tr);
  for (u32 a = 0; a < kMem; ++a) {
    if (ring1.mem[a] != uc.mem[a]) {
      ADD_FAILURE() << fmt::format("memory differs first at {:#x}: ring1 {:#04x}, Unicorn {:#04x}", a, ring1.mem[a],
                                   uc.mem[a]);
      break;
    }
  }
}

TEST(TasksAgainstUnicorn, JmpAndCallThroughATaskGateAndIretWithNtLeaveTheSameState) {
  // Task 0 calls task A through a gate; A saves its NT flag, returns by IRETD; task 0 then JMPs to A, which
  // resumes after its IRETD; the run ends there (before A's JMP to the 16-bit task, which Unicorn gets
  // wrong).
  const std::string ring0 =
      " mov ax, 0x18\n ltr ax\n mov eax, 0x11\n mov ecx, 0x22\n call 0x30:0\n mov [0x100000], eax\n"
      " mov [0x100004], ecx\n jmp 0x20:0\n"
      ".org 0x200\n pushfd\n pop dword ptr [0x100010]\n mov ebx, 0x33\n iretd\n mov esi, 0x99\n jmp 0x28:0\n"
      ".org 0x300\n mov [0x100020], esp\n mov edi, 0x44\n"
      "done:\n nop\n";
  const std::vector<u8> img = image(ring0, "");
  const u32 done = TestMachine::kCode + 0x200 + 1 + 6 + 5 + 1 + 5;  // on A's JMP to the 16-bit task
  const Final r = run_ring1(img, done);
  const Final u = run_unicorn(img, done);
  expect_same(r, u);
  EXPECT_EQ(r.tr, kTssASel);  // the scenario really switched, three times
  EXPECT_EQ(r.gpr[6], 0x99u);
}

TEST(V86AgainstUnicorn, IretdIntoV86AndIopl3FlagInstructionsAndIretInsideV86LeaveTheSameState) {
  const std::string ring0 =
      " mov ax, 0x18\n ltr ax\n push 0\n push 0\n push 0x3000\n push 0x4000\n push 0x2800\n push 0x100\n"
      " push 0x23202\n push 0x2000\n push 0\n iretd\n";
  const std::string v86 =
      " mov word ptr [0x10], 0x1234\n mov byte ptr es:[0x20], 0x56\n cli\n pushf\n pop ax\n push 0x0ED7\n popf\n"
      " pushf\n pop bx\n sti\n pushfd\n pop edx\n pushf\n push cs\n push offset back\n iret\n"
      "back:\n mov cx, sp\n mov si, ss\n lea di, [bx+si+3]\n push es\n pop ds\n mov [0x30], di\n"
      "done:\n nop\n";
  const std::vector<u8> img = image(ring0, v86);
  const std::vector<u8> vc = assemble(v86, Bits::b16, 0);
  const u32 done_off = u32(vc.size()) - 1;
  const Final r = run_ring1(img, done_off);
  const Final u = run_unicorn(img, kV86 + done_off);
  // Unicorn reports EIP as the linear address it stopped at in V86 mode; ring1's is the offset.
  Final u2 = u;
  u2.eip = u.eip >= kV86 ? u.eip - kV86 : u.eip;
  // EDX holds PUSHFD's image: VM clear on ring1 as the SDM says, set on Unicorn; nothing else may differ.
  EXPECT_FALSE(r.gpr[2] & (1u << 17));
  u2.gpr[2] &= ~(1u << 17);
  expect_same(r, u2);
  EXPECT_TRUE(r.eflags & (1u << 17));  // still in V86 mode
}

}  // namespace
}  // namespace ring1::test
