// pipe.c: pipes, one frame each: a byte ring buffer with reader and writer counts. read blocks while the pipe
// is empty and a writer remains (then it is end of file); write blocks while it is full, and fails with EPIPE
// (and SIGPIPE) once no reader remains. Both copy straight between the ring and the caller's buffer, which
// the kernel reaches in the caller's own address space after checking it (and faulting its pages in).
#include "kernel.h"
#include "kit/paging.h"
#include "kit/string.h"

#define PIPE_SIZE (PAGE_SIZE - 16)
struct pipe {
  uint32_t head, count;
  int readers, writers;
  uint8_t data[PIPE_SIZE];
};

int32_t pipe_create(uint32_t fds_va) {
  if (!mm_user_ok(fds_va, 8, true)) return -EFAULT;
  struct file *r = file_alloc(), *w = r ? file_alloc() : 0;
  if (!w) {
    if (r) file_put(r);
    return -ENFILE;
  }
  struct pipe *p = (struct pipe *)frame_alloc();
  p->readers = p->writers = 1;
  r->kind = F_PIPE_READ;
  w->kind = F_PIPE_WRITE;
  r->pipe = w->pipe = p;
  int rfd = fd_install(current, r);
  int wfd = rfd < 0 ? -1 : fd_install(current, w);
  if (wfd < 0) {
    if (rfd >= 0) current->fd[rfd] = 0;
    file_put(r);
    file_put(w);
    return -EMFILE;
  }
  ((int32_t *)fds_va)[0] = rfd;
  ((int32_t *)fds_va)[1] = wfd;
  return 0;
}

int32_t pipe_read(struct pipe *p, uint32_t buf, uint32_t n) {
  if (!n) return 0;
  if (!mm_user_ok(buf, n, true)) return -EFAULT;
  while (!p->count) {
    if (!p->writers) return 0;
    if (sig_unblocked_pending(current)) return -EINTR;
    sleep_on(p);
  }
  uint32_t m = n < p->count ? n : p->count;
  for (uint32_t done = 0; done < m;) {
    uint32_t chunk = PIPE_SIZE - p->head < m - done ? PIPE_SIZE - p->head : m - done;
    memcpy((void *)(buf + done), p->data + p->head, chunk);
    p->head = (p->head + chunk) % PIPE_SIZE;
    done += chunk;
  }
  p->count -= m;
  wakeup(p);
  return (int32_t)m;
}

int32_t pipe_write(struct pipe *p, uint32_t buf, uint32_t n) {
  if (!mm_user_ok(buf, n, false)) return -EFAULT;
  uint32_t done = 0;
  while (done < n) {
    if (!p->readers) {
      sig_send(current, SIGPIPE);
      return done ? (int32_t)done : -EPIPE;
    }
    uint32_t space = PIPE_SIZE - p->count;
    if (!space) {
      if (sig_unblocked_pending(current)) return done ? (int32_t)done : -EINTR;
      sleep_on(p);
      continue;
    }
    uint32_t tail = (p->head + p->count) % PIPE_SIZE;
    uint32_t chunk = n - done < space ? n - done : space;
    if (chunk > PIPE_SIZE - tail) chunk = PIPE_SIZE - tail;
    memcpy(p->data + tail, (const void *)(buf + done), chunk);
    p->count += chunk;
    done += chunk;
    wakeup(p);
  }
  return (int32_t)n;
}

void pipe_close(struct pipe *p, bool writer) {
  if (writer) p->writers--;
  else p->readers--;
  wakeup(p);
  if (!p->readers && !p->writers) frame_free((uint32_t)p);
}
