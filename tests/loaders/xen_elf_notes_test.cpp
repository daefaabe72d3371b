// What a PV kernel says about itself, read as Xen 3.2's libelf reads it (xen/common/libelf/
// libelf-dominfo.c): the Xen ELF notes with their defaults, the legacy __xen_guest string, and the
// tolerance of a note area whose last note is cut short.
#include <gtest/gtest.h>

#include "loaders/elf32.h"
#include "loaders/xen_elf_notes.h"
#include "support/elf_builder.h"

namespace ring1::hv {
namespace {

Elf32Note note(u32 type, std::vector<u8> desc, std::string name = "Xen") {
  Elf32Note n;
  n.name = std::move(name);
  n.type = type;
  n.declared_descsz = u32(desc.size());
  n.desc = std::move(desc);
  return n;
}
Elf32Note str_note(u32 type, const std::string& s) {
  std::vector<u8> d(s.begin(), s.end());
  d.push_back(0);
  return note(type, d);
}
Elf32Note num_note(u32 type, u64 v, u32 size = 4) {
  std::vector<u8> d(size);
  for (u32 i = 0; i < size; ++i) d[i] = u8(v >> (8 * i));
  return note(type, d);
}

TEST(XenGuestString, MiniOsOfXen32IsReadWithItsHypercallPageCountedFromVirtBase) {
  std::string err;
  const auto g = parse_xen_guest_string(
      "GUEST_OS=Mini-OS,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,ELF_PADDR_OFFSET=0x0,HYPERCALL_PAGE=0x2,PAE=no,"
      "LOADER=generic",
      err);
  ASSERT_TRUE(g) << err;
  EXPECT_EQ(g->guest_os, "Mini-OS");
  EXPECT_EQ(g->xen_version, "xen-3.0");
  EXPECT_EQ(g->loader, "generic");
  EXPECT_EQ(g->virt_base, 0xC0000000u);
  EXPECT_EQ(g->paddr_offset, 0u);
  ASSERT_TRUE(g->hypercall_page);
  EXPECT_EQ(*g->hypercall_page, 0xC0002000u);  // page 2 from VIRT_BASE, not address 2
  EXPECT_FALSE(g->needs_pae());
  EXPECT_EQ(g->source, XenGuestInfo::Source::XenGuestString);
}

TEST(XenGuestString, ElfPaddrOffsetDefaultsToVirtBase) {
  std::string err;
  const auto g = parse_xen_guest_string("XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,LOADER=generic", err);
  ASSERT_TRUE(g) << err;
  EXPECT_EQ(g->paddr_offset, 0xC0000000u);
  EXPECT_FALSE(g->hypercall_page);
}

TEST(XenGuestString, NumbersAreReadAsStrtoullWithBaseZeroReadsThem) {
  std::string err;
  auto g = parse_xen_guest_string("VIRT_BASE=010,VIRT_ENTRY=4096", err);  // octal 010 = 8
  ASSERT_TRUE(g) << err;
  EXPECT_EQ(g->virt_base, 8u);
  EXPECT_EQ(g->entry, 4096u);
  g = parse_xen_guest_string("VIRT_BASE=0x1000junk,HYPERCALL_PAGE=", err);  // trailing junk ignored; empty is 0
  ASSERT_TRUE(g) << err;
  EXPECT_EQ(g->virt_base, 0x1000u);
  EXPECT_EQ(g->hypercall_page, 0x1000u);
}

TEST(XenGuestString, PaeYesAndYesExtendedCr3AreBothPaeKernels) {
  std::string err;
  EXPECT_TRUE(parse_xen_guest_string("PAE=yes", err)->needs_pae());
  EXPECT_TRUE(parse_xen_guest_string("PAE=yes[extended-cr3]", err)->needs_pae());
  EXPECT_FALSE(parse_xen_guest_string("PAE=no", err)->needs_pae());
}

TEST(XenGuestString, ElfPaddrOffsetWithoutVirtBaseIsRefused) {
  std::string err;
  EXPECT_FALSE(parse_xen_guest_string("ELF_PADDR_OFFSET=0x100000,XEN_VER=xen-3.0", err));
  EXPECT_EQ(err, "__xen_guest sets ELF_PADDR_OFFSET but not VIRT_BASE");
}

TEST(XenGuestString, ReadingStopsAtTheFirstNul) {
  std::string err;
  const auto g = parse_xen_guest_string(std::string_view("GUEST_OS=a\0,LOADER=generic", 27), err);
  ASSERT_TRUE(g) << err;
  EXPECT_EQ(g->guest_os, "a");
  EXPECT_EQ(g->loader, "");
}

TEST(XenGuestString, AValueLongerThan127CharactersIsCutAndItsRestReadAsTheNextName) {
  std::string err;
  const std::string long_os(130, 'x');
  const auto g = parse_xen_guest_string("GUEST_OS=" + long_os + ",LOADER=generic", err);
  ASSERT_TRUE(g) << err;
  EXPECT_EQ(g->guest_os, std::string(127, 'x'));
  EXPECT_EQ(g->loader, "generic");  // "xxx" became a name with no value, then LOADER as usual
}

TEST(XenGuestString, AnUnknownFeatureIsRefusedAsXen32Refuses) {
  std::string err;
  EXPECT_TRUE(parse_xen_guest_string("FEATURES=writable_page_tables|!pae_pgdir_above_4gb", err)) << err;
  EXPECT_FALSE(parse_xen_guest_string("FEATURES=writable_page_tables|hvm_callback_vector", err));
  EXPECT_NE(err.find("hvm_callback_vector"), std::string::npos);
}

TEST(XenNotes, WithoutPaddrOffsetTheOffsetIsZero) {
  std::string err;
  const auto g = read_xen_notes({str_note(5, "xen-3.0"), num_note(3, 0xC0000000)}, err);
  ASSERT_TRUE(g) << err;
  EXPECT_EQ(g->virt_base, 0xC0000000u);
  EXPECT_EQ(g->paddr_offset, 0u);  // notes: 0; the legacy string: VIRT_BASE
}

TEST(XenNotes, NumericNotesOfOneTwoFourOrEightBytesAreReadAndOtherSizesReadAsZero) {
  std::string err;
  EXPECT_EQ(read_xen_notes({num_note(3, 0x12, 1)}, err)->virt_base, 0x12u);
  EXPECT_EQ(read_xen_notes({num_note(3, 0x1234, 2)}, err)->virt_base, 0x1234u);
  EXPECT_EQ(read_xen_notes({num_note(3, 0xC0000000, 8)}, err)->virt_base, 0xC0000000u);
  EXPECT_EQ(read_xen_notes({num_note(3, 0x123456, 3)}, err)->virt_base, 0u);
  EXPECT_FALSE(read_xen_notes({num_note(3, u64(1) << 32, 8)}, err));
  EXPECT_NE(err.find("beyond a 32-bit"), std::string::npos);
}

TEST(XenNotes, OnlyExactlyYesIsAPaeKernelAndBimodalRunsNonPae) {
  std::string err;
  EXPECT_TRUE(read_xen_notes({str_note(9, "yes")}, err)->needs_pae());
  EXPECT_FALSE(read_xen_notes({str_note(9, "bimodal")}, err)->needs_pae());
  EXPECT_FALSE(read_xen_notes({str_note(9, "yes,bimodal")}, err)->needs_pae());
  EXPECT_FALSE(read_xen_notes({str_note(9, "no")}, err)->needs_pae());
}

TEST(XenNotes, NotesOfOtherOwnersAreIgnoredAndNoneMeansNotAPvKernel) {
  std::string err;
  EXPECT_FALSE(read_xen_notes({note(3, {1, 0, 0, 0}, "GNU")}, err));
  EXPECT_TRUE(err.empty());
}

// A PT_NOTE area holding GUEST_OS "GRUB" and a last PAE_MODE note whose header says 12 descriptor bytes while
// the area and the file end after 4 ("yes\0"): the shape of Debian's grub-i386-xen.bin.
std::vector<u8> truncated_note_elf() {
  std::vector<u8> notes;
  auto put = [&](u32 namesz, u32 descsz, u32 type, std::string name, std::vector<u8> desc) {
    for (u32 v : {namesz, descsz, type})
      for (int k = 0; k < 4; ++k) notes.push_back(u8(v >> (8 * k)));
    name.resize((name.size() + 3) & ~size_t(3), '\0');
    notes.insert(notes.end(), name.begin(), name.end());
    notes.insert(notes.end(), desc.begin(), desc.end());
  };
  put(4, 8, 5, std::string("Xen\0", 4), {'x', 'e', 'n', '-', '3', '.', '0', 0});
  put(4, 12, 9, std::string("Xen\0", 4), {'y', 'e', 's', 0});  // 8 bytes short
  test::ElfSpec spec;
  spec.multiboot = false;
  spec.entry = 0;
  spec.segments.push_back({.paddr = 0, .bytes = std::vector<u8>(16, 0x90)});
  spec.segments.push_back({.paddr = 0, .bytes = notes, .type = 4});
  return test::build_elf(spec);
}

TEST(XenNotes, ALastNoteShorterThanItsHeaderSaysIsReadAsFarAsTheFileGoes) {
  const std::vector<u8> file = truncated_note_elf();
  std::string err;
  const auto elf = parse_elf32(file, err);
  ASSERT_TRUE(elf) << err;
  ASSERT_EQ(elf->notes.size(), 2u);
  EXPECT_EQ(elf->notes[1].desc.size(), 4u);
  EXPECT_EQ(elf->notes[1].declared_descsz, 12u);
  const auto g = read_xen_guest_info(*elf, file, err);
  ASSERT_TRUE(g) << err;
  EXPECT_EQ(g->pae_mode, "yes");
  EXPECT_TRUE(g->needs_pae());  // refused later for PAE, not for its notes
}

TEST(XenNotes, AnElfWithNeitherNotesNorXenGuestIsNotAPvKernel) {
  test::ElfSpec spec;
  spec.segments.push_back({.paddr = 0x100000, .bytes = std::vector<u8>(16, 0x90)});
  const std::vector<u8> file = test::build_elf(spec);
  std::string err;
  const auto elf = parse_elf32(file, err);
  ASSERT_TRUE(elf) << err;
  EXPECT_FALSE(read_xen_guest_info(*elf, file, err));
  EXPECT_TRUE(err.empty());
  EXPECT_NE(std::string(kNotAPvKernel).find("__xen_guest"), std::string::npos);
}

}  // namespace
}  // namespace ring1::hv
