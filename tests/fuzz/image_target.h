// The image fuzzing target: one input is a guest image file, taken through the path `ring1 run IMAGE`
// takes (ELF parsing, Xen notes, the multiboot loader or the PV domain builder) and, when it loads, run for
// a bounded number of instructions. Bad images must be refused with an error, never crash, throw or hang.
#pragma once
#include <span>
#include <string>

#include "common/types.h"

namespace ring1::fuzz {

// How far the inputs got: booted as PV domains or multiboot kernels, and ran (with their instructions).
struct ImageStats {
  u64 pv = 0, multiboot = 0, ran = 0, instructions = 0;
};
const ImageStats& image_stats();

// Empty if the image was handled (loaded and run, or refused with an error); else what went wrong.
std::string run_image(std::span<const u8> image);

}  // namespace ring1::fuzz
