// ring1-fuzz: the image and PV-hypercall fuzzing targets (image_target.h, hypercall_target.h) behind one
// command line. `make fuzz-images` and `make fuzz-hypercalls` run them without a bound; the test suite runs
// each for a fixed number of iterations from a fixed seed, starting with the regression inputs (the issue's
// cases and anything fuzzing ever found), so the suite's runs are the same on every machine.
//
//   ring1-fuzz images [--seed N] [--iterations N] [--seconds S] [--save DIR] CORPUS...
//   ring1-fuzz hypercalls --kernel PV.elf [--hv-layout shared|separate] [--seed N] [--iterations N] [--seconds S] [--save DIR] [CORPUS...]
//
// CORPUS: files or directories of seed inputs. Exit status 0 when no input failed, 1 otherwise; the last line
// gives the figures (executions, seconds, failures).
#include <filesystem>
#include <fstream>
#include <iterator>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "hypercall_target.h"
#include "image_target.h"
#include "machine/input_file.h"
#include "mutator.h"

using namespace ring1;
using namespace ring1::fuzz;

namespace {

std::vector<std::vector<u8>> load_corpus(const std::vector<std::string>& paths) {
  std::vector<std::vector<u8>> out;
  auto add = [&](const std::string& p) {
    std::string error;
    if (auto bytes = read_input_file(p, kMaxImageBytes, error)) out.push_back(std::move(*bytes));
    else fmt::print(stderr, "ring1-fuzz: {}\n", error);
  };
  for (const std::string& p : paths) {
    if (std::filesystem::is_directory(p)) {
      std::vector<std::string> files;
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file() && e.path().extension() != ".md") files.push_back(e.path().string());
      std::sort(files.begin(), files.end());  // a reproducible order
      for (const auto& f : files) add(f);
    } else {
      add(p);
    }
  }
  return out;
}

// One hypercall record (hypercall_target.h): the number, five (palette, raw) arguments, the scratch seed.
struct Arg {
  u8 sel;
  u32 raw;
};
std::vector<u8> record(u8 nr, std::array<Arg, 5> args, u64 seed = 1) {
  std::vector<u8> r(HypercallTarget::kRecordBytes, 0);
  r[0] = nr;
  for (int k = 0; k < 5; ++k) {
    r[5 + 5 * k] = args[k].sel;
    for (int b = 0; b < 4; ++b) r[6 + 5 * k + b] = u8(args[k].raw >> (8 * b));
  }
  for (int b = 0; b < 8; ++b) r[30 + b] = u8(seed >> (8 * b));
  return r;
}

// The hostile cases the issue and pv_hostile name, one sequence each: huge counts, wild and hypervisor
// pointers, page-table frames where data is expected, nested and self-referring batches.
std::vector<std::vector<u8>> hypercall_regressions() {
  constexpr u8 kRaw = 0, kSmall = 1, kScratch = 2, kGuest = 3, kMfn = 4, kPtr = 5, kPte = 6, kHv = 7, kHuge = 8,
               kDom = 9, kSel = 10;
  const Arg none{kRaw, 0}, self{kDom, 1}, all{kHuge, 0};
  std::vector<std::vector<u8>> seqs = {
      record(13, {{{kScratch, 0}, all, none, none, none}}),                        // multicall, 2^32-1 entries
      record(13, {{{kScratch, 0}, {kHuge, 7}, none, none, none}}, 7),              // multicall, 1000 entries
      record(1, {{{kScratch, 0}, all, {kHv, 0}, self, none}}),                     // mmu_update, done in the hypervisor
      record(1, {{{kHv, 0x1000}, {kSmall, 4}, {kScratch, 8}, self, none}}),        // requests in the hypervisor
      record(1, {{{kScratch, 0}, {kSmall, 8}, {kGuest, 2}, self, none}}, 3),       // done count into a page table
      record(26, {{{kScratch, 0}, all, {kScratch, 4}, self, none}}, 5),            // mmuext_op, 2^32-1 ops
      record(18, {{{kRaw, 0}, all, {kHv, 0}, none, none}}),                        // console_io from the hypervisor
      record(2, {{{kScratch, 0}, {kHuge, 3}, none, none, none}}, 9),               // set_gdt, 64 Ki entries
      record(10, {{{kPtr, 0}, {kRaw, 0xFFFFFFFF}, {kRaw, 0x00CF9A00}, none, none}}),  // update_descriptor on a frame
      record(14, {{{kHv, 0}, {kPte, 0x023}, {kSmall, 2}, none, none}}),            // update_va_mapping over the hypervisor
      record(14, {{{kGuest, 2}, {kPte, 0x023}, {kSmall, 2}, none, none}}),         // map a page table writable
      record(0, {{{kScratch, 0}, none, none, none, none}}, 11),                    // set_trap_table from scratch
      record(3, {{{kSel, 0xE019}, {kGuest, 0}, none, none, none}}),                // stack_switch
      record(23, {{none, none, none, none, none}}),                                // iret with a garbage frame
      record(29, {{{kRaw, 0xFFFFFFFF}, {kHv, 0}, none, none, none}}),              // sched_op, unknown command
      record(224, {{none, none, none, none, none}}),                               // numbers out of the table
      record(39, {{{kMfn, 0}, {kPte, 0}, {kPtr, 0}, {kHuge, 0}, {kSel, 0}}}),
  };
  // One sequence of everything above, in order: later calls see the state earlier ones left.
  std::vector<u8> chain;
  for (const auto& s : seqs)
    if (chain.size() + s.size() <= HypercallTarget::kRecordBytes * HypercallTarget::kMaxRecords)
      chain.insert(chain.end(), s.begin(), s.end());
  seqs.push_back(chain);
  return seqs;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);  // a guest's mistakes are logged at debug level: not wanted here
  CLI::App app{"ring1-fuzz: mutation fuzzing of ring1's image loaders and PV hypercalls"};
  app.require_subcommand(1);
  DriverOptions o;
  std::vector<std::string> corpus_paths;
  std::string kernel;
  for (auto* sub : {app.add_subcommand("images", "Guest images: ELF, multiboot and Xen-notes loaders"),
                    app.add_subcommand("hypercalls", "Hypercall numbers and arguments from a PV guest")}) {
    sub->add_option("--seed", o.seed, "PRNG seed (a run is reproducible from it)");
    sub->add_option("--iterations", o.iterations, "Mutated inputs to run (0: no bound)");
    sub->add_option("--seconds", o.seconds, "Stop after this many seconds (0: no bound)");
    sub->add_option("--save", o.save_dir, "Directory for failing inputs");
    sub->add_option("corpus", corpus_paths, "Seed inputs: files or directories");
  }
  app.get_subcommand("hypercalls")->add_option("--kernel", kernel, "The PV kernel the domain boots")->required();
  std::string layout = "shared";
  app.get_subcommand("hypercalls")
      ->add_option("--hv-layout", layout, "The hypervisor's layout, as ring1 run's option")
      ->check(CLI::IsMember({"shared", "separate"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto corpus = load_corpus(corpus_paths);
  DriverResult r;
  const char* name = app.got_subcommand("images") ? "images" : "hypercalls";
  if (app.got_subcommand("images")) {
    if (corpus.empty()) {
      fmt::print(stderr, "ring1-fuzz images: no seed inputs\n");
      return 2;
    }
    o.max_size = 4 << 20;
    r = run_driver(name, corpus, run_image, o);
    const ImageStats& st = image_stats();
    fmt::print("ring1-fuzz images: {} booted as PV domains, {} as multiboot kernels; {} instructions run\n", st.pv,
               st.multiboot, st.instructions);
  } else {
    std::string error;
    auto bytes = read_input_file(kernel, kMaxImageBytes, error);
    if (!bytes) {
      fmt::print(stderr, "ring1-fuzz hypercalls: {}\n", error);
      return 2;
    }
    HypercallTarget target(std::move(*bytes), layout == "separate");
    if (!target.usable(error)) {
      fmt::print(stderr, "ring1-fuzz hypercalls: '{}' does not boot: {}\n", kernel, error);
      return 2;
    }
    for (auto& s : hypercall_regressions()) corpus.push_back(std::move(s));
    o.max_size = HypercallTarget::kRecordBytes * HypercallTarget::kMaxRecords;
    r = run_driver(name, corpus, [&](std::span<const u8> in) { return target.run(in); }, o);
    fmt::print("ring1-fuzz hypercalls: {} hypercalls made, {} returned to the caller ({} with a Xen error), {} "
               "domains crashed\n",
               target.hypercalls_made(), target.returned(), target.errors(), target.crashed());
  }
  fmt::print("ring1-fuzz {}: {} executions in {:.1f} s, {} failures\n", name, r.executions, r.seconds, r.failures);
  return r.failures ? 1 : 0;
}
