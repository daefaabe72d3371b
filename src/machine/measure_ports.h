// The measurement ports, the host's side of src/guest-kit/include/kit/measure.h: a guest brackets a named
// region with a 32-bit OUT to 0x710 (begin) and 0x714 (end); ring1 samples every modelled counter at the
// instruction boundary after each OUT and adds the difference to the region's totals, keeping the cycles of
// each sample for the minimum and the median. 0x718 drops every region. The ports are a modelled lab
// instrument (Cpu::instrument_ports): they answer from every ring, natively and in a paravirtual guest,
// without a trap or a hypercall. The name is read through the page tables with Mmu::probe, which fills no
// TLB entry and moves no counter, so measuring perturbs nothing it measures. Whatever a guest writes, the
// table stays bounded and a mistake is counted by kind, never fatal.
#pragma once
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.h"
#include "mmu/mmu.h"

namespace ring1 {

class Machine;
namespace hv {
struct HypervisorStats;
class DomainScheduler;
}

// Every counter a sample carries, by index; kMeasureFieldNames gives each its CSV/JSON name.
enum MeasureField : u32 {
  kInstructions,
  kCycles,
  kCyclesRing0,
  kCyclesRing1,
  kCyclesRing2,
  kCyclesRing3,
  kItlbLookups,
  kItlbMisses,
  kDtlbLookups,
  kDtlbMisses,
  kTlbFills,
  kTlbEvictions,
  kFlushesFirst,  // one per FlushCause, then the entries each cause dropped
  kDroppedFirst = kFlushesFirst + u32(FlushCause::Count),
  kWalks = kDroppedFirst + u32(FlushCause::Count),
  kWalkCycles,
  kPageFaults,
  kHypercalls,
  kHvEntries,
  kBounces,
  kUpcalls,
  kMeasureFields
};
using MeasureCounters = std::array<u64, kMeasureFields>;
// "instructions", "cycles", "cycles_ring0", ..., "flushes_cr3_write", ..., "dropped_invlpg", ..., "upcalls".
const std::vector<std::string>& measure_field_names();

// What a guest can get wrong, each counted (docs/experiment.md lists them).
enum class MeasureError : u8 {
  UnreadableName,   // the address (or a byte of the name) is not mapped, or not RAM
  Unterminated,     // no NUL within the 64 bytes a name may take
  BadName,          // empty, or a byte outside printable ASCII
  NarrowAccess,     // an 8- or 16-bit OUT: the protocol is 32-bit
  EndWithoutBegin,  // an end for a region with no open sample
  BeginWhileOpen,   // a begin for a region whose sample is open: the open one is dropped, the new one starts
  TableFull,        // a new name beyond kMaxRegions
  OpenAtEnd,        // a sample still open when the run ended (not counted in any region)
  Count
};
std::string_view measure_error_name(MeasureError e);

struct MeasureRegion {
  std::string name;
  u64 samples = 0;
  MeasureCounters total{};
  std::vector<u64> sample_cycles;  // the first kMaxKeptSamples samples' cycles, in order (for the median)
  u64 min_cycles = 0;              // over every sample
  bool open = false;
  MeasureCounters at_begin{};
  u64 median_cycles() const;       // the lower median of sample_cycles; 0 with no samples
};

class MeasurePorts {
 public:
  static constexpr u16 kBeginPort = 0x710, kEndPort = 0x714, kResetPort = 0x718;
  static constexpr u16 kFirstPort = 0x710, kPortCount = 12;  // 0x710-0x71B: three 32-bit ports
  static constexpr u32 kMaxName = 63;                        // bytes before the NUL (measure.h)
  static constexpr size_t kMaxRegions = 256;
  static constexpr size_t kMaxKeptSamples = 1u << 16;

  // Claims the ports on `m`'s bus and the CPU's boundary hook. `hv`: a paravirtual run's hypervisor
  // counters (hypercalls, entries, bounces, upcalls), or null natively.
  MeasurePorts(Machine& m, const hv::HypervisorStats* hv = nullptr);
  ~MeasurePorts();
  MeasurePorts(const MeasurePorts&) = delete;
  MeasurePorts& operator=(const MeasurePorts&) = delete;

  // Several domains: the hypervisor counters are every domain's summed (a region that spans a domain switch
  // counts the other domain's hypercalls too), domains created later included.
  void set_domains(const hv::DomainScheduler* s) { domains_ = s; }

  // The run is over: samples still open are counted as OpenAtEnd and closed.
  void finish();

  const std::vector<MeasureRegion>& regions() const { return regions_; }
  const std::array<u64, size_t(MeasureError::Count)>& errors() const { return errors_; }
  u64 resets() const { return resets_; }
  bool used() const { return used_; }  // the guest wrote to the ports at least once

  // Every counter as it stands now (exact only at an instruction boundary).
  MeasureCounters snapshot() const;

 private:
  static void on_write(void* self, u16 port, u8 size, u32 value);
  static void on_boundary(void* self);
  void write(u16 port, u8 size, u32 value);
  void boundary();
  // The NUL-terminated name at guest-linear `lin`, read without touching the TLB; false (error counted) if
  // it cannot be read or is not a name.
  bool read_name(u32 lin, std::string& out);
  MeasureRegion* find(const std::string& name, bool create);
  void count(MeasureError e) { ++errors_[size_t(e)]; }

  Machine& m_;
  const hv::HypervisorStats* hv_;
  const hv::DomainScheduler* domains_ = nullptr;
  std::vector<MeasureRegion> regions_;
  std::array<u64, size_t(MeasureError::Count)> errors_{};
  u64 resets_ = 0;
  bool used_ = false;
  // The OUT waiting for the boundary after it: begin, end or reset, and of which region.
  struct Pending {
    u16 port = 0;
    std::string name;
  };
  std::vector<Pending> pending_;  // at most one per instruction; a vector keeps the code simple
};

// The report's sections (machine/report.cpp): a short table, and a JSON object. Empty text / "null" when the
// guest never used the ports.
std::string measure_text(const MeasurePorts& p);
std::string measure_json(const MeasurePorts& p);

}  // namespace ring1
