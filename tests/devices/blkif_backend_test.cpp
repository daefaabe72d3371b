// The block back end against a front end written in the test with the same ring header the guest kit uses:
// domain 2 grants its ring and buffers to the control domain, the back end serves a temporary disk image.
// Each rule of blkif_backend.h has a test, the hostile ones included (wild producer, bad segments, a storm).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "devices/blkif_backend.h"
#include "hypervisor/backend_link.h"
#include "hypervisor/hv_fixture.h"

namespace ring1 {
namespace {

using hv::DomainId;
using hv::Mfn;
using hv::machine_addr;

constexpr Mfn kGrantFrame{0x5F0}, kRing{0x520}, kBuf0{0x530};
constexpr u32 kRingRef = 1, kBufRef0 = 10;  // buffer page i is granted as kBufRef0 + i, writable
constexpr u32 kPort = 7;
constexpr u32 kSectors = 64;

std::vector<u8> pattern(u32 sectors) {
  std::vector<u8> v(sectors * kSectorSize);
  for (u32 i = 0; i < v.size(); ++i) v[i] = u8(i * 7 + i / kSectorSize);
  return v;
}

struct BlkFixture : hv::test::FrameTableFixture {
  std::vector<Mfn> dom2_grants{kGrantFrame};
  hv::GrantAccess grants{frames, &BlkFixture::frames_of, this};
  std::vector<u32> notified;
  Cycles charged = 0;
  hv::BackendLink link{&grants, [](void* c, u32 port) { static_cast<BlkFixture*>(c)->notified.push_back(port); },
                       [](void* c, u64 n) { static_cast<BlkFixture*>(c)->charged += n; }, this};
  std::string path = ::testing::TempDir() + "ring1-blkif-" + std::to_string(::getpid()) + "-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".img";
  DiskImage disk;
  std::unique_ptr<BlkifBackend> back;
  ring1_front front{};

  static const std::vector<Mfn>* frames_of(void* self, DomainId d) {
    return d == DomainId{2} ? &static_cast<BlkFixture*>(self)->dom2_grants : nullptr;
  }
  void grant(u32 ref, u16 flags, u16 to, Mfn frame) {
    const xen::GrantEntryV1 e{flags, to, frame.value};
    ram.write_bytes(machine_addr(kGrantFrame, ref * 8).value, &e, sizeof e);
  }
  void open_disk(bool ro) {
    {
      std::ofstream f(path, std::ios::binary | std::ios::trunc);
      const std::vector<u8> p = pattern(kSectors);
      f.write(reinterpret_cast<const char*>(p.data()), std::streamsize(p.size()));
    }
    std::string err;
    ASSERT_TRUE(disk.open(path, ro, err)) << err;
  }
  void SetUp() override { start(false); }
  void start(bool ro) {
    open_disk(ro);
    grant(kRingRef, xen::gtf::kPermitAccess, 0, kRing);
    for (u32 i = 0; i < 4; ++i) grant(kBufRef0 + i, xen::gtf::kPermitAccess, 0, Mfn{kBuf0.value + i});
    auto* s = reinterpret_cast<ring1_sring*>(ram.host(machine_addr(kRing).value));
    ring1_sring_init(s);
    ring1_front_init(&front, s, blkif::kSlotBytes);
    back = std::make_unique<BlkifBackend>(ram, disk, link.host(), CostProfile::pentium3());
    ASSERT_TRUE(back->connect(2, kRingRef, kPort));
  }
  void TearDown() override {
    back.reset();
    disk.close();
    std::remove(path.c_str());
  }
  std::vector<u8> file() {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
  // Queues a request (not yet pushed).
  void queue(const blkif::Request& r) {
    std::memcpy(ring1_front_next_request(&front), &r, sizeof r);
    ++front.req_prod_pvt;
  }
  void push() { ring1_front_push(&front); }
  blkif::Response response(u32 i) {
    blkif::Response r;
    std::memcpy(&r, ring1_front_response(&front, i), sizeof r);
    return r;
  }
  static blkif::Request rw(u8 op, u64 id, u64 sector, std::vector<blkif::Segment> segs) {
    blkif::Request r{};
    r.operation = op;
    r.nr_segments = u8(segs.size());
    r.id = id;
    r.sector_number = sector;
    for (size_t i = 0; i < segs.size() && i < blkif::kMaxSegments; ++i) r.seg[i] = segs[i];
    return r;
  }
  std::vector<u8> page(u32 i) {
    std::vector<u8> v(kPageSize);
    ram.read_bytes(machine_addr(Mfn{kBuf0.value + i}).value, v.data(), kPageSize);
    return v;
  }
};

const CostProfile& p3 = CostProfile::pentium3();
const u64 kSectorCopy = u64(kSectorSize / 4) * p3.cost(CostClass::StringIter);

TEST_F(BlkFixture, AReadLandsInTheGrantedSectorsAndCostsItsDispatchItsGrantsAndItsBytes) {
  queue(rw(blkif::kOpRead, 0xABCDEF0123ull, 4, {{kBufRef0, 0, 7, 0}, {kBufRef0 + 1, 2, 3, 0}}));
  push();
  back->kick();
  ASSERT_EQ(front.sring->rsp_prod, 1u);
  const blkif::Response r = response(0);
  EXPECT_EQ(r.id, 0xABCDEF0123ull);
  EXPECT_EQ(r.operation, blkif::kOpRead);
  EXPECT_EQ(r.status, blkif::kRspOkay);
  const std::vector<u8> img = pattern(kSectors), p0 = page(0), p1 = page(1);
  EXPECT_TRUE(std::equal(p0.begin(), p0.end(), img.begin() + 4 * kSectorSize));
  EXPECT_TRUE(std::equal(p1.begin() + 2 * kSectorSize, p1.begin() + 4 * kSectorSize, img.begin() + 12 * kSectorSize));
  EXPECT_EQ(p1[0], 0u);  // sectors outside the segment are untouched
  // One dispatch, two grant accesses, ten sectors copied: 20 + 2 x 100 + 10 x 384 = 4060 cycles.
  EXPECT_EQ(charged, p3.events.hv_request + 2 * p3.events.hv_grant + 10 * kSectorCopy);
  EXPECT_EQ(charged, 4060u);
  EXPECT_EQ(back->stats().sectors_read, 10u);
  EXPECT_EQ(grants.active_mappings(), 1u);  // only the ring stays mapped
}

TEST_F(BlkFixture, AWriteReachesTheImageAtItsSectorsAndNowhereElse) {
  std::vector<u8> data(kPageSize, 0x5A);
  ram.write_bytes(machine_addr(kBuf0).value, data.data(), kPageSize);
  queue(rw(blkif::kOpWrite, 1, 10, {{kBufRef0, 1, 2, 0}}));
  push();
  back->kick();
  EXPECT_EQ(response(0).status, blkif::kRspOkay);
  std::vector<u8> want = pattern(kSectors);
  std::fill(want.begin() + 10 * kSectorSize, want.begin() + 12 * kSectorSize, 0x5A);
  EXPECT_EQ(file(), want);
}

TEST_F(BlkFixture, EveryMalformedRequestIsAnsweredErrorAndChangesNeitherTheImageNorTheGuest) {
  grant(kBufRef0 + 2, xen::gtf::kPermitAccess | xen::gtf::kReadonly, 0, Mfn{kBuf0.value + 2});
  grant(kBufRef0 + 3, xen::gtf::kPermitAccess, 5, Mfn{kBuf0.value + 3});  // granted to another domain
  const blkif::Segment ok{kBufRef0, 0, 0, 0};
  std::vector<blkif::Request> bad = {
      rw(blkif::kOpRead, 1, 0, {}),                                    // no segment
      rw(blkif::kOpRead, 2, 0, std::vector<blkif::Segment>(12, ok)),   // twelve (nr_segments says 12)
      rw(blkif::kOpRead, 3, 0, {{kBufRef0, 0, 8, 0}}),                 // last_sect past the page
      rw(blkif::kOpRead, 4, 0, {{kBufRef0, 5, 4, 0}}),                 // last before first
      rw(blkif::kOpRead, 5, kSectors - 1, {{kBufRef0, 0, 1, 0}}),      // runs past the end of the image
      rw(blkif::kOpWrite, 6, ~0ull - 1, {{kBufRef0, 0, 7, 0}}),        // a sector number that wraps
      rw(blkif::kOpRead, 7, 0, {{kBufRef0 + 2, 0, 7, 0}}),             // reading into a read-only grant
      rw(blkif::kOpWrite, 8, 0, {{kBufRef0 + 3, 0, 7, 0}}),            // a grant to someone else
      rw(blkif::kOpWrite, 9, 0, {ok, {99, 0, 0, 0}}),                  // a never-granted reference, second
      rw(7, 10, 0, {ok}),                                              // no such operation
  };
  bad[1].nr_segments = 12;
  for (const auto& r : bad) queue(r);
  push();
  back->kick();
  ASSERT_EQ(front.sring->rsp_prod, u32(bad.size()));
  for (u32 i = 0; i < bad.size(); ++i) {
    EXPECT_EQ(response(i).id, bad[i].id);
    EXPECT_EQ(response(i).status, i + 1 == bad.size() ? blkif::kRspEopnotsupp : blkif::kRspError) << "request " << i;
  }
  EXPECT_EQ(file(), pattern(kSectors));
  for (u32 i = 0; i < 4; ++i) EXPECT_EQ(page(i), std::vector<u8>(kPageSize, 0)) << "page " << i;
  EXPECT_EQ(back->stats().errors, bad.size());
  EXPECT_EQ(grants.active_mappings(), 1u);
}

TEST_F(BlkFixture, AReadOnlyImageRefusesWritesAndBarriersButReadsAndFlushes) {
  TearDown();
  start(true);
  queue(rw(blkif::kOpWrite, 1, 0, {{kBufRef0, 0, 7, 0}}));
  queue(rw(blkif::kOpWriteBarrier, 2, 0, {}));
  queue(rw(blkif::kOpRead, 3, 0, {{kBufRef0, 0, 0, 0}}));
  queue(rw(blkif::kOpFlushDiskcache, 4, 0, {}));
  push();
  back->kick();
  EXPECT_EQ(response(0).status, blkif::kRspError);
  EXPECT_EQ(response(1).status, blkif::kRspError);
  EXPECT_EQ(response(2).status, blkif::kRspOkay);
  EXPECT_EQ(response(3).status, blkif::kRspOkay);
  EXPECT_EQ(file(), pattern(kSectors));
}

TEST_F(BlkFixture, ABarrierWritesItsDataAndAFlushIsAcknowledged) {
  std::vector<u8> data(kPageSize, 0xB7);
  ram.write_bytes(machine_addr(kBuf0).value, data.data(), kPageSize);
  queue(rw(blkif::kOpWriteBarrier, 1, 0, {{kBufRef0, 0, 0, 0}}));
  queue(rw(blkif::kOpFlushDiskcache, 2, 0, {}));
  push();
  back->kick();
  EXPECT_EQ(response(0).status, blkif::kRspOkay);
  EXPECT_EQ(response(1).status, blkif::kRspOkay);
  EXPECT_EQ(file()[0], 0xB7);
  EXPECT_EQ(back->stats().barriers, 1u);
  EXPECT_EQ(back->stats().flushes, 1u);
}

TEST_F(BlkFixture, AWildProducerIndexBreaksTheConnectionAndNothingIsServed) {
  queue(rw(blkif::kOpRead, 1, 0, {{kBufRef0, 0, 7, 0}}));
  push();
  front.sring->req_prod = 1000;  // far more than the 32 slots hold
  back->kick();
  EXPECT_FALSE(back->connected());
  EXPECT_EQ(back->stats().protocol_errors, 1u);
  EXPECT_EQ(back->stats().requests, 0u);
  EXPECT_EQ(front.sring->rsp_prod, 0u);
  EXPECT_EQ(grants.active_mappings(), 0u);  // the ring's grant was given back
  back->kick();                             // and further kicks do nothing
  EXPECT_EQ(back->stats().kicks, 1u);
}

TEST_F(BlkFixture, ARequestStormIsServedAtMostOneRingPerKickAndAnEmptyKickCostsNothing) {
  ASSERT_EQ(front.nr_ents, 32u);
  for (u32 round = 0; round < 3; ++round) {
    while (ring1_front_free(&front)) queue(rw(blkif::kOpRead, round, 0, {{kBufRef0, 0, 0, 0}}));
    push();
    back->kick();
    front.rsp_cons = front.sring->rsp_prod;  // the front end consumes every response
  }
  EXPECT_EQ(back->stats().requests, 96u);
  EXPECT_EQ(back->stats().max_batch, 32u);
  const Cycles before = charged;
  back->kick();
  EXPECT_EQ(charged, before);
  // 96 one-sector reads: each 20 + 100 + 384.
  EXPECT_EQ(charged, 96 * (p3.events.hv_request + p3.events.hv_grant + kSectorCopy));
}

TEST_F(BlkFixture, TheBackEndNotifiesOnlyWhenTheFrontEndAskedForTheResponse) {
  queue(rw(blkif::kOpRead, 1, 0, {{kBufRef0, 0, 0, 0}}));
  push();
  back->kick();  // rsp_event is 1 (SHARED_RING_INIT): the first response is notified
  EXPECT_EQ(notified, std::vector<u32>{kPort});
  queue(rw(blkif::kOpRead, 2, 0, {{kBufRef0, 0, 0, 0}}));
  push();
  back->kick();  // the front end has not asked again (rsp_event still 1): no event
  EXPECT_EQ(notified.size(), 1u);
  front.rsp_cons = front.sring->rsp_prod;
  EXPECT_FALSE(ring1_front_final_check(&front));  // asks for the next one
  queue(rw(blkif::kOpRead, 3, 0, {{kBufRef0, 0, 0, 0}}));
  push();
  back->kick();
  EXPECT_EQ(notified.size(), 2u);
}

// ---- hostile front ends beyond the malformed requests above: each is answered as Xen's blkback answers it
// (BLKIF_RSP_ERROR, or the ring dropped), never with a write outside the image or into a page not granted.

TEST_F(BlkFixture, AReadWithARefusedGrantInItsLastSegmentWritesNoneOfItsPages) {
  // blkback maps a request's every segment before any data moves and fails it whole if one map fails.
  queue(rw(blkif::kOpRead, 1, 0, {{kBufRef0, 0, 7, 0}, {kBufRef0 + 1, 0, 7, 0}, {99, 0, 7, 0}}));
  push();
  back->kick();
  EXPECT_EQ(response(0).status, blkif::kRspError);
  EXPECT_EQ(page(0), std::vector<u8>(kPageSize, 0));
  EXPECT_EQ(page(1), std::vector<u8>(kPageSize, 0));
  EXPECT_EQ(grants.active_mappings(), 1u);  // the two pages mapped for it were given back
  EXPECT_EQ(back->stats().sectors_read, 0u);
}

TEST_F(BlkFixture, SegmentsOutsideTheirPageAndSectorsBeyondTheDiskAreRefusedAndTheImageKeepsItsSize) {
  std::vector<u8> data(kPageSize, 0xC3);
  ram.write_bytes(machine_addr(kBuf0).value, data.data(), kPageSize);
  const std::vector<blkif::Request> bad = {
      rw(blkif::kOpWrite, 1, 0, {{kBufRef0, 8, 8, 0}}),                    // first_sect past the page
      rw(blkif::kOpWrite, 2, 0, {{kBufRef0, 255, 255, 0}}),                // both at the byte's limit
      rw(blkif::kOpWrite, 3, 0, {{kBufRef0, 0, 7, 0}, {kBufRef0, 7, 9, 0}}),  // a good segment, then a bad one
      rw(blkif::kOpWrite, 4, kSectors, {{kBufRef0, 0, 0, 0}}),             // the first sector past the end
      rw(blkif::kOpWrite, 5, kSectors - 1, {{kBufRef0, 0, 1, 0}}),         // straddling the end
      rw(blkif::kOpWrite, 6, 1ull << 63, {{kBufRef0, 0, 0, 0}}),           // far beyond
      rw(blkif::kOpRead, 7, kSectors - 7, {{kBufRef0, 0, 7, 0}}),          // a read straddling the end
  };
  for (const auto& r : bad) queue(r);
  push();
  back->kick();
  ASSERT_EQ(front.sring->rsp_prod, u32(bad.size()));
  for (u32 i = 0; i < bad.size(); ++i) EXPECT_EQ(response(i).status, blkif::kRspError) << "request " << i;
  EXPECT_EQ(file(), pattern(kSectors));  // the same bytes, and not one more
  EXPECT_EQ(back->stats().sectors_written, 0u);
  EXPECT_EQ(page(0), data);
}

TEST_F(BlkFixture, ANumberOfSegmentsBeyondElevenIsRefusedUpToTheLargestTheFieldHolds) {
  for (u32 n : {12u, 100u, 255u}) {
    blkif::Request r = rw(blkif::kOpRead, n, 0, std::vector<blkif::Segment>(blkif::kMaxSegments, {kBufRef0, 0, 0, 0}));
    r.nr_segments = u8(n);  // the request has room for 11: the back end must not look past them
    queue(r);
  }
  push();
  back->kick();
  for (u32 i = 0; i < 3; ++i) EXPECT_EQ(response(i).status, blkif::kRspError);
  EXPECT_EQ(page(0), std::vector<u8>(kPageSize, 0));
}

TEST_F(BlkFixture, AReadIntoAGrantedPageTableIsRefusedAndTheTableIsUnchanged) {
  // The front end grants one of its page tables writable: a writable mapping needs the writable type, which
  // a page table cannot take (Xen's get_page_and_type), so no data can land in it.
  const Mfn table{kBuf0.value + 3};
  ASSERT_TRUE(frames.pin(table, DomainId{2}, hv::FrameType::L1PageTable));
  queue(rw(blkif::kOpRead, 1, 0, {{kBufRef0 + 3, 0, 7, 0}}));
  push();
  back->kick();
  EXPECT_EQ(response(0).status, blkif::kRspError);
  EXPECT_EQ(page(3), std::vector<u8>(kPageSize, 0));
  EXPECT_EQ(grants.active_mappings(), 1u);
}

TEST_F(BlkFixture, AProducerIndexMovedBackwardsBreaksTheConnection) {
  queue(rw(blkif::kOpRead, 1, 0, {{kBufRef0, 0, 0, 0}}));
  queue(rw(blkif::kOpRead, 2, 0, {{kBufRef0, 0, 0, 0}}));
  push();
  back->kick();
  ASSERT_EQ(back->stats().requests, 2u);
  front.sring->req_prod = 1;  // behind the two requests already taken: as unsigned, billions ahead
  back->kick();
  EXPECT_FALSE(back->connected());
  EXPECT_EQ(back->stats().protocol_errors, 1u);
  EXPECT_EQ(back->stats().requests, 2u);
  EXPECT_EQ(grants.active_mappings(), 0u);
}

TEST_F(BlkFixture, AFrontEndThatNeverTakesItsResponsesGetsAtMostOneRingPerKick) {
  // It keeps pushing requests over responses it never consumed: the back end answers each kick's ring of
  // requests and no more; nothing it does depends on the front end's private consumer index.
  for (u32 round = 0; round < 4; ++round) {
    for (u32 i = 0; i < front.nr_ents; ++i) queue(rw(blkif::kOpRead, round * 100 + i, 0, {{kBufRef0, 0, 0, 0}}));
    push();
    back->kick();
    EXPECT_EQ(front.sring->rsp_prod, (round + 1) * front.nr_ents);
  }
  EXPECT_EQ(back->stats().requests, 4 * front.nr_ents);
  EXPECT_EQ(back->stats().max_batch, front.nr_ents);
  EXPECT_TRUE(back->connected());
}

}  // namespace
}  // namespace ring1
