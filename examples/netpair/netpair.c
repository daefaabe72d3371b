// netpair: two kit domains talking over ring1's virtual switch through the kit's network front end
// (kit/netfront.h) and the host's network back ends, one kernel in two roles chosen by its command line
// (docs/network.md):
//   send peer=D packets=N window=W  finds domain D's MAC with an ARP request (broadcast, repeated until
//                                    answered), then streams N UDP datagrams of varying length to it, W at a
//                                    time: W frames queued, one push (one notification at most), then it
//                                    waits for the receiver's acknowledgement of the window, which carries
//                                    the receiver's digest of every UDP checksum so far; it ends with a FIN;
//   receive                          answers ARP for its address and acknowledges each window, verifying
//                                    every datagram: IPv4 header checksum, UDP checksum over the pseudo
//                                    header and payload, sequence number and length.
// Domain N's address is 10.0.0.N; its MAC is the one the store gives device/vif/0/mac. Every frame is a real
// Ethernet/IPv4/UDP or ARP frame, so the run's --vif-pcap file reads in tcpdump. The costs are bracketed
// with the measurement ports (kit/measure.h): per request (one datagram built and queued), per batch (the
// push whose notification runs the back end, the switch and the receiver's back end), per window (the
// round trip to the acknowledgement), and per received datagram on the receiving side.
#include "kit/console.h"
#include "kit/kit.h"
#include "kit/measure.h"
#include "kit/netfront.h"
#include "kit/platform.h"
#include "kit/string.h"
#include "kit/xen.h"
#include "kit/xenbus.h"

#include <xen/errno.h>

#define ETH_HDR 14
#define IP_HDR 20
#define UDP_HDR 8
#define ETHERTYPE_IP 0x0800
#define ETHERTYPE_ARP 0x0806
#define UDP_PORT 5001
#define MAX_FRAME 1514

// The datagrams' payload starts with this header; the rest is a pattern made from the sequence number.
enum { KIND_DATA = 1, KIND_ACK = 2, KIND_FIN = 3 };
struct msg {
  uint32_t kind, seq, total, window;
  uint32_t digest, bad;  // in an acknowledgement: the receiver's digest and its count of bad datagrams
};

static uint32_t arg(const char *key, uint32_t def) {
  size_t n = strlen(key);
  for (const char *p = kit_boot.cmdline; *p; p++) {
    if ((p == kit_boot.cmdline || p[-1] == ' ') && strncmp(p, key, n) == 0 && p[n] == '=') {
      uint32_t v = 0;
      for (p += n + 1; *p >= '0' && *p <= '9'; p++) v = v * 10 + (uint32_t)(*p - '0');
      return v;
    }
  }
  return def;
}
static int role(const char *word) { return strncmp(kit_boot.cmdline, word, strlen(word)) == 0; }

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static void put32(uint8_t *p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v);
}
static uint32_t get32(const uint8_t *p) { return get16(p) << 16 | get16(p + 2); }

// RFC 1071's ones'-complement sum of 16-bit big-endian words, not yet folded or complemented.
static uint32_t sum16(const uint8_t *p, uint32_t len, uint32_t sum) {
  for (; len > 1; p += 2, len -= 2) sum += (uint32_t)p[0] << 8 | p[1];
  if (len) sum += (uint32_t)p[0] << 8;
  return sum;
}
static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}
// The UDP checksum's sum: the pseudo header (addresses, protocol, UDP length) and the UDP header and data.
static uint32_t udp_sum(const uint8_t *ip) {
  uint32_t udp_len = get16(ip + IP_HDR + 4);
  uint32_t s = sum16(ip + 12, 8, 0) + 17 + udp_len;
  return sum16(ip + IP_HDR, udp_len, s);
}

static struct netfront nf;
static uint32_t my_ip, domid;
static uint8_t frame[MAX_FRAME];

static uint32_t ip_of(uint32_t dom) { return 10u << 24 | dom; }

// An Ethernet/IPv4/UDP frame to (mac, ip) carrying `m` and then `extra` pattern bytes: its length.
static uint32_t build_udp(const uint8_t *mac, uint32_t ip, const struct msg *m, uint32_t extra) {
  uint32_t data = (uint32_t)sizeof *m + extra, udp_len = UDP_HDR + data, ip_len = IP_HDR + udp_len;
  memcpy(frame, mac, 6);
  memcpy(frame + 6, nf.mac, 6);
  put16(frame + 12, ETHERTYPE_IP);
  uint8_t *iph = frame + ETH_HDR, *udp = iph + IP_HDR, *pay = udp + UDP_HDR;
  iph[0] = 0x45;
  iph[1] = 0;
  put16(iph + 2, ip_len);
  put16(iph + 4, m->seq);  // identification
  put16(iph + 6, 0x4000);  // don't fragment
  iph[8] = 64;
  iph[9] = 17;
  put16(iph + 10, 0);
  put32(iph + 12, my_ip);
  put32(iph + 16, ip);
  put16(iph + 10, (uint16_t)~fold(sum16(iph, IP_HDR, 0)));
  put16(udp, UDP_PORT);
  put16(udp + 2, UDP_PORT);
  put16(udp + 4, udp_len);
  put16(udp + 6, 0);
  const uint32_t *w = (const uint32_t *)m;
  for (uint32_t i = 0; i < sizeof *m / 4; i++) put32(pay + 4 * i, w[i]);
  for (uint32_t i = 0; i < extra; i++) pay[sizeof *m + i] = (uint8_t)(m->seq * 7 + i * 13);
  uint16_t c = (uint16_t)~fold(udp_sum(iph));
  put16(udp + 6, c ? c : 0xffff);  // RFC 768: a computed zero is sent as all ones
  uint32_t len = ETH_HDR + ip_len;
  if (len < 60) {  // Ethernet's minimum frame (without its FCS)
    memset(frame + len, 0, 60 - len);
    len = 60;
  }
  return len;
}

// A datagram for us, checked: true and *m filled (and *csum its UDP checksum) if every check passes.
static bool parse_udp(const uint8_t *f, int len, struct msg *m, uint16_t *csum) {
  if (len < ETH_HDR + IP_HDR + UDP_HDR + (int)sizeof *m || get16(f + 12) != ETHERTYPE_IP) return false;
  const uint8_t *iph = f + ETH_HDR;
  uint32_t ip_len = get16(iph + 2);
  if (iph[0] != 0x45 || iph[9] != 17 || ETH_HDR + ip_len > (uint32_t)len || get32(iph + 16) != my_ip) return false;
  if (fold(sum16(iph, IP_HDR, 0)) != 0xffff) return false;
  if (get16(iph + IP_HDR + 4) != ip_len - IP_HDR) return false;
  if (fold(udp_sum(iph)) != 0xffff) return false;
  const uint8_t *pay = iph + IP_HDR + UDP_HDR;
  uint32_t *w = (uint32_t *)m;
  for (uint32_t i = 0; i < sizeof *m / 4; i++) w[i] = get32(pay + 4 * i);
  *csum = (uint16_t)get16(iph + IP_HDR + 6);
  return true;
}

static uint32_t digest_add(uint32_t d, uint16_t csum) { return d * 31 + csum; }

static void send_now(uint32_t len) {
  int rc;
  while ((rc = netfront_send(&nf, frame, len)) == -XEN_EAGAIN) netfront_tx_reap(&nf);
  if (rc < 0) panic("netpair: send: %d", rc);
}

static void print_stats(const char *who) {
  const struct netfront_stats *s = &nf.stats;
  printf("%s: tx %u frames (%u bytes), %u errors, %u pushes, %u notifications\n", who, s->tx_packets, s->tx_bytes,
         s->tx_errors, s->tx_pushes, s->tx_notifications);
  printf("%s: rx %u frames (%u bytes), %u errors, %u buffer pushes, %u notifications; %u events, %u blocks\n", who,
         s->rx_packets, s->rx_bytes, s->rx_errors, s->rx_pushes, s->rx_notifications, s->events, s->blocks);
}

// ---- the receiver ----

static void answer_arp(const uint8_t *f, int len) {
  // An ARP request (RFC 826, Ethernet/IPv4) for our address gets a reply naming our MAC.
  if (len < ETH_HDR + 28 || get16(f + ETH_HDR + 6) != 1 || get32(f + ETH_HDR + 24) != my_ip) return;
  const uint8_t *a = f + ETH_HDR;
  memcpy(frame, a + 8, 6);
  memcpy(frame + 6, nf.mac, 6);
  put16(frame + 12, ETHERTYPE_ARP);
  uint8_t *r = frame + ETH_HDR;
  put16(r, 1);
  put16(r + 2, ETHERTYPE_IP);
  r[4] = 6;
  r[5] = 4;
  put16(r + 6, 2);
  memcpy(r + 8, nf.mac, 6);
  put32(r + 14, my_ip);
  memcpy(r + 18, a + 8, 10);  // the asker's MAC and address
  memset(frame + ETH_HDR + 28, 0, 60 - ETH_HDR - 28);
  send_now(60);
  netfront_push(&nf);
}

static int receive(void) {
  uint32_t expected = 0, digest = 0, bad = 0;
  for (;;) {
    netfront_wait(&nf);
    const uint8_t *f;
    int len;
    while ((len = netfront_receive(&nf, &f)) != 0) {
      if (len < 0) {
        bad++;
        continue;
      }
      if (len >= ETH_HDR && get16(f + 12) == ETHERTYPE_ARP) {
        answer_arp(f, len);
        continue;
      }
      measure_begin("netpair.receive");
      struct msg m;
      uint16_t csum;
      bool ok = parse_udp(f, len, &m, &csum);
      uint8_t peer_mac[6];
      memcpy(peer_mac, f + 6, 6);
      uint32_t peer_ip = ok ? get32(f + ETH_HDR + 12) : 0;
      if (ok && m.kind == KIND_DATA && m.seq == expected) {
        expected++;
        digest = digest_add(digest, csum);
      } else if (!ok || m.kind != KIND_FIN) {
        bad++;
      }
      measure_end("netpair.receive");
      if (!ok) continue;
      if (m.kind == KIND_FIN || (m.kind == KIND_DATA && (m.seq + 1 == m.total || (m.seq + 1) % m.window == 0))) {
        struct msg ack = {KIND_ACK, expected, m.total, m.window, digest, bad};
        send_now(build_udp(peer_mac, peer_ip, &ack, 0));
        netfront_push(&nf);
      }
      if (m.kind == KIND_FIN) {
        netfront_tx_reap(&nf);
        printf("receive: %u datagrams in order, digest %08x, %u bad\n", expected, digest, bad);
        print_stats("receive");
        return bad ? 1 : 0;
      }
    }
  }
}

// ---- the sender ----

// Waits for the next datagram for us, skipping anything else; its message.
static struct msg wait_udp(void) {
  for (;;) {
    netfront_wait(&nf);
    const uint8_t *f;
    int len;
    while ((len = netfront_receive(&nf, &f)) != 0) {
      struct msg m;
      uint16_t csum;
      if (len > 0 && parse_udp(f, len, &m, &csum)) return m;
    }
  }
}

static int send(void) {
  uint32_t peer = arg("peer", 2), total = arg("packets", 10000), window = arg("window", 32);
  if (window == 0 || window > NETFRONT_TX_BUFS) panic("netpair: window must be 1..%u", NETFRONT_TX_BUFS);
  uint32_t peer_ip = ip_of(peer);
  // ARP: asked by broadcast, yielding the CPU between tries until the receiver is up and answers.
  uint8_t peer_mac[6];
  uint32_t tries = 0;
  for (bool found = false; !found;) {
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    memcpy(frame, bcast, 6);
    memcpy(frame + 6, nf.mac, 6);
    put16(frame + 12, ETHERTYPE_ARP);
    uint8_t *a = frame + ETH_HDR;
    put16(a, 1);
    put16(a + 2, ETHERTYPE_IP);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1);
    memcpy(a + 8, nf.mac, 6);
    put32(a + 14, my_ip);
    memset(a + 18, 0, 6);
    put32(a + 24, peer_ip);
    memset(frame + ETH_HDR + 28, 0, 60 - ETH_HDR - 28);
    send_now(60);
    netfront_push(&nf);
    tries++;
    for (uint32_t spin = 0; spin < 4 && !found; spin++) {
      const uint8_t *f;
      int len;
      while (!found && (len = netfront_receive(&nf, &f)) != 0)
        if (len >= ETH_HDR + 28 && get16(f + 12) == ETHERTYPE_ARP && get16(f + ETH_HDR + 6) == 2 &&
            get32(f + ETH_HDR + 14) == peer_ip) {
          memcpy(peer_mac, f + ETH_HDR + 8, 6);
          found = true;
        }
      if (!found) HYPERVISOR_sched_op(SCHEDOP_yield, 0);
    }
  }
  printf("send: 10.0.0.%u is at %02x:%02x:%02x:%02x:%02x:%02x (ARP, %u requests)\n", peer, peer_mac[0], peer_mac[1],
         peer_mac[2], peer_mac[3], peer_mac[4], peer_mac[5], tries);

  uint32_t digest = 0, bytes = 0, windows = 0;
  uint64_t t0 = plat_cycles();
  for (uint32_t seq = 0; seq < total;) {
    measure_begin("netpair.window");
    uint32_t end = seq + window < total ? seq + window : total;
    for (; seq < end; seq++) {
      measure_begin("netpair.request");
      struct msg m = {KIND_DATA, seq, total, window, 0, 0};
      uint32_t len = build_udp(peer_mac, peer_ip, &m, 8 + (seq * 97) % 480);
      digest = digest_add(digest, (uint16_t)get16(frame + ETH_HDR + IP_HDR + 6));
      bytes += len;
      send_now(len);
      measure_end("netpair.request");
    }
    measure_begin("netpair.batch");
    netfront_push(&nf);
    measure_end("netpair.batch");
    struct msg ack = wait_udp();
    measure_end("netpair.window");
    windows++;
    if (ack.kind != KIND_ACK || ack.seq != end || ack.digest != digest || ack.bad)
      panic("send: window ending at %u: acknowledged %u, digest %08x (ours %08x), %u bad", end, ack.seq, ack.digest,
            digest, ack.bad);
  }
  uint64_t t = plat_cycles() - t0;
  struct msg fin = {KIND_FIN, total, total, window, digest, 0};
  send_now(build_udp(peer_mac, peer_ip, &fin, 0));
  netfront_push(&nf);
  struct msg ack = wait_udp();
  netfront_tx_reap(&nf);
  printf("send: %u datagrams (%u bytes of frames) in %u windows of %u, every window acknowledged\n", total, bytes,
         windows, window);
  printf("send: digest %08x, the receiver's %08x; %llu modelled cycles\n", digest, ack.digest, t);
  print_stats("send");
  return ack.digest == digest && ack.seq == total ? 0 : 1;
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("netpair: this image runs as two PV domains with vifs (ring1 run --domain ... --vif domain=...)\n");
    return 0;
  }
  int rc = xenbus_init();
  if (rc < 0) panic("netpair: no xenstore: %d", rc);
  long id = xenbus_read_integer(0, "domid");
  if (id < 0) panic("netpair: domid: %ld", id);
  domid = (uint32_t)id;
  my_ip = ip_of(domid);
  if ((rc = netfront_init(&nf, 0)) < 0) panic("netpair: vif 0: %d", rc);
  printf("netpair: domain %u, vif 0 at %s, mac %02x:%02x:%02x:%02x:%02x:%02x, address 10.0.0.%u\n", domid, nf.backend,
         nf.mac[0], nf.mac[1], nf.mac[2], nf.mac[3], nf.mac[4], nf.mac[5], domid);
  plat_irq_enable();
  if (role("send")) return send();
  if (role("receive")) return receive();
  printf("netpair: unknown role '%s' (send, receive)\n", kit_boot.cmdline);
  return 1;
}
