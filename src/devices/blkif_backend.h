// The block back end (xen/include/public/io/blkif.h): what Xen's blkback does in domain 0 for one virtual
// block device, serving a host disk image (DiskImage) to one front end over one shared ring of the layout in
// common/io_ring.h. Every request is copied out of the ring and validated before anything happens: its
// operation, 1..11 segments whose first_sect..last_sect lie within the 4 KiB page (sectors 0..7), a sector
// range inside the image, no write to a read-only image, and every segment's grant through the control
// domain's grant path (a read needs a writable grant, a write a readable one). A bad request gets
// BLKIF_RSP_ERROR (an unknown operation BLKIF_RSP_EOPNOTSUPP) and changes nothing: a write gathers all its
// data from the front end before the image is touched, and a read maps all its pages before any data moves. WRITE_BARRIER writes then flushes; FLUSH_DISKCACHE
// flushes. Indexes are hostile: a producer more than a ring ahead breaks the connection, and one kick serves
// at most what the ring can hold (the guest cannot add requests while the back end runs).
//
// Costs (charged through BackendHost::charge, from the cost profile): each request hv_request (the
// dispatch), each segment hv_grant (its grant access) and its bytes as string iterations of four bytes.
#pragma once
#include "common/cost_profile.h"
#include "common/io_ring.h"
#include "devices/backend_host.h"
#include "devices/disk_image.h"
#include "mmu/physical_memory.h"

namespace ring1 {

// The x86_32 layouts of xen/io/blkif.h (sizes and offsets as gcc -m32 gives them; static assertions in the
// .cpp). The guest kit includes <xen/io/blkif.h> itself.
namespace blkif {
inline constexpr u8 kOpRead = 0, kOpWrite = 1, kOpWriteBarrier = 2, kOpFlushDiskcache = 3;
inline constexpr u32 kMaxSegments = 11;
inline constexpr i16 kRspOkay = 0, kRspError = -1, kRspEopnotsupp = -2;
inline constexpr u32 kSectorsPerPage = kPageSize / kSectorSize;
#pragma pack(push, 4)
struct Segment {
  u32 gref;
  u8 first_sect, last_sect;
  u16 pad;
};
struct Request {
  u8 operation;
  u8 nr_segments;
  u16 handle;
  u64 id;
  u64 sector_number;
  Segment seg[kMaxSegments];
};
struct Response {
  u64 id;
  u8 operation;
  u8 pad;
  i16 status;
};
#pragma pack(pop)
inline constexpr u32 kSlotBytes = sizeof(Request);  // the larger of the two
}  // namespace blkif

struct BlkifStats {
  u64 kicks = 0;              // notifications served
  u64 requests = 0;           // requests taken from the ring
  u64 reads = 0, writes = 0, barriers = 0, flushes = 0;
  u64 sectors_read = 0, sectors_written = 0;
  u64 errors = 0;             // answered BLKIF_RSP_ERROR or EOPNOTSUPP
  u64 notifications = 0;      // events sent back to the front end
  u64 protocol_errors = 0;    // broken rings (the connection was dropped)
  u64 max_batch = 0;          // the most requests one kick served
  Cycles cycles = 0;          // work charged
};

class BlkifBackend {
 public:
  BlkifBackend(PhysicalMemory& ram, DiskImage& disk, const BackendHost& host, const CostProfile& costs)
      : ram_(ram), disk_(disk), host_(host), costs_(costs) {}
  ~BlkifBackend() { disconnect(); }
  BlkifBackend(const BlkifBackend&) = delete;
  BlkifBackend& operator=(const BlkifBackend&) = delete;

  // Connects to the front end of domain `dom`: its ring page granted as `ring_ref`, its event channel
  // `port` (the port the back end notifies). False if the ring's grant is refused.
  bool connect(u16 dom, u32 ring_ref, u32 port);
  void disconnect();
  bool connected() const { return ring_ma_ != 0; }
  // The front end notified: serves what is on the ring.
  void kick();

  const BlkifStats& stats() const { return stats_; }
  DiskImage& disk() { return disk_; }

 private:
  // One request, copied out of the ring: its response's status.
  i16 serve(const blkif::Request& r);
  i16 read_write(const blkif::Request& r, bool write);
  void charge(u64 cycles) {
    stats_.cycles += cycles;
    if (host_.charge) host_.charge(host_.context, cycles);
  }

  PhysicalMemory& ram_;
  DiskImage& disk_;
  BackendHost host_;
  const CostProfile& costs_;
  u16 dom_ = 0;
  u32 port_ = 0;
  u32 ring_ma_ = 0, ring_handle_ = 0;
  ring1_back back_{};
  BlkifStats stats_;
};

}  // namespace ring1
