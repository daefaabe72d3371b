// xenbus.h: the kit's xenstore client on the paravirtual platform (pv/xenbus.c): requests and replies of
// xen/io/xs_wire.h over the domain's store ring (start_info.store_mfn, notified on start_info.store_evtchn),
// one request at a time, as Mini-OS's and XTF's xenbus drivers talk to xenstored. Paths are absolute, or
// relative to the domain's /local/domain/<id>. Every call returns 0 (or a length) on success and a
// negative Xen errno on failure (-XEN_ENOENT, -XEN_EACCES, -XEN_EAGAIN from a conflicting commit, ...),
// decoded from the store's error string with xs_wire.h's own table. `tx` is 0 outside a transaction.
//
// Watch events arrive between replies; they are kept (up to XENBUS_EVENTS, the oldest dropped beyond)
// until the guest takes them with xenbus_next_event or waits for one with xenbus_wait_event, as a front end
// waits for its back end's state to change. Only meaningful when plat_is_pv().
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XENBUS_EVENTS 16
#define XENBUS_EVENT_PATH 256
#define XENBUS_EVENT_TOKEN 64

// Maps the store ring writable and takes over its event channel; 0, or -errno if there is no store.
int xenbus_init(void);

// The value of `path`, NUL-terminated in buf (truncated to size - 1): its full length, or -errno.
int xenbus_read(uint32_t tx, const char *path, char *buf, size_t size);
int xenbus_write(uint32_t tx, const char *path, const char *value);
int xenbus_mkdir(uint32_t tx, const char *path);
int xenbus_rm(uint32_t tx, const char *path);
// The children of `path`, each NUL-terminated, one after the other in buf: their number, or -errno.
int xenbus_directory(uint32_t tx, const char *path, char *buf, size_t size);
// The permissions ("n0\0r1\0"), as the store writes them: their number, or -errno.
int xenbus_get_perms(uint32_t tx, const char *path, char *buf, size_t size);
// perms: the entries, each NUL-terminated ("n1\0r0\0"), `len` bytes in all.
int xenbus_set_perms(uint32_t tx, const char *path, const char *perms, size_t len);
// A decimal value read as a number; -errno, or -XEN_EINVAL if it is not one.
long xenbus_read_integer(uint32_t tx, const char *path);

int xenbus_transaction_start(uint32_t *tx);
// Commits (abort false) or discards; -XEN_EAGAIN when the commit conflicts: the caller starts again.
int xenbus_transaction_end(uint32_t tx, bool abort);

// The store fires a new watch once at once, and then for every change at or below `path`.
int xenbus_watch(const char *path, const char *token);
int xenbus_unwatch(const char *path, const char *token);
// The oldest watch event not yet taken: true and its path and token, or false if there is none.
bool xenbus_next_event(char *path, size_t path_size, char *token, size_t token_size);
// Like xenbus_next_event, but waits (SCHEDOP_poll on the store's port) until one comes.
void xenbus_wait_event(char *path, size_t path_size, char *token, size_t token_size);

// The domain's home in the store ("/local/domain/<id>"), from XS_GET_DOMAIN_PATH for DOMID_SELF's id.
int xenbus_domain_path(unsigned domid, char *buf, size_t size);

// Counters: requests sent, watch events received, events dropped because the queue was full.
extern volatile uint32_t xenbus_requests, xenbus_events, xenbus_events_dropped;
