// The block back end's request handling (see the header), after Xen's blkback (drivers/xen/blkback:
// dispatch_rw_block_io's checks, make_response) with the image served synchronously.
#include "devices/blkif_backend.h"

#include <cstddef>
#include <cstring>
#include <vector>

namespace ring1 {

static_assert(sizeof(blkif::Request) == 108 && offsetof(blkif::Request, id) == 4 &&
              offsetof(blkif::Request, sector_number) == 12 && offsetof(blkif::Request, seg) == 20);
static_assert(sizeof(blkif::Response) == 12 && offsetof(blkif::Response, operation) == 8 &&
              offsetof(blkif::Response, status) == 10);

bool BlkifBackend::connect(u16 dom, u32 ring_ref, u32 port) {
  disconnect();
  u32 handle = 0;
  const u32 ma = host_.map_page(host_.context, dom, ring_ref, &handle);
  if (!ma) return false;
  dom_ = dom;
  port_ = port;
  ring_ma_ = ma;
  ring_handle_ = handle;
  // The front end initialised the shared indexes (SHARED_RING_INIT); the back end's private ones start at 0.
  ring1_back_init(&back_, reinterpret_cast<ring1_sring*>(ram_.host(ma)), blkif::kSlotBytes);
  return true;
}

void BlkifBackend::disconnect() {
  if (!ring_ma_) return;
  host_.unmap_page(host_.context, ring_handle_);
  ring_ma_ = 0;
  disk_.flush();
}

void BlkifBackend::kick() {
  if (!ring_ma_) return;
  ++stats_.kicks;
  u64 served = 0;
  bool more = true;
  while (more) {
    const u32 prod = back_.sring->req_prod;  // read once: the front end may not move it under our checks
    ring1_ring_mb();
    const i64 n = ring1_back_requests(&back_, prod);
    if (n < 0) {
      // More outstanding than the ring holds: the front end is broken or hostile; drop the connection.
      ++stats_.protocol_errors;
      disconnect();
      return;
    }
    for (i64 i = 0; i < n; ++i) {
      blkif::Request r;
      std::memcpy(&r, ring1_back_request(&back_), sizeof r);
      ++back_.req_cons;
      ++stats_.requests;
      const i16 status = serve(r);
      if (status != blkif::kRspOkay) ++stats_.errors;
      const blkif::Response rsp{r.id, r.operation, 0, status};
      u8* slot = static_cast<u8*>(ring1_back_next_response(&back_));
      ram_.note_write(u32(slot - ram_.host(0)), sizeof rsp);
      std::memcpy(slot, &rsp, sizeof rsp);
      ++back_.rsp_prod_pvt;
    }
    served += u64(n);
    ram_.note_write(ring_ma_, RING1_RING_HEADER_BYTES);
    if (ring1_back_push(&back_)) {
      ++stats_.notifications;
      host_.notify(host_.context, port_);
    }
    more = ring1_back_final_check(&back_) != 0;
    // Every request on the ring has been answered once the ring is empty of new ones; a front end cannot
    // add more while we run, so this loop ends after at most one more pass.
    if (n == 0) break;
  }
  if (served > stats_.max_batch) stats_.max_batch = served;
}

i16 BlkifBackend::serve(const blkif::Request& r) {
  const EventCosts& e = costs_.events;
  charge(e.hv_request);
  switch (r.operation) {
    case blkif::kOpRead: ++stats_.reads; return read_write(r, false);
    case blkif::kOpWrite: ++stats_.writes; return read_write(r, true);
    case blkif::kOpWriteBarrier: {
      ++stats_.barriers;
      // A barrier is a write that every earlier request precedes (all were completed synchronously) and
      // that is on stable storage before it is acknowledged. With no segments it is a pure barrier.
      const i16 s = r.nr_segments ? read_write(r, true) : (disk_.read_only() ? blkif::kRspError : blkif::kRspOkay);
      if (s != blkif::kRspOkay) return s;
      return disk_.flush() ? blkif::kRspOkay : blkif::kRspError;
    }
    case blkif::kOpFlushDiskcache:
      ++stats_.flushes;
      return disk_.flush() ? blkif::kRspOkay : blkif::kRspError;
    default: return blkif::kRspEopnotsupp;
  }
}

i16 BlkifBackend::read_write(const blkif::Request& r, bool write) {
  // Validation first, before any data moves (dispatch_rw_block_io).
  if (r.nr_segments == 0 || r.nr_segments > blkif::kMaxSegments) return blkif::kRspError;
  if (write && disk_.read_only()) return blkif::kRspError;
  u64 total = 0;
  for (u32 i = 0; i < r.nr_segments; ++i) {
    const blkif::Segment& s = r.seg[i];
    if (s.last_sect >= blkif::kSectorsPerPage || s.last_sect < s.first_sect) return blkif::kRspError;
    total += u32(s.last_sect - s.first_sect + 1);
  }
  if (r.sector_number > disk_.sectors() || total > disk_.sectors() - r.sector_number) return blkif::kRspError;

  std::vector<u8> buf(total * kSectorSize);
  const EventCosts& e = costs_.events;
  const u64 copy_cost = u64(kSectorSize / 4) * costs_.cost(CostClass::StringIter);  // per sector
  if (write) {
    // Gather every segment from the front end's grants first: a refused grant leaves the image untouched.
    u64 at = 0;
    for (u32 i = 0; i < r.nr_segments; ++i) {
      const blkif::Segment& s = r.seg[i];
      const u32 n = u32(s.last_sect - s.first_sect + 1);
      charge(e.hv_grant);
      if (host_.copy_from_grant(host_.context, dom_, s.gref, s.first_sect * kSectorSize, &buf[at * kSectorSize],
                                n * kSectorSize) != 0)
        return blkif::kRspError;
      charge(n * copy_cost);
      at += n;
    }
    if (!disk_.write(r.sector_number, u32(total), buf.data())) return blkif::kRspError;
    stats_.sectors_written += total;
    return blkif::kRspOkay;
  }
  // A read maps every segment's page writable before any data moves, as blkback maps a whole request's
  // grants first and fails it untouched if one map fails (dispatch_rw_block_io, fail_flush): a refused
  // grant in the last segment must not leave the first segments' pages written.
  u32 ma[blkif::kMaxSegments], handle[blkif::kMaxSegments], mapped = 0;
  auto unmap_all = [&] {
    for (u32 i = 0; i < mapped; ++i) host_.unmap_page(host_.context, handle[i]);
  };
  for (; mapped < r.nr_segments; ++mapped) {
    charge(e.hv_grant);
    ma[mapped] = host_.map_page(host_.context, dom_, r.seg[mapped].gref, &handle[mapped]);
    if (!ma[mapped]) {
      unmap_all();
      return blkif::kRspError;
    }
  }
  if (!disk_.read(r.sector_number, u32(total), buf.data())) {
    unmap_all();
    return blkif::kRspError;
  }
  u64 at = 0;
  for (u32 i = 0; i < r.nr_segments; ++i) {
    const blkif::Segment& s = r.seg[i];
    const u32 n = u32(s.last_sect - s.first_sect + 1);
    ram_.write_bytes(ma[i] + s.first_sect * kSectorSize, &buf[at * kSectorSize], n * kSectorSize);
    charge(n * copy_cost);
    at += n;
  }
  unmap_all();
  stats_.sectors_read += total;
  return blkif::kRspOkay;
}

}  // namespace ring1
