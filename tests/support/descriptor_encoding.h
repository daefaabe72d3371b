// Test fixtures write descriptor tables with the emulator's own encoders (seg_desc, sys_desc, gate_desc).
#pragma once
#include "cpu/descriptor_encoding.h"
