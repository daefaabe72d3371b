// measure.h: ring1's measurement ports, the guest's side. A guest brackets a region of interest with
// measure_begin("name") and measure_end("name"); ring1 snapshots its exact modelled counters (instructions,
// cycles by ring, TLB lookups/misses/flushes by cause, walks, hypercalls, bounces) at each OUT and writes the
// per-region totals, sample counts, minimum and median to the run's report. The ports are a modelled lab
// instrument, not a PC device: they answer from every ring, natively and in a paravirtual guest, without a
// trap or a hypercall, so a bracket costs one OUT instruction and nothing else.
//
// Protocol (one 32-bit OUT each; the value is the guest-linear address of a NUL-terminated region name of at
// most 63 characters, read through the MMU in the current address space):
//   port 0x0710  begin a sample of the named region
//   port 0x0714  end the open sample of the named region (its counters are added to the region's totals)
//   port 0x0718  reset: drop every region's samples (the value is ignored)
#pragma once
#include <stdint.h>

#define MEASURE_PORT_BEGIN 0x0710
#define MEASURE_PORT_END 0x0714
#define MEASURE_PORT_RESET 0x0718

static inline void measure_out_(uint16_t port, uint32_t v) {
  __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port) : "memory");
}
static inline void measure_begin(const char *region) { measure_out_(MEASURE_PORT_BEGIN, (uint32_t)region); }
static inline void measure_end(const char *region) { measure_out_(MEASURE_PORT_END, (uint32_t)region); }
static inline void measure_reset(void) { measure_out_(MEASURE_PORT_RESET, 0); }
