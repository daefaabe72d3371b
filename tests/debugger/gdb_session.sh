#!/usr/bin/env bash
# One debugger integration test: starts `ring1 run IMAGE --gdb 0 ...` (any free port, read back from its
# "listening" line), runs Debian's gdb in batch mode against it, waits for ring1 to end, and checks that
# every expected pattern (extended regex) occurs in the transcript: gdb's output, then "ring1-exit: N",
# ring1's stderr, the guest's console (ring1's stdout) and its JSON report. Exit 77 (CTest's skip code) if
# gdb is not installed.
#
#   gdb_session.sh RING1 IMAGE ELF [-n|-b] [-r RING1_OPTION]... [-e GDB_COMMAND]... [-x PATTERN]... [-i SECONDS]
#
# IMAGE is a raw binary ring1 loads at 0x100000 (--load-addr), or with -n an ELF kernel it loads by itself
# (a multiboot or Xen PV kernel; IMAGE and ELF are then the same file), or with -b a ROM (--bios IMAGE;
# ELF is then "-": gdb gets no file and no `set architecture`, and takes the target's description).
# -i: send SIGINT to gdb SECONDS after it started, as Ctrl-C at its terminal does (gdb then sends the
# remote interrupt byte 0x03 to the stub). Exactly one SIGINT must reach gdb: a second one while the first
# interrupt is pending makes gdb ask "The target is not responding to interrupt requests. Stop debugging
# it?", which batch mode answers yes. So gdb runs under `timeout --foreground`, which passes a signal on to
# gdb alone; plain `timeout` sends it to gdb and then again to its whole process group, gdb included, and
# about one run in four gdb had handled the first before the second came (its `set debug remote 1` log
# shows pass_ctrlc twice, the stub's T02 then arriving after gdb had already disconnected).
set -u
ring1=$1 image=$2 elf=$3
shift 3
ring1_opts=() gdb_cmds=() patterns=() interrupt_after= load=(--load-addr 0x100000) rom=
while [ $# -gt 0 ]; do
  case $1 in
    -r) ring1_opts+=("$2"); shift 2 ;;
    -e) gdb_cmds+=(-ex "$2"); shift 2 ;;
    -x) patterns+=("$2"); shift 2 ;;
    -i) interrupt_after=$2; shift 2 ;;
    -n) load=(); shift ;;
    -b) load=(); rom=1; shift ;;
    *) echo "gdb_session.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if ! command -v gdb >/dev/null 2>&1; then
  echo "SKIP: gdb is not installed (scripts/install-deps.sh installs it)"
  exit 77
fi

work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
if [ -n "$rom" ]; then image_args=(--bios "$image"); gdb_setup=(); else
  image_args=("$image"); gdb_setup=(-ex "set architecture i386" -ex "file $elf"); fi
"$ring1" run "${image_args[@]}" "${load[@]}" --gdb 0 --report json --report-file "$work/report.json" "${ring1_opts[@]}" \
  >"$work/stdout" 2>"$work/stderr" &
pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/stderr")
  [ -n "$port" ] && break
  sleep 0.05
done
if [ -z "$port" ]; then
  echo "ring1 did not start listening:"; cat "$work/stderr"; exit 1
fi

timeout --foreground 60 gdb -batch -nx "${gdb_setup[@]}" -ex "target remote 127.0.0.1:$port" \
  "${gdb_cmds[@]}" >"$work/gdb" 2>&1 &
gdb_pid=$!
if [ -n "$interrupt_after" ]; then
  sleep "$interrupt_after"
  kill -INT $gdb_pid
fi
wait $gdb_pid
# ring1 ends on its own (the guest halts, a limit, or kill); give it a bounded time.
for _ in $(seq 1200); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done  # up to 60 s (sanitizer builds)
if kill -0 $pid 2>/dev/null; then
  echo "ring1 did not end after gdb finished"; kill $pid
fi
wait $pid
rc=$?
{
  cat "$work/gdb"
  echo "ring1-exit: $rc"
  cat "$work/stderr"
  cat "$work/stdout"
  cat "$work/report.json" 2>/dev/null
} >"$work/transcript"
cat "$work/transcript"

status=0
for p in "${patterns[@]}"; do
  if ! grep -Eq -- "$p" "$work/transcript"; then
    echo "MISSING: $p"
    status=1
  fi
done
exit $status
