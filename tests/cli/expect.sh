#!/usr/bin/env bash
# expect.sh STATUS PATTERN -- COMMAND...: runs COMMAND, passes if it exits with STATUS and its combined
# output matches the extended regular expression PATTERN. Used by the CLI tests in CTest.
set -u
want_status=$1; pattern=$2; shift 3
out=$("$@" 2>&1); status=$?
if [ "$status" -ne "$want_status" ]; then
  printf 'expected exit status %s, got %s\n--- output ---\n%s\n' "$want_status" "$status" "$out"; exit 1
fi
if ! printf '%s' "$out" | grep -Eq -- "$pattern"; then
  printf 'output does not match /%s/\n--- output ---\n%s\n' "$pattern" "$out"; exit 1
fi
exit 0
