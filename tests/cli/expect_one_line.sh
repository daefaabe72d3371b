#!/usr/bin/env bash
# expect_one_line.sh STATUS PATTERN -- COMMAND...: as expect.sh, and the combined output must be exactly one
# line with no control byte other than its newline: how ring1 reports bad input.
set -u
want_status=$1; pattern=$2; shift 3
out=$("$@" 2>&1); status=$?
if [ "$status" -ne "$want_status" ]; then
  printf 'expected exit status %s, got %s\n--- output ---\n%s\n' "$want_status" "$status" "$out"; exit 1
fi
if [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ] || printf '%s' "$out" | LC_ALL=C grep -q '[[:cntrl:]]'; then
  printf 'expected one printable line\n--- output ---\n%s\n' "$out" | cat -v; exit 1
fi
if ! printf '%s' "$out" | grep -Eq -- "$pattern"; then
  printf 'output does not match /%s/\n--- output ---\n%s\n' "$pattern" "$out"; exit 1
fi
exit 0
