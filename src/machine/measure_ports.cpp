// The measurement ports (measure_ports.h): the OUT is noted when it executes, and the counters are sampled at
// the instruction boundary after it, where the CPU has settled its retired-instruction and per-ring counts.
#include "machine/measure_ports.h"

#include <algorithm>

#include <fmt/format.h>

#include "hypervisor/domain_scheduler.h"
#include "hypervisor/hypervisor.h"
#include "machine/machine.h"

namespace ring1 {

const std::vector<std::string>& measure_field_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n(kMeasureFields);
    n[kInstructions] = "instructions";
    n[kCycles] = "cycles";
    for (u32 r = 0; r < 4; ++r) n[kCyclesRing0 + r] = fmt::format("cycles_ring{}", r);
    n[kItlbLookups] = "itlb_lookups";
    n[kItlbMisses] = "itlb_misses";
    n[kDtlbLookups] = "dtlb_lookups";
    n[kDtlbMisses] = "dtlb_misses";
    n[kTlbFills] = "tlb_fills";
    n[kTlbEvictions] = "tlb_evictions";
    for (u32 k = 0; k < u32(FlushCause::Count); ++k) {
      std::string cause(flush_cause_name(FlushCause(k)));
      std::replace(cause.begin(), cause.end(), '-', '_');
      n[kFlushesFirst + k] = "flushes_" + cause;
      n[kDroppedFirst + k] = "dropped_" + cause;
    }
    n[kWalks] = "walks";
    n[kWalkCycles] = "walk_cycles";
    n[kPageFaults] = "page_faults";
    n[kHypercalls] = "hypercalls";
    n[kHvEntries] = "hv_entries";
    n[kBounces] = "bounces";
    n[kUpcalls] = "upcalls";
    return n;
  }();
  return names;
}

std::string_view measure_error_name(MeasureError e) {
  switch (e) {
    case MeasureError::UnreadableName: return "unreadable_name";
    case MeasureError::Unterminated: return "unterminated_name";
    case MeasureError::BadName: return "bad_name";
    case MeasureError::NarrowAccess: return "narrow_access";
    case MeasureError::EndWithoutBegin: return "end_without_begin";
    case MeasureError::BeginWhileOpen: return "begin_while_open";
    case MeasureError::TableFull: return "table_full";
    case MeasureError::OpenAtEnd: return "open_at_end";
    case MeasureError::Count: break;
  }
  return "?";
}

u64 MeasureRegion::median_cycles() const {
  if (sample_cycles.empty()) return 0;
  std::vector<u64> v = sample_cycles;
  const size_t mid = (v.size() - 1) / 2;
  std::nth_element(v.begin(), v.begin() + long(mid), v.end());
  return v[mid];
}

MeasurePorts::MeasurePorts(Machine& m, const hv::HypervisorStats* hv) : m_(m), hv_(hv) {
  PortHandler h;
  h.write = &MeasurePorts::on_write;
  h.ctx = this;
  if (!m.ports().attach(kFirstPort, kPortCount, h))
    throw std::runtime_error("the measurement ports 0x710-0x71b are already claimed by a device");
  m.cpu().instrument_ports = InstrumentPorts{kFirstPort, kPortCount};
  m.cpu().boundary_hook = BoundaryHook{&MeasurePorts::on_boundary, this};
}

MeasurePorts::~MeasurePorts() {
  m_.ports().detach(kFirstPort, kPortCount);
  m_.cpu().instrument_ports = InstrumentPorts{};
  m_.cpu().boundary_hook = BoundaryHook{};
}

void MeasurePorts::on_write(void* self, u16 port, u8 size, u32 value) {
  static_cast<MeasurePorts*>(self)->write(port, size, value);
}
void MeasurePorts::on_boundary(void* self) { static_cast<MeasurePorts*>(self)->boundary(); }

MeasureCounters MeasurePorts::snapshot() const {
  const Cpu& c = const_cast<Machine&>(m_).cpu();
  const MmuStats& st = const_cast<Machine&>(m_).mmu().stats();
  MeasureCounters k{};
  k[kInstructions] = c.instret;
  k[kCycles] = c.cycles;
  for (u32 r = 0; r < 4; ++r) k[kCyclesRing0 + r] = c.cycles_by_ring[r];
  k[kItlbLookups] = st.itlb.lookups;
  k[kItlbMisses] = st.itlb.misses;
  k[kDtlbLookups] = st.dtlb.lookups;
  k[kDtlbMisses] = st.dtlb.misses;
  k[kTlbFills] = st.itlb.fills + st.dtlb.fills;
  k[kTlbEvictions] = st.itlb.evictions + st.dtlb.evictions;
  for (u32 f = 0; f < u32(FlushCause::Count); ++f) {
    k[kFlushesFirst + f] = st.flushes[f];
    k[kDroppedFirst + f] = st.entries_dropped[f];
  }
  k[kWalks] = st.walks;
  k[kWalkCycles] = st.walk_cycles;
  k[kPageFaults] = st.page_faults;
  auto add = [&](const hv::HypervisorStats& h) {
    for (u64 n : h.hypercalls) k[kHypercalls] += n;
    for (u64 n : h.bounces) k[kBounces] += n;
    k[kHvEntries] += h.entries;
    k[kUpcalls] += h.upcalls;
  };
  if (domains_) {
    for (u32 i = 0; i < domains_->count(); ++i) add(domains_->domain(i).stats());
  } else if (hv_) {
    add(*hv_);
  }
  return k;
}

bool MeasurePorts::read_name(u32 lin, std::string& out) {
  Mmu& mmu = m_.mmu();
  out.clear();
  for (u32 i = 0; i <= kMaxName; ++i) {
    const u32 at = lin + i;  // wraps at 4 GiB as a linear address does
    u32 phys = at;
    if (mmu.paging()) {
      const Translation t = mmu.probe(at);  // a walk in software: no TLB fill, no counter moves
      if (!t.present) {
        count(MeasureError::UnreadableName);
        return false;
      }
      phys = t.phys;
    }
    if (!m_.ram().contains(phys, 1)) {
      count(MeasureError::UnreadableName);
      return false;
    }
    const u8 b = *m_.ram().host(phys);
    if (b == 0) {
      if (out.empty()) {
        count(MeasureError::BadName);
        return false;
      }
      return true;
    }
    if (b < 0x20 || b > 0x7E) {
      count(MeasureError::BadName);
      return false;
    }
    out += char(b);
  }
  count(MeasureError::Unterminated);
  return false;
}

void MeasurePorts::write(u16 port, u8 size, u32 value) {
  used_ = true;
  if (port != kBeginPort && port != kEndPort && port != kResetPort) return;  // the gaps between the ports
  if (size != 4) {
    count(MeasureError::NarrowAccess);
    return;
  }
  Pending p{port, {}};
  if (port != kResetPort && !read_name(value, p.name)) return;
  pending_.push_back(std::move(p));
  m_.cpu().request_boundary();
}

MeasureRegion* MeasurePorts::find(const std::string& name, bool create) {
  for (MeasureRegion& r : regions_)
    if (r.name == name) return &r;
  if (!create) return nullptr;
  if (regions_.size() >= kMaxRegions) {
    count(MeasureError::TableFull);
    return nullptr;
  }
  regions_.push_back(MeasureRegion{});
  regions_.back().name = name;
  return &regions_.back();
}

void MeasurePorts::boundary() {
  if (pending_.empty()) return;
  const MeasureCounters now = snapshot();
  for (Pending& p : pending_) {
    if (p.port == kResetPort) {
      regions_.clear();
      ++resets_;
      continue;
    }
    if (p.port == kBeginPort) {
      MeasureRegion* r = find(p.name, true);
      if (!r) continue;
      if (r->open) count(MeasureError::BeginWhileOpen);
      r->open = true;
      r->at_begin = now;
      continue;
    }
    MeasureRegion* r = find(p.name, false);
    if (!r || !r->open) {
      count(MeasureError::EndWithoutBegin);
      continue;
    }
    r->open = false;
    for (u32 f = 0; f < kMeasureFields; ++f) r->total[f] += now[f] - r->at_begin[f];
    const u64 cycles = now[kCycles] - r->at_begin[kCycles];
    r->min_cycles = r->samples == 0 ? cycles : std::min(r->min_cycles, cycles);
    ++r->samples;
    if (r->sample_cycles.size() < kMaxKeptSamples) r->sample_cycles.push_back(cycles);
  }
  pending_.clear();
}

void MeasurePorts::finish() {
  boundary();
  for (MeasureRegion& r : regions_)
    if (r.open) {
      r.open = false;
      count(MeasureError::OpenAtEnd);
    }
}

std::string measure_text(const MeasurePorts& p) {
  if (!p.used()) return "";
  std::string out = "  regions:       (measurement ports; totals over samples, cycles modelled)\n";
  out += fmt::format("    {:<24} {:>8} {:>10} {:>10} {:>14} {:>12} {:>9} {:>8} {:>7}\n", "name", "samples",
                     "min cyc", "median cyc", "total cyc", "instructions", "tlb miss", "flushes", "hcalls");
  for (const MeasureRegion& r : p.regions()) {
    u64 flushes = 0;
    for (u32 f = 0; f < u32(FlushCause::Count); ++f) flushes += r.total[kFlushesFirst + f];
    out += fmt::format("    {:<24} {:>8} {:>10} {:>10} {:>14} {:>12} {:>9} {:>8} {:>7}\n", r.name, r.samples,
                       r.min_cycles, r.median_cycles(), r.total[kCycles], r.total[kInstructions],
                       r.total[kItlbMisses] + r.total[kDtlbMisses], flushes, r.total[kHypercalls]);
  }
  std::string errors;
  for (size_t e = 0; e < p.errors().size(); ++e)
    if (p.errors()[e])
      errors += fmt::format("{}{} x{}", errors.empty() ? "" : ", ", measure_error_name(MeasureError(e)), p.errors()[e]);
  if (!errors.empty()) out += fmt::format("    errors:      {}\n", errors);
  if (p.resets()) out += fmt::format("    resets:      {}\n", p.resets());
  return out;
}

std::string measure_json(const MeasurePorts& p) {
  if (!p.used()) return "null";
  const auto& names = measure_field_names();
  std::string regions;
  for (const MeasureRegion& r : p.regions()) {
    std::string total;
    for (u32 f = 0; f < kMeasureFields; ++f) total += fmt::format(R"({}"{}":{})", f ? "," : "", names[f], r.total[f]);
    // Names are printable ASCII (read_name refuses anything else); only '"' and '\' need escaping.
    std::string name;
    for (char ch : r.name) {
      if (ch == '"' || ch == '\\') name += '\\';
      name += ch;
    }
    regions += fmt::format(
        R"({}{{"name":"{}","samples":{},"min_cycles":{},"median_cycles":{},"median_of":{},"total":{{{}}}}})",
        regions.empty() ? "" : ",", name, r.samples, r.min_cycles, r.median_cycles(), r.sample_cycles.size(), total);
  }
  std::string errors;
  for (size_t e = 0; e < p.errors().size(); ++e)
    errors += fmt::format(R"({}"{}":{})", e ? "," : "", measure_error_name(MeasureError(e)), p.errors()[e]);
  return fmt::format(R"({{"regions":[{}],"errors":{{{}}},"resets":{}}})", regions, errors, p.resets());
}

}  // namespace ring1
