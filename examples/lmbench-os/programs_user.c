// programs_user.c: the small programs of /bin besides the suite. hello does nothing and exits 0 (what the
// exec row starts); sh is a shell-like program: "sh -c 'COMMAND ARGS'" splits the command into words, finds
// the program as a shell searches its path (a stat of /bin/COMMAND), runs it in a child (fork, exec) and
// exits with its status.
#include "ulib.h"

int hello_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int sh_main(int argc, char **argv) {
  if (argc != 3 || u_strcmp(argv[1], "-c") != 0) {
    u_print("usage: sh -c COMMAND\n");
    return 2;
  }
  char words[64];
  const char *args[MAX_ARGS + 1];
  int n = 0;
  uint32_t len = 0;
  for (const char *s = argv[2];;) {
    while (*s == ' ') s++;
    if (!*s) break;
    if (n == MAX_ARGS) return 2;
    args[n++] = words + len;
    while (*s && *s != ' ' && len < sizeof words - 1) words[len++] = *s++;
    words[len++] = 0;
    if (len >= sizeof words - 1) return 2;
  }
  args[n] = 0;
  if (!n) return 0;
  char path[PATH_MAX];  // "/bin/" + the command, built by hand (an initialiser could become a memcpy call)
  uint32_t p = 0;
  for (const char *s = "/bin/"; *s;) path[p++] = *s++;
  for (const char *s = args[0]; *s && p < sizeof path - 1;) path[p++] = *s++;
  path[p] = 0;
  struct stat st;
  if (u_stat(path, &st) < 0) {
    u_print("sh: command not found\n");
    return 127;
  }
  int pid = u_fork();
  if (pid == 0) {
    u_exec(path, args);
    u_exit(127);
  }
  int status = 0;
  if (pid < 0 || u_waitpid(pid, &status) != pid) return 126;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
