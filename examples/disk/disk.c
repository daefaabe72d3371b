// disk: block I/O from a kit kernel on a virtual disk (`ring1 run disk.elf --pv --disk FILE[,ro]`), through
// the kit's block front end (kit/blkfront.h) and ring1's block back end. It writes a pattern across the disk
// but for its first and last 4 KiB, in requests of up to 11 pages, several requests per notification; flushes;
// reads everything back and compares checksums. Then it reads 32 one-page requests with 1, 8 and 32 requests
// per notification, to show what the ring's batching saves. Every phase is a region of the measurement ports
// (kit/measure.h), so the run's report holds its exact modelled counters, and the kernel prints its own
// modelled cycles (RDTSC) per request and per batch. On a read-only disk (info says VDISK_READONLY) it tries
// one write, which the back end must refuse with BLKIF_RSP_ERROR, and reads the disk's checksum.
//
// Command line: batch=B (requests per notification while writing and reading the pattern, 1..32, default 4);
// `barrier` flushes with an empty BLKIF_OP_WRITE_BARRIER, as a front end does whose back end offers only
// feature-barrier (the default is BLKIF_OP_FLUSH_DISKCACHE, which ring1's back end offers too).
// The pattern: the 32-bit little-endian word at byte offset o of the disk is (o / 4) * 2654435761 + 0x01234567
// (mod 2^32), so a host can check the image file afterwards (tests/examples/check_disk.py does).
#include "kit/blkfront.h"
#include "kit/console.h"
#include "kit/div64.h"
#include "kit/gnttab.h"
#include "kit/kit.h"
#include "kit/measure.h"
#include "kit/paging.h"
#include "kit/platform.h"
#include "kit/string.h"
#include "kit/xenbus.h"
#include <xen/errno.h>

#define EDGE_SECTORS 8        // left untouched at each end of the disk
#define MAX_SECTORS 2048      // the largest range the buffers hold (1 MiB)
#define REQ_SECTORS (BLKIF_MAX_SEGMENTS_PER_REQUEST * 8)  // 11 pages per request
#define SWEEP_REQUESTS 32     // the batching sweep: 32 one-page reads

static uint8_t out_buf[MAX_SECTORS * 512] __attribute__((aligned(4096)));
static uint8_t in_buf[MAX_SECTORS * 512] __attribute__((aligned(4096)));
static uint8_t sweep_buf[SWEEP_REQUESTS * PAGE_SIZE] __attribute__((aligned(4096)));
static struct blkfront dev;

// "name=N" on the command line: N, `fallback` if absent, or ~0u if the value is not a number.
static unsigned arg(const char *name, unsigned fallback) {
  const char *s = kit_boot.cmdline;
  size_t n = strlen(name);
  for (; *s; s++) {
    if ((s == kit_boot.cmdline || s[-1] == ' ') && strncmp(s, name, n) == 0 && s[n] == '=') {
      unsigned v = 0, digits = 0;
      for (s += n + 1; *s >= '0' && *s <= '9' && digits < 9; s++, digits++) v = v * 10 + (unsigned)(*s - '0');
      return digits && (*s == 0 || *s == ' ') ? v : ~0u;
    }
  }
  return fallback;
}

// Whether `name` is a word of the command line.
static bool word(const char *name) {
  size_t n = strlen(name);
  for (const char *s = kit_boot.cmdline; *s; s++)
    if ((s == kit_boot.cmdline || s[-1] == ' ') && strncmp(s, name, n) == 0 && (s[n] == 0 || s[n] == ' ')) return true;
  return false;
}

// a / b with two decimals.
static void fixed2(char *buf, size_t size, uint64_t a, uint32_t b) {
  uint64_t q = a * 100;
  div64_u32(&q, b ? b : 1);
  uint32_t hundredths = div64_u32(&q, 100);
  snprintf(buf, size, "%llu.%02u", q, hundredths);
}

// Two running sums over 32-bit words (Fletcher's scheme, mod 2^32): a change to any word, or two swapped
// words, changes it.
static uint64_t checksum(const uint8_t *p, uint32_t bytes) {
  const uint32_t *w = (const uint32_t *)p;
  uint32_t a = 0, b = 0;
  for (uint32_t i = 0; i < bytes / 4; i++) {
    a += w[i];
    b += a;
  }
  return (uint64_t)b << 32 | a;
}

struct phase {
  const char *region;
  uint32_t requests, notifications, errors;
  uint64_t cycles;
};

static void count_error(void *ctx, uint32_t tag, uint8_t op, int16_t status) {
  (void)tag;
  (void)op;
  if (status != BLKIF_RSP_OKAY) ((struct phase *)ctx)->errors++;
}

// Moves [first, first + count) sectors to or from buf in requests of up to REQ_SECTORS, `batch` requests per
// notification; each batch (queue, push, wait) is one sample of the phase's region.
static void transfer(struct phase *ph, uint8_t op, uint32_t first, uint32_t count, uint8_t *buf, unsigned batch) {
  uint32_t done = 0;
  while (done < count) {
    measure_begin(ph->region);
    uint64_t t0 = plat_cycles();
    for (unsigned q = 0; q < batch && done < count; q++) {
      uint32_t n = count - done < REQ_SECTORS ? count - done : REQ_SECTORS;
      int rc = blkfront_queue(&dev, op, first + done, buf + done * 512, n, done);
      if (rc < 0) panic("blkfront_queue: %d", rc);
      done += n;
      ph->requests++;
    }
    if (blkfront_push(&dev)) ph->notifications++;
    blkfront_wait(&dev, count_error, ph);
    ph->cycles += plat_cycles() - t0;
    measure_end(ph->region);
  }
}

static void print_phase(const char *what, const struct phase *ph) {
  char per_req[32], per_note[32];
  fixed2(per_req, sizeof per_req, ph->cycles, ph->requests);
  fixed2(per_note, sizeof per_note, ph->cycles, ph->notifications);
  printf("%-6s %3u requests, %2u notifications, %u errors: %8llu cycles, %9s per request, %10s per notification\n",
         what, ph->requests, ph->notifications, ph->errors, ph->cycles, per_req, per_note);
}

static void fill_pattern(uint8_t *buf, uint32_t first_sector, uint32_t sectors) {
  uint32_t *w = (uint32_t *)buf;
  uint32_t word0 = first_sector * 128;
  for (uint32_t i = 0; i < sectors * 128; i++) w[i] = (word0 + i) * 2654435761u + 0x01234567u;
}

// The read-only disk: one write must be refused, and the disk reads as it was.
static int read_only_run(uint32_t first, uint32_t count) {
  memset(out_buf, 0xA5, PAGE_SIZE);
  int status = blkfront_io(&dev, BLKIF_OP_WRITE, first, out_buf, 8);
  printf("write to the read-only disk: status %d (%s)\n", status, status == BLKIF_RSP_ERROR ? "BLKIF_RSP_ERROR" : "unexpected");
  struct phase rd = {"blk read", 0, 0, 0, 0};
  transfer(&rd, BLKIF_OP_READ, first, count, in_buf, 4);
  print_phase("read", &rd);
  uint64_t sum = checksum(in_buf, count * 512);
  printf("checksum of sectors %u..%u as found: %08x%08x\n", first, first + count - 1, (uint32_t)(sum >> 32), (uint32_t)sum);
  return status == BLKIF_RSP_ERROR && rd.errors == 0 ? 0 : 1;
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("disk: virtual block devices are the hypervisor's; run this image with --pv --disk FILE\n");
    return 0;
  }
  unsigned batch = arg("batch", 4);
  if (batch == 0 || batch > 32) {
    printf("disk: batch=B takes 1..32\n");
    return 2;
  }
  int rc = xenbus_init();
  if (rc == 0) rc = gnttab_init(1);
  if (rc != 0) panic("xenbus or grant table: %d", rc);
  rc = blkfront_connect(&dev, 0);
  if (rc == -XEN_ENODEV) {
    printf("disk: no virtual block device: run with --disk FILE\n");
    return 2;
  }
  if (rc < 0) panic("blkfront_connect: %d", rc);
  printf("disk: %s -> %s, %llu sectors of %u bytes, %s, barrier %u, flush %u, %u ring slots\n", dev.node, dev.backend,
         dev.sectors, dev.sector_size, dev.read_only ? "read-only" : "read-write", dev.feature_barrier,
         dev.feature_flush, dev.ring.nr_ents);
  if (dev.sector_size != 512 || dev.sectors < 2 * EDGE_SECTORS + 8) panic("disk too small or sectors not 512 bytes");
  uint32_t first = EDGE_SECTORS;
  uint32_t count = (uint32_t)dev.sectors - 2 * EDGE_SECTORS;
  if (count > MAX_SECTORS) count = MAX_SECTORS;
  if (dev.read_only) return read_only_run(first, count);

  // Write the pattern, flush, read it back.
  if (word("barrier")) dev.feature_flush = false;  // as if the back end offered only barriers
  printf("pattern over sectors %u..%u, %u requests per notification, flushed by %s\n", first, first + count - 1, batch,
         dev.feature_flush ? "FLUSH_DISKCACHE" : "WRITE_BARRIER");
  fill_pattern(out_buf, first, count);
  struct phase wr = {"blk write", 0, 0, 0, 0}, fl = {"blk flush", 0, 0, 0, 0}, rd = {"blk read", 0, 0, 0, 0};
  transfer(&wr, BLKIF_OP_WRITE, first, count, out_buf, batch);
  measure_begin(fl.region);
  uint64_t t0 = plat_cycles();
  int fs = blkfront_flush(&dev);
  fl.cycles = plat_cycles() - t0;
  measure_end(fl.region);
  fl.requests = fl.notifications = 1;
  fl.errors = fs != BLKIF_RSP_OKAY;
  transfer(&rd, BLKIF_OP_READ, first, count, in_buf, batch);
  print_phase("write", &wr);
  print_phase("flush", &fl);
  print_phase("read", &rd);
  uint64_t sw = checksum(out_buf, count * 512), sr = checksum(in_buf, count * 512);
  bool same = sw == sr && memcmp(out_buf, in_buf, count * 512) == 0;
  printf("checksum written %08x%08x, read %08x%08x: %s\n", (uint32_t)(sw >> 32), (uint32_t)sw, (uint32_t)(sr >> 32),
         (uint32_t)sr, same ? "same" : "DIFFERENT");

  // Requests per notification: the same 32 one-page reads, pushed 1, 8 and 32 at a time.
  static const unsigned sizes[] = {1, 8, 32};
  static const char *const regions[] = {"blk batch 1", "blk batch 8", "blk batch 32"};
  printf("requests per notification (32 one-page reads):\n");
  uint32_t sweep_errors = 0;
  for (unsigned s = 0; s < 3; s++) {
    struct phase ph = {regions[s], 0, 0, 0, 0};
    for (unsigned r = 0; r < SWEEP_REQUESTS; r += sizes[s]) {
      measure_begin(ph.region);
      uint64_t t = plat_cycles();
      for (unsigned q = 0; q < sizes[s]; q++) {
        if (blkfront_queue(&dev, BLKIF_OP_READ, first + (r + q) * 8, sweep_buf + (r + q) * PAGE_SIZE, 8, r + q) < 0)
          panic("blkfront_queue");
        ph.requests++;
      }
      if (blkfront_push(&dev)) ph.notifications++;
      blkfront_wait(&dev, count_error, &ph);
      ph.cycles += plat_cycles() - t;
      measure_end(ph.region);
    }
    char name[16];
    snprintf(name, sizeof name, "x%u", sizes[s]);
    print_phase(name, &ph);
    sweep_errors += ph.errors;
  }
  bool sweep_same = memcmp(sweep_buf, out_buf, sizeof sweep_buf) == 0;
  rc = blkfront_close(&dev);
  printf("front end: %u requests, %u pushes, %u notifications, %u responses, %u errors, %u waits; %u grants made, %u live;"
         " closed: %d\n", dev.requests, dev.pushes, dev.notifications, dev.responses, dev.errors, dev.waits, dev.grants,
         gnttab_grants_live, rc);
  return same && sweep_same && !wr.errors && !rd.errors && !fl.errors && !sweep_errors && rc == 0 ? 0 : 1;
}
