// Cross-domain access to granted frames (xen/include/public/grant_table.h, version 1; the rules of Xen 3.2's
// xen/common/grant_table.c): a domain reaches another domain's frame only through an entry the owner wrote
// into its grant table naming that domain. Every such access takes this one path, acquire() and release():
// the GNTTABOP_map_grant_ref hypercall (which adds a page-table entry for GNTMAP_host_map), GNTTABOP_copy,
// and the in-process back-ends, which are the control domain's drivers and map their front-ends' grants as
// device mappings. The rules, each tested in tests/hypervisor/grant_access_test.cpp:
//  - only a GTF_permit_access entry whose domid is the mapper's may be used (else GNTST_general_error), and a
//    reference past the granter's table is GNTST_bad_gntref;
//  - a GTF_readonly grant is never mapped or copied into writable (GNTST_general_error);
//  - while mapped, the entry carries GTF_reading (and GTF_writing for a writable mapping), so the granting
//    guest sees it busy and must not revoke it; the bits go when the last such mapping does, after which the
//    guest may revoke the grant and the next map fails;
//  - a mapping holds a reference on the frame in its owner's name (a writable one also the writable type),
//    so the owner can neither free it nor make it a page table while another domain maps it;
//  - a host mapping's page-table entry is installed by the frame table's mod_l1_entry, the rule mmu_update
//    uses, with the granter as the frame's owner.
#pragma once
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "hypervisor/domain.h"
#include "hypervisor/frame_table.h"
#include "hypervisor/xen_abi_grants.h"

namespace ring1::hv {

// The control domain: the in-process back-ends (xenstore's, the console's, the net and block drivers) act
// as domain 0 does in Xen, and front-ends grant their rings and buffers to it (backend-id 0).
inline constexpr DomainId kControlDomain{0};

struct GrantStats {
  u64 maps = 0;           // successful acquisitions (map_grant_ref, copy sides by reference, back-ends)
  u64 host_mappings = 0;  // of which installed a page-table entry
  u64 unmaps = 0;
  u64 copies = 0;         // GNTTABOP_copy operations and back-end copies that moved bytes
  u64 bytes_copied = 0;
  u64 refused = 0;        // operations that returned a GNTST_* error
};

// Xen's active grant entries (struct active_grant_entry): one per (granter, ref) in use, whichever domain maps
// it. Xen keeps them in the granter's table; ring1 keeps those of every domain of a run in one table, shared by
// each domain's GrantAccess (HypervisorCore), so that a mapping made by one domain is seen by every other.
struct ActiveGrants {
  struct Active {
    DomainId mapper{0};
    Mfn frame{0};
    u32 readers = 0, writers = 0;
  };
  std::map<std::pair<u16, u32>, Active> entries;
};

class GrantAccess {
 public:
  // Where domain `d`'s grant frames are; null if there is no such domain.
  using FramesOf = const std::vector<Mfn>* (*)(void* context, DomainId d);
  // `shared`: the run's active entries when several domains share one machine (null: a table of its own).
  GrantAccess(FrameTable& frames, FramesOf frames_of, void* context, ActiveGrants* shared = nullptr)
      : frames_(frames), frames_of_(frames_of), context_(context), active_(shared ? shared->entries : own_.entries) {}

  // ---- the one path ----
  struct Access {
    i16 status = xen::kGntstOkay;
    Mfn frame{0};
    u32 handle = 0;
  };
  // `mapper` takes (granter, ref), read-only or writable: the entry is checked, its busy bits set, and the
  // frame referenced in the granter's name. A device mapping: no page-table entry (handle for release()).
  Access acquire(DomainId mapper, DomainId granter, u32 ref, bool readonly);
  // Gives back a mapping that has no page-table entry (or whose entry is already gone).
  i16 release(DomainId mapper, u32 handle);
  // Domain teardown (Xen's gnttab_release_mappings): every mapping held through this table goes, its frame
  // references and busy bits with it; the page-table entries of host mappings go with the mapper's tables
  // (FrameTable::relinquish). Returns how many there were.
  u32 release_all();

  // ---- GNTTABOP_map_grant_ref / unmap_grant_ref for a PV domain ----
  // Fills op.status, op.handle and op.dev_bus_addr. A GNTMAP_host_map entry goes at op.host_addr, a virtual
  // address in the mapper's current address space (or, with GNTMAP_contains_pte, the machine address of
  // the entry in one of its page tables).
  void map(const Domain& mapper, xen::GnttabMapGrantRef& op);
  // Fills op.status; `flushed` gets the virtual address whose translation must be flushed, if any.
  void unmap(const Domain& mapper, xen::GnttabUnmapGrantRef& op, std::optional<u32>& flush_va);

  // ---- copies (GNTTABOP_copy, and the back-ends' packet and block moves) ----
  // Fills op.status; the bytes move through acquire() for each side given by reference.
  void copy(DomainId caller, xen::GnttabCopy& op);
  // The back-ends' form: `len` bytes at `offset` in (granter, ref), to or from host memory.
  i16 copy_to_grant(DomainId mapper, DomainId granter, u32 ref, u32 offset, const void* src, u32 len);
  i16 copy_from_grant(DomainId mapper, DomainId granter, u32 ref, u32 offset, void* dst, u32 len);

  // The shared entry (granter, ref) as the granting guest wrote it; false if there is none.
  bool read_entry(DomainId granter, u32 ref, xen::GrantEntryV1& out) const;
  // Mappings currently held (for tests and the report).
  u32 active_mappings() const { return live_; }
  const GrantStats& stats() const { return stats_; }

 private:
  struct Track {  // Xen's struct grant_mapping (maptrack): one per handle
    bool used = false;
    DomainId mapper{0}, granter{0};
    u32 ref = 0;
    bool readonly = false;
    bool host = false;     // a page-table entry maps it too
    Mfn pte_table{0};      // where that entry is
    u32 pte_slot = 0;
  };
  static constexpr u32 kMaxHandles = 1u << 16;

  // The machine address of entry `ref` of the granter's table; 0 if there is none (frame 0 is never one).
  u32 entry_addr(DomainId granter, u32 ref) const;
  i16 refuse(i16 status) {
    ++stats_.refused;
    return status;
  }
  // Finds the L1 entry for a host mapping: false if there is none the mapper may use.
  bool locate_pte(const Domain& mapper, u64 host_addr, bool contains_pte, Mfn& table, u32& slot) const;
  void drop(u32 handle);

  FrameTable& frames_;
  FramesOf frames_of_;
  void* context_;
  ActiveGrants own_;
  std::map<std::pair<u16, u32>, ActiveGrants::Active>& active_;
  std::vector<Track> tracks_;
  u32 live_ = 0;
  GrantStats stats_;
};

}  // namespace ring1::hv
