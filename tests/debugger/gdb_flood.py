#!/usr/bin/env python3
"""gdb_flood.py RING1 SPIN_BIN MODE: a hostile GDB client against `ring1 run --gdb`, checking that ring1's
memory stays flat and its run is not stalled (src/debugger/gdb_connection.h).

MODE flood:  the client resumes the guest and then sends packets without pause for 2 s, reading everything
             ring1 sends. ring1 must disconnect it, keep its resident memory within 4 MiB of where it was,
             and run the guest on to its instruction limit (exit status 124).
MODE silent: the client turns acknowledgements off and then asks for memory again and again without ever
             reading a reply. ring1 must disconnect it once its output buffer is full and run the guest on to
             its limit (124), never waiting on the client.
"""
import socket
import subprocess
import sys
import time


def frame(payload: str) -> bytes:
    return f"${payload}#{sum(payload.encode()) & 0xFF:02x}".encode()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> int:
    ring1, image, mode = sys.argv[1:4]
    proc = subprocess.Popen(
        [ring1, "run", image, "--load-addr", "0x100000", "--gdb", "0", "--gdb-wait", "--quiet",
         "--max-instructions", "200000000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    if "listening on 127.0.0.1:" not in line:
        print("no listening line:", line)
        return 1
    port = int(line.rsplit(":", 1)[1])
    s = socket.create_connection(("127.0.0.1", port))
    failures = []
    if mode == "flood":
        s.sendall(frame("c"))
        s.settimeout(0.5)
        s.recv(16)  # the acknowledgement of `c`: the guest runs
        time.sleep(0.2)
        before = rss_kib(proc.pid)
        s.setblocking(False)
        flood = frame("qC") * 4096
        end = time.time() + 2.0
        sent = 0
        while time.time() < end:
            try:
                sent += s.send(flood)
            except BlockingIOError:
                pass
            except OSError:
                break  # ring1 closed the connection
            try:
                if s.recv(65536) == b"":
                    break
            except BlockingIOError:
                pass
            except OSError:
                break
        after = rss_kib(proc.pid) if proc.poll() is None else before
        print(f"flood: {sent} bytes sent; ring1 RSS {before} KiB before, {after} KiB after")
        if after - before > 4096:
            failures.append(f"ring1's memory grew by {after - before} KiB")
    elif mode == "silent":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(frame("QStartNoAckMode"))
        s.settimeout(2)
        got = b""
        while b"OK#" not in got:
            got += s.recv(64)
        s.sendall(b"+")
        s.setblocking(False)
        request = frame("m100000,800") * 64
        end = time.time() + 3.0
        while time.time() < end and proc.poll() is None:
            try:
                s.send(request)
            except BlockingIOError:
                time.sleep(0.01)
            except OSError:
                break
    try:
        status = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        print("ring1 did not finish within 15 s: the run was stalled")
        return 1
    err = proc.stderr.read()
    s.close()
    print(err, end="")
    if status != 124:
        failures.append(f"exit status {status}, expected 124 (the instruction limit)")
    if "ring1: gdb client disconnected:" not in err:
        failures.append("no line saying the client was disconnected")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
