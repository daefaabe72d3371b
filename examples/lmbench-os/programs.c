// programs.c: the programs linked into the image, as the file system's /bin shows them (exec.c). Their code is
// in USER_SOURCES (suite.c, programs_user.c, selftest.c); each gets a data segment of its own at USER_DATA.
#include "kernel.h"

int suite_main(int argc, char **argv);
int hello_main(int argc, char **argv);
int sh_main(int argc, char **argv);
int selftest_main(int argc, char **argv);

const struct program programs[] = {
    {"/bin/suite", suite_main, 32},
    {"/bin/hello", hello_main, 1},
    {"/bin/sh", sh_main, 4},
    {"/bin/selftest", selftest_main, 1},
};
const unsigned program_count = sizeof programs / sizeof programs[0];
