// fs.c: a small in-memory file system and the open-file layer. One flat directory of inodes named by full
// path ("/tmp/f", "/dev/null", "/bin/sh"); a regular file's data lives in frames, one per page, allocated
// when first written (or mapped); devices are /dev/null, /dev/zero and /dev/console; /bin holds the programs
// linked into the image (exec.c). Open files (struct file) carry the offset and are shared by fork, as
// POSIX's open file descriptions are.
#include "kernel.h"
#include "kit/console.h"
#include "kit/paging.h"
#include "kit/string.h"

#define NINODE 48
#define NFILE 128
static struct inode inodes[NINODE];
static struct file files[NFILE];

static struct inode *inode_alloc(const char *path, enum inode_kind kind) {
  for (int i = 0; i < NINODE; i++) {
    struct inode *ip = &inodes[i];
    if (ip->kind != I_FREE) continue;
    memset(ip, 0, sizeof *ip);
    ip->kind = kind;
    ip->linked = true;
    memcpy(ip->name, path, strlen(path) + 1);
    return ip;
  }
  return 0;
}

struct inode *fs_create_program(const char *path, int program) {
  struct inode *ip = inode_alloc(path, I_PROGRAM);
  if (ip) ip->program = program;
  return ip;
}

void fs_init(void) {
  inode_alloc("/dev/null", I_NULL);
  inode_alloc("/dev/zero", I_ZERO);
  inode_alloc("/dev/console", I_CONSOLE);
  for (unsigned i = 0; i < program_count; i++)
    if (!fs_create_program(programs[i].path, (int)i)) panic("no inode for %s", programs[i].path);
}

struct inode *fs_lookup(const char *path) {
  for (int i = 0; i < NINODE; i++)
    if (inodes[i].kind != I_FREE && inodes[i].linked && strcmp(inodes[i].name, path) == 0) return &inodes[i];
  return 0;
}

static void truncate(struct inode *ip) {
  for (int i = 0; i < FILE_MAX_PAGES; i++)
    if (ip->pages[i]) {
      frame_unref(ip->pages[i]);
      ip->pages[i] = 0;
    }
  ip->size = 0;
  ip->npages = 0;
}

void inode_put(struct inode *ip) {
  if (--ip->refs > 0 || ip->linked) return;
  truncate(ip);
  ip->kind = I_FREE;
}

struct file *file_alloc(void) {
  for (int i = 0; i < NFILE; i++)
    if (!files[i].refs) {
      memset(&files[i], 0, sizeof files[i]);
      files[i].refs = 1;
      return &files[i];
    }
  return 0;
}

void file_put(struct file *f) {
  if (--f->refs > 0) return;
  if (f->kind == F_INODE) inode_put(f->inode);
  else pipe_close(f->pipe, f->kind == F_PIPE_WRITE);
}

int fd_install(struct proc *p, struct file *f) {
  for (int i = 0; i < NFD; i++)
    if (!p->fd[i]) {
      p->fd[i] = f;
      return i;
    }
  return -EMFILE;
}

struct file *fd_get(int fd) { return fd >= 0 && fd < NFD ? current->fd[fd] : 0; }

int32_t fs_open(const char *path, int flags) {
  struct inode *ip = fs_lookup(path);
  if (!ip) {
    if (!(flags & O_CREAT)) return -ENOENT;
    if (!(ip = inode_alloc(path, I_FILE))) return -ENOSPC;
  }
  if ((flags & O_TRUNC) && ip->kind == I_FILE && (flags & O_ACCMODE) != O_RDONLY) truncate(ip);
  struct file *f = file_alloc();
  if (!f) return -ENFILE;
  f->kind = F_INODE;
  f->inode = ip;
  f->flags = flags;
  ip->refs++;
  int fd = fd_install(current, f);
  if (fd < 0) file_put(f);
  return fd;
}

uint32_t fs_file_frame(struct inode *ip, uint32_t page_index) {
  if (page_index >= FILE_MAX_PAGES || page_index >= (ip->size + PAGE_SIZE - 1) / PAGE_SIZE) return 0;
  if (!ip->pages[page_index]) {
    ip->pages[page_index] = frame_alloc();
    frame_ref(ip->pages[page_index]);
    ip->npages++;
  }
  return ip->pages[page_index];
}

int32_t fs_read(struct file *f, uint32_t buf, uint32_t n) {
  struct inode *ip = f->inode;
  if ((f->flags & O_ACCMODE) == O_WRONLY) return -EBADF;
  switch (ip->kind) {
    case I_NULL: case I_CONSOLE: case I_PROGRAM: return 0;
    case I_ZERO:
      if (!mm_user_ok(buf, n, true)) return -EFAULT;
      memset((void *)buf, 0, n);
      return (int32_t)n;
    case I_FILE: break;
    default: return -EBADF;
  }
  if (f->offset >= ip->size) return 0;
  if (n > ip->size - f->offset) n = ip->size - f->offset;
  if (!mm_user_ok(buf, n, true)) return -EFAULT;
  for (uint32_t done = 0; done < n;) {
    uint32_t at = f->offset + done, in_page = at % PAGE_SIZE;
    uint32_t chunk = PAGE_SIZE - in_page < n - done ? PAGE_SIZE - in_page : n - done;
    uint32_t frame = ip->pages[at / PAGE_SIZE];
    if (frame) memcpy((void *)(buf + done), (const void *)(frame + in_page), chunk);
    else memset((void *)(buf + done), 0, chunk);
    done += chunk;
  }
  f->offset += n;
  return (int32_t)n;
}

int32_t fs_write(struct file *f, uint32_t buf, uint32_t n) {
  struct inode *ip = f->inode;
  if ((f->flags & O_ACCMODE) == O_RDONLY) return -EBADF;
  switch (ip->kind) {
    case I_NULL: return (int32_t)n;  // like Linux's /dev/null, the buffer is never read
    case I_ZERO: return (int32_t)n;
    case I_CONSOLE:
      if (!mm_user_ok(buf, n, false)) return -EFAULT;
      plat_console_write((const char *)buf, n);
      return (int32_t)n;
    case I_FILE: break;
    default: return -EBADF;
  }
  if (f->offset + n < f->offset || f->offset + n > FILE_MAX_PAGES * PAGE_SIZE) return -EFBIG;
  if (!mm_user_ok(buf, n, false)) return -EFAULT;
  if (f->offset + n > ip->size) ip->size = f->offset + n;
  for (uint32_t done = 0; done < n;) {
    uint32_t at = f->offset + done, in_page = at % PAGE_SIZE;
    uint32_t chunk = PAGE_SIZE - in_page < n - done ? PAGE_SIZE - in_page : n - done;
    uint32_t frame = fs_file_frame(ip, at / PAGE_SIZE);
    memcpy((void *)(frame + in_page), (const void *)(buf + done), chunk);
    done += chunk;
  }
  f->offset += n;
  return (int32_t)n;
}

int32_t fs_stat(struct inode *ip, uint32_t st_va) {
  if (!mm_user_ok(st_va, sizeof(struct stat), true)) return -EFAULT;
  struct stat *st = (struct stat *)st_va;
  st->st_ino = (uint32_t)(ip - inodes) + 1;
  st->st_mode = ip->kind == I_FILE || ip->kind == I_PROGRAM ? S_IFREG | 0755 : S_IFCHR | 0666;
  st->st_nlink = ip->linked;
  st->st_size = ip->size;
  st->st_blocks = ip->npages * (PAGE_SIZE / 512);
  return 0;
}

int32_t fs_unlink(const char *path) {
  struct inode *ip = fs_lookup(path);
  if (!ip) return -ENOENT;
  if (ip->kind != I_FILE) return -EPERM;
  ip->linked = false;
  ip->refs++;
  inode_put(ip);
  return 0;
}
