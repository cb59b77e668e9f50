/* Path resolution inside the container's rootfs with openat2(RESOLVE_IN_ROOT): a mount
 * destination such as /etc/x where /etc is a symlink to /host/etc stays inside the rootfs. */
#define _GNU_SOURCE
#include "resolve.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int openat2_in_root(int rootfd, const char *path) {
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  const char *p = *path ? path : ".";
  /* a lookup through ".." answers EAGAIN when any rename or mount ran meanwhile: try again */
  for (int tries = 0;; tries++) {
    int fd = (int)syscall(SYS_openat2, rootfd, p, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN || tries == 64) return fd;
  }
}

int open_in_root(int rootfd, const char *path, enum create_kind kind) {
  int fd = openat2_in_root(rootfd, path);
  if (fd >= 0 || errno != ENOENT || kind == CREATE_NONE) return fd;
  /* Create what is missing, one component at a time: each new name is made relative to its
   * already-resolved parent, so creation never follows a symlink either. */
  size_t n = strlen(path);
  char *buf = malloc(n + 1);
  if (!buf) return -1;
  memcpy(buf, path, n + 1);
  int parent = openat2_in_root(rootfd, "/");
  /* mkdirat/openat below act on one name inside a parent that was itself resolved in the root */
  char *p = buf;
  while (parent >= 0) {
    while (*p == '/') p++;
    if (!*p) break;
    char *end = strchr(p, '/');
    int last = 1;
    if (end) { *end = 0; last = end[1 + strspn(end + 1, "/")] == 0; }
    int next = openat2_in_root(rootfd, buf); /* the prefix so far, resolved from the root */
    if (next < 0 && errno == ENOENT) {
      int made;
      if (last && kind == CREATE_FILE) {
        made = openat(parent, p, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (made >= 0) close(made);
      } else {
        made = mkdirat(parent, p, 0755);
      }
      /* EEXIST: made meanwhile, or a dangling symlink; the lookup below tells which */
      if (made < 0 && errno != EEXIST) { int err = errno; close(parent); free(buf); errno = err; return -1; }
      next = openat2_in_root(rootfd, buf);
    }
    close(parent);
    parent = next;
    if (!end) break;
    *end = '/';
    p = end + 1;
  }
  free(buf);
  if (parent < 0) return -1;
  return parent;
}

int open_parent_in_root(int rootfd, const char *path, const char **base) {
  const char *slash = strrchr(path, '/');
  *base = slash ? slash + 1 : path;
  if (!**base) { errno = EINVAL; return -1; }
  size_t n = slash ? (size_t)(slash - path) : 0;
  char *dir = malloc(n + 2);
  if (!dir) return -1;
  memcpy(dir, path, n);
  dir[n] = 0;
  int fd = open_in_root(rootfd, n ? dir : "/", CREATE_DIR);
  free(dir);
  return fd;
}
