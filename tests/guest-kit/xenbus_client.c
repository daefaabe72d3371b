// xenbus_client: a paravirtual kit kernel that uses the kit's xenbus client (kit/xenbus.h) against ring1's
// store daemon, as a front end would: it reads its own entries, writes and lists its own nodes, is refused
// where the store's permissions say so, watches a node and takes its events, and has a transaction refused
// with EAGAIN after a conflicting write, then retried.
#include <xen/errno.h>

#include "kit/console.h"
#include "kit/kit.h"
#include "kit/platform.h"
#include "kit/string.h"
#include "kit/xenbus.h"
#include "kit/xen.h"

static char buf[256];

static void show_list(const char *what, int n) {
  printf("%s: %d:", what, n);
  for (int i = 0, at = 0; i < n; i++) {
    printf(" %s", buf + at);
    at += (int)strlen(buf + at) + 1;
  }
  printf("\n");
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("xenbus_client: run me with --pv\n");
    return 1;
  }
  int rc = xenbus_init();
  if (rc < 0) panic("xenbus_init: %d", rc);

  rc = xenbus_read(0, "domid", buf, sizeof buf);
  printf("domid: %d bytes, \"%s\"\n", rc, buf);
  xenbus_read(0, "name", buf, sizeof buf);
  printf("name: \"%s\"\n", buf);
  xenbus_domain_path(1, buf, sizeof buf);
  printf("domain path: %s\n", buf);

  printf("write data/greeting: %d\n", xenbus_write(0, "data/greeting", "hello"));
  xenbus_read(0, "data/greeting", buf, sizeof buf);
  printf("read it back: \"%s\"\n", buf);
  xenbus_write(0, "data/second", "2");
  show_list("directory data", xenbus_directory(0, "data", buf, sizeof buf));
  show_list("permissions of data", xenbus_get_perms(0, "data", buf, sizeof buf));

  printf("read a missing node: %d (-ENOENT is %d)\n", xenbus_read(0, "device/vif/0/backend", buf, sizeof buf), -XEN_ENOENT);
  printf("read domain 0's name: %d (-EACCES is %d)\n", xenbus_read(0, "/local/domain/0/name", buf, sizeof buf), -XEN_EACCES);
  printf("write at the root: %d\n", xenbus_write(0, "/intruder", "x"));
  printf("list the domains: %d\n", xenbus_directory(0, "/local/domain", buf, sizeof buf));
  rc = xenbus_rm(0, "data/second");
  printf("remove data/second: %d, then read it: %d\n", rc, xenbus_read(0, "data/second", buf, sizeof buf));

  char path[64], token[16];
  printf("watch data: %d\n", xenbus_watch("data", "w1"));
  while (xenbus_next_event(path, sizeof path, token, sizeof token)) printf("event: %s %s\n", path, token);
  xenbus_write(0, "data/greeting", "changed");
  xenbus_wait_event(path, sizeof path, token, sizeof token);
  printf("event: %s %s\n", path, token);
  rc = xenbus_unwatch("data", "w1");
  printf("unwatch: %d, unwatch again: %d\n", rc, xenbus_unwatch("data", "w1"));

  uint32_t tx = 0;
  xenbus_write(0, "data/counter", "1");
  for (int attempt = 1;; attempt++) {
    xenbus_transaction_start(&tx);
    long v = xenbus_read_integer(tx, "data/counter");
    if (attempt == 1) xenbus_write(0, "data/counter", "10");  // someone else gets there first
    char next[12];
    snprintf(next, sizeof next, "%ld", v + 1);
    xenbus_write(tx, "data/counter", next);
    rc = xenbus_transaction_end(tx, false);
    printf("transaction %u, attempt %d: read %ld, commit %d\n", tx, attempt, v, rc);
    if (rc != -XEN_EAGAIN) break;
  }
  printf("counter: %ld\n", xenbus_read_integer(0, "data/counter"));
  printf("requests %u, events %u, dropped %u\n", xenbus_requests, xenbus_events, xenbus_events_dropped);
  return 0;
}
