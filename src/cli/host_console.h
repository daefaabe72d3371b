// The host's side of a guest's console in `ring1 run`: the guest's bytes go to stdout (or stderr while stdout
// carries a JSON report), COM1's and a PV console's input comes from stdin when it is a pipe or a file, and the
// hypervisor's log goes to stderr or a file. These are the callbacks the devices and the hypervisor are given.
#pragma once
#include <cstddef>
#include <cstdio>

#include "common/types.h"

namespace ring1 {

// Where the guest's console goes: stdout, or stderr when stdout carries the JSON report (docs/reports.md).
extern std::FILE* console_out;

// COM1's input: the next byte of stdin, or -1 when there is none now (never blocks).
int stdin_byte();
// One console byte to console_out, flushed at each line end.
void stdout_byte(u8 b);
// A PV domain's console output (the hypervisor's console sink): each byte through stdout_byte.
void stdout_chars(void*, const char* s, std::size_t n);
// The hypervisor's own log (console_io output, "(d1) ..."): written to the FILE* given as context, flushed.
void log_chars(void* file, const char* s, std::size_t n);

}  // namespace ring1
