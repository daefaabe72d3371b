#!/usr/bin/env bash
# check_netpair_pcap.sh RING1 SEND_SPEC RECEIVE_SPEC: runs the netpair example's two domains with --vif-pcap
# and reads the file with tcpdump (skipped, status 77, if tcpdump is not installed): 10,317 frames, the ARP
# exchange first, and tcpdump's "[udp sum ok]" on all 10,315 datagrams (its own checksum verification).
set -u
ring1=$1 send=$2 receive=$3
command -v tcpdump >/dev/null 2>&1 || { echo "tcpdump is not installed"; exit 77; }
pcap=$(mktemp) text=$(mktemp)
trap 'rm -f "$pcap" "$text"' EXIT
"$ring1" run --domain "$send" --domain "$receive" --vif --vif domain=2 --vif-pcap "$pcap" --quiet >/dev/null 2>&1 ||
  { echo "ring1 failed"; exit 1; }
tcpdump -nn -vv -e -r "$pcap" >"$text" 2>/dev/null || { echo "tcpdump could not read the file"; exit 1; }
fail=0
expect() {  # expect WHAT COUNT PATTERN
  local n
  n=$(grep -cE -- "$3" "$text")
  if [ "$n" -ne "$2" ]; then echo "expected $2 $1, found $n (/$3/)"; fail=1; fi
}
expect "frames" 10317 "^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} "
expect "ARP requests" 1 "00:16:3e:00:01:00 > ff:ff:ff:ff:ff:ff, ethertype ARP \(0x0806\), length 60: .*Request who-has 10.0.0.2 tell 10.0.0.1"
expect "ARP replies" 1 "00:16:3e:00:02:00 > 00:16:3e:00:01:00, ethertype ARP \(0x0806\), length 60: .*Reply 10.0.0.2 is-at 00:16:3e:00:02:00"
expect "datagrams to the receiver with a correct UDP checksum" 10001 "10\.0\.0\.1\.5001 > 10\.0\.0\.2\.5001: \[udp sum ok\] UDP"
expect "acknowledgements with a correct UDP checksum" 314 "10\.0\.0\.2\.5001 > 10\.0\.0\.1\.5001: \[udp sum ok\] UDP, length 24"
expect "bad checksums" 0 "bad|incorrect"
if [ "$fail" -ne 0 ]; then head -20 "$text"; fi
exit $fail
