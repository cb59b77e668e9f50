/* The planned steps, executed in order in the new namespaces. Each step is one kernel operation
 * (or a few that only make sense together); the runtime decided every path, flag and value.
 * On failure the step reports its index, errno, syscall and path and the child exits. */
#define _GNU_SOURCE
#include "steps.h"
#include "resolve.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct ctx {
  int report_fd;        /* sync socket until READY, then the monitor's status pipe */
  int start_fd;
  int rootfd;           /* the bound rootfs, for paths "in rootfs" */
  char *rootfs;
  char *state_json;     /* from GO, for hooks */
  const char *fail_syscall;
  const char *fail_path;
  uint64_t clone_ns;
};

#define FAIL(sys, p) do { c->fail_syscall = (sys); c->fail_path = (p); return -1; } while (0)

static int proc_fd_path(char *buf, size_t n, int fd) { return snprintf(buf, n, "/proc/self/fd/%d", fd); }

/* A remount must repeat the flags a mount already has that a user namespace may not clear
 * (nosuid, nodev, noexec, the atime flags): else EPERM. runc does the same. */
static unsigned long locked_flags(const char *path) {
  struct statvfs st;
  if (statvfs(path, &st) < 0) return 0;
  unsigned long f = 0;
  if (st.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) f |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

static int step_mount(struct ctx *c, struct step *s) {
  const char *src = s->strs[0], *target = s->strs[1], *fstype = s->strs[2], *data = s->strs[3];
  unsigned long flags = (unsigned long)s->ints[0];
  int in_rootfs = (int)s->ints[1];
  int create = (int)s->ints[2];
  char fdpath[64];
  const char *where = target;
  int fd = -1;
  if (in_rootfs) {
    if (c->rootfd < 0) { errno = EINVAL; FAIL("mount", target); }
    fd = open_in_root(c->rootfd, target, (enum create_kind)create);
    if (fd < 0) FAIL("openat2", target);
    proc_fd_path(fdpath, sizeof fdpath, fd);
    where = fdpath;
  }
  if (flags & MS_REMOUNT) flags |= locked_flags(where);
  int rc = mount(*src ? src : NULL, where, *fstype ? fstype : NULL, flags, *data ? data : NULL);
  int saved = errno;
  if (fd >= 0) close(fd);
  errno = saved;
  if (rc < 0) FAIL("mount", target);
  return 0;
}

static int step_bind_rootfs(struct ctx *c, struct step *s) {
  c->rootfs = s->strs[0];
  if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) FAIL("mount", c->rootfs);
  c->rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->rootfd < 0) FAIL("open", c->rootfs);
  return 0;
}

static int step_mknod(struct ctx *c, struct step *s) {
  const char *base;
  int dir = open_parent_in_root(c->rootfd, s->strs[0], &base);
  if (dir < 0) FAIL("openat2", s->strs[0]);
  /* O_PATH dirfds cannot be used by mknodat's permission checks on some kernels: reopen */
  char fdpath[64];
  proc_fd_path(fdpath, sizeof fdpath, dir);
  int real = open(fdpath, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  close(dir);
  if (real < 0) FAIL("open", s->strs[0]);
  mode_t mode = (mode_t)s->ints[0];
  dev_t dev = makedev((unsigned)s->ints[1], (unsigned)s->ints[2]);
  int rc = mknodat(real, base, mode, dev);
  if (rc < 0 && errno == EEXIST) rc = 0;
  else if (rc == 0) {
    if (fchmodat(real, base, mode & 07777, 0) < 0 || fchownat(real, base, (uid_t)s->ints[3], (gid_t)s->ints[4], AT_SYMLINK_NOFOLLOW) < 0) rc = -1;
  }
  int saved = errno;
  close(real);
  errno = saved;
  if (rc < 0) FAIL("mknodat", s->strs[0]);
  return 0;
}

static int step_symlink(struct ctx *c, struct step *s) {
  const char *base;
  int dir = open_parent_in_root(c->rootfd, s->strs[1], &base);
  if (dir < 0) FAIL("openat2", s->strs[1]);
  int rc = symlinkat(s->strs[0], dir, base);
  int saved = errno;
  close(dir);
  if (rc < 0 && saved != EEXIST) { errno = saved; FAIL("symlinkat", s->strs[1]); }
  return 0;
}

static int step_pivot_root(struct ctx *c) {
  /* pivot_root(".", "."): the old root ends up mounted on top of the new one; detach it.
   * The old root was made rslave/rprivate first, so the unmount does not reach the host. */
  if (fchdir(c->rootfd) < 0) FAIL("fchdir", c->rootfs);
  if (syscall(SYS_pivot_root, ".", ".") < 0) FAIL("pivot_root", c->rootfs);
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) FAIL("mount", "/ (old root, rslave)");
  if (umount2(".", MNT_DETACH) < 0) FAIL("umount2", "/ (old root)");
  if (chdir("/") < 0) FAIL("chdir", "/");
  close(c->rootfd);
  c->rootfd = -1;
  return 0;
}

static int step_mask(struct ctx *c, struct step *s) {
  /* runc's maskPath: /dev/null over a file, an empty read-only tmpfs over a directory */
  const char *p = s->strs[0];
  struct stat st;
  if (lstat(p, &st) < 0) { if (errno == ENOENT) return 0; FAIL("lstat", p); }
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k") < 0) FAIL("mount", p);
  } else if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) {
    if (errno == ENOENT) return 0;
    FAIL("mount", p);
  }
  return 0;
}

static int step_readonly(struct ctx *c, struct step *s) {
  const char *p = s->strs[0];
  if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) { if (errno == ENOENT) return 0; FAIL("mount", p); }
  if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(p), NULL) < 0) FAIL("mount", p);
  return 0;
}

static int step_write_file(struct ctx *c, struct step *s) {
  int fd = open(s->strs[0], O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) { if (errno == ENOENT && s->ints[0]) return 0; FAIL("open", s->strs[0]); }
  size_t n = strlen(s->strs[1]);
  ssize_t w = write(fd, s->strs[1], n);
  int saved = errno;
  close(fd);
  if (w != (ssize_t)n) { errno = w < 0 ? saved : EIO; FAIL("write", s->strs[0]); }
  return 0;
}

static int step_caps_bounding(struct ctx *c, struct step *s) {
  uint64_t keep = (uint64_t)s->ints[0];
  int last = (int)s->ints[1];
  for (int cap = 0; cap <= last; cap++)
    if (!(keep >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) FAIL("prctl", "PR_CAPBSET_DROP");
  return 0;
}

static int step_caps(struct ctx *c, struct step *s) {
  uint64_t eff = (uint64_t)s->ints[0], prm = (uint64_t)s->ints[1], inh = (uint64_t)s->ints[2], amb = (uint64_t)s->ints[3];
  int last = (int)s->ints[4];
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2] = {
    { (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
    { (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
  };
  if (syscall(SYS_capset, &hdr, data) < 0) FAIL("capset", NULL);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) FAIL("prctl", "PR_CAP_AMBIENT_CLEAR_ALL");
  for (int cap = 0; cap <= last; cap++)
    if ((amb >> cap & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) FAIL("prctl", "PR_CAP_AMBIENT_RAISE");
  return 0;
}

static int step_setgroups(struct ctx *c, struct step *s) {
  gid_t gids[s->nints + 1];
  for (int i = 0; i < s->nints; i++) gids[i] = (gid_t)s->ints[i];
  if (setgroups(s->nints, gids) < 0) FAIL("setgroups", NULL);
  return 0;
}

/* Runs a hook (createContainer, startContainer) inside the container's namespaces with the
 * OCI state on its stdin; a non-zero exit or a timeout fails the step. */
static int step_hook(struct ctx *c, struct step *s) {
  int timeout = (int)s->ints[0], nargs = (int)s->ints[1];
  char **args = &s->strs[1], **env = &s->strs[1 + nargs];
  const char *path = s->strs[0];
  char *argv[nargs + 2];
  if (nargs == 0) { argv[0] = (char *)path; argv[1] = NULL; }
  else { for (int i = 0; i < nargs; i++) argv[i] = args[i]; argv[nargs] = NULL; }
  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0) FAIL("pipe2", path);
  pid_t pid = fork();
  if (pid < 0) FAIL("fork", path);
  if (pid == 0) {
    dup2(in[0], 0);
    signal(SIGPIPE, SIG_DFL);
    execve(path, argv, env);
    _exit(127);
  }
  close(in[0]);
  /* the whole state fits in the pipe, so a hook that never reads stdin cannot block us */
  if (c->state_json) {
    size_t n = strlen(c->state_json);
    if (fcntl(in[1], F_SETPIPE_SZ, (int)n + 1) >= 0 || n < 4096) { ssize_t w = write(in[1], c->state_json, n); (void)w; }
  }
  close(in[1]);
  int status = 0;
  uint64_t deadline = timeout > 0 ? now_ns() + (uint64_t)timeout * 1000000000u : 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, deadline ? WNOHANG : 0);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) FAIL("waitpid", path);
    if (deadline && now_ns() > deadline) { kill(pid, SIGKILL); waitpid(pid, &status, 0); errno = ETIMEDOUT; FAIL("hook", path); }
    if (r == 0) { struct timespec t = { 0, 2000000 }; nanosleep(&t, NULL); }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { errno = ECANCELED; FAIL("hook", path); }
  return 0;
}

static int step_wait_start(struct ctx *c) {
  uint8_t b[8];
  uint64_t ns = now_ns() - c->clone_ns;
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(ns >> (8 * i));
  if (sync_write(c->report_fd, SYNC_READY, b, 8) < 0) FAIL("write", "sync READY");
  /* From here the runtime may be gone: errors go to the monitor, which answers `start`. */
  close(c->report_fd);
  c->report_fd = -1;
  char x;
  ssize_t r;
  do r = read(c->start_fd, &x, 1); while (r < 0 && errno == EINTR);
  if (r != 1) _exit(1); /* the monitor went away, or closed without starting: never run */
  close(c->start_fd);
  return 0;
}

static int step_exec(struct ctx *c, struct step *s) {
  int nargs = (int)s->ints[0];
  char *argv[nargs + 1];
  for (int i = 0; i < nargs; i++) argv[i] = s->strs[i];
  argv[nargs] = NULL;
  environ = &s->strs[nargs];   /* execvp looks PATH up in the container's environment */
  signal(SIGPIPE, SIG_DFL);
  /* tell the monitor we got this far: EOF after this means execve succeeded */
  uint8_t b[8];
  uint64_t ns = now_ns() - c->clone_ns;
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(ns >> (8 * i));
  if (sync_write(c->report_fd, SYNC_EXEC, b, 8) < 0) FAIL("write", "status EXEC");
  execvp(argv[0], argv);
  FAIL("execve", argv[0]);
}

static int run_step(struct ctx *c, struct step *s) {
  switch (s->op) {
  case OP_SETNS: {
    int fd = open(s->strs[0], O_RDONLY | O_CLOEXEC);
    if (fd < 0) FAIL("open", s->strs[0]);
    int rc = setns(fd, (int)s->ints[0]);
    close(fd);
    if (rc < 0) FAIL("setns", s->strs[0]);
    return 0;
  }
  case OP_UNSHARE: if (unshare((int)s->ints[0]) < 0) FAIL("unshare", NULL); return 0;
  case OP_MOUNT: return step_mount(c, s);
  case OP_BIND_ROOTFS: return step_bind_rootfs(c, s);
  case OP_MKNOD: return step_mknod(c, s);
  case OP_SYMLINK: return step_symlink(c, s);
  case OP_PIVOT_ROOT: return step_pivot_root(c);
  case OP_MASK: return step_mask(c, s);
  case OP_READONLY: return step_readonly(c, s);
  case OP_WRITE_FILE: return step_write_file(c, s);
  case OP_SETHOSTNAME: if (sethostname(s->strs[0], strlen(s->strs[0])) < 0) FAIL("sethostname", s->strs[0]); return 0;
  case OP_SETDOMAINNAME: if (setdomainname(s->strs[0], strlen(s->strs[0])) < 0) FAIL("setdomainname", s->strs[0]); return 0;
  case OP_SETRLIMIT: {
    struct rlimit rl = { s->ints[1] < 0 ? RLIM_INFINITY : (rlim_t)s->ints[1], s->ints[2] < 0 ? RLIM_INFINITY : (rlim_t)s->ints[2] };
    if (setrlimit((int)s->ints[0], &rl) < 0) FAIL("setrlimit", NULL);
    return 0;
  }
  case OP_CHDIR: if (chdir(s->strs[0]) < 0) FAIL("chdir", s->strs[0]); return 0;
  case OP_UMASK: umask((mode_t)s->ints[0]); return 0;
  case OP_CAPS_BOUNDING: return step_caps_bounding(c, s);
  case OP_KEEPCAPS: if (prctl(PR_SET_KEEPCAPS, (unsigned long)s->ints[0], 0, 0, 0) < 0) FAIL("prctl", "PR_SET_KEEPCAPS"); return 0;
  case OP_SETGROUPS: return step_setgroups(c, s);
  case OP_SETRESGID: { gid_t g = (gid_t)s->ints[0]; if (setresgid(g, g, g) < 0) FAIL("setresgid", NULL); return 0; }
  case OP_SETRESUID: { uid_t u = (uid_t)s->ints[0]; if (setresuid(u, u, u) < 0) FAIL("setresuid", NULL); return 0; }
  case OP_CAPS: return step_caps(c, s);
  case OP_NO_NEW_PRIVS: if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) FAIL("prctl", "PR_SET_NO_NEW_PRIVS"); return 0;
  case OP_HOOK: return step_hook(c, s);
  case OP_WAIT_START: return step_wait_start(c);
  case OP_EXEC: return step_exec(c, s);
  }
  errno = EINVAL;
  FAIL("step", "unknown op");
}

static void fail_exit(struct ctx *c, uint32_t index, int err) {
  if (c->report_fd >= 0) send_error(c->report_fd, index, err, c->fail_syscall ? c->fail_syscall : "?", c->fail_path);
  /* a command that cannot be found or run exits as a shell would: 127 / 126 */
  _exit(c->fail_syscall && !strcmp(c->fail_syscall, "execve") ? (err == ENOENT ? 127 : 126) : 1);
}

void child_main(struct plan *plan, int start_fd, int status_fd, uint64_t clone_ns) {
  struct ctx cx = { .report_fd = SYNC_FD, .start_fd = start_fd, .rootfd = -1, .clone_ns = clone_ns };
  struct ctx *c = &cx;
  setsid();
  /* still the host's minicon-init: keep /proc/<pid>/exe out of reach until execve resets this */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* hooks fork and exec before WAIT_START closes the sync socket: they must not inherit it */
  fcntl(SYNC_FD, F_SETFD, FD_CLOEXEC);
  uint16_t type;
  uint8_t *payload;
  uint32_t len;
  if (plan->flags & PLAN_WAIT_GO) {
    /* GO: the runtime has written our uid/gid maps and run its hooks */
    if (sync_read(SYNC_FD, &type, &payload, &len) < 0 || type != SYNC_GO) _exit(1);
    struct reader r = { payload, len, 0 };
    c->state_json = rd_str(&r);
    if (!c->state_json || r.left != 0) _exit(1); /* a malformed GO: never run */
  }
  for (uint32_t i = 0; i < plan->nsteps; i++) {
    struct step *s = &plan->steps[i];
    /* step mode talks to the runtime: only until READY (after it, report_fd is the monitor's pipe) */
    if ((plan->flags & PLAN_STEP_MODE) && c->report_fd == SYNC_FD) {
      uint8_t b[4] = { i & 0xff, i >> 8 & 0xff, i >> 16 & 0xff, i >> 24 };
      if (sync_write(c->report_fd, SYNC_PAUSED, b, 4) < 0) _exit(1);
      uint8_t *p;
      if (sync_read(c->report_fd, &type, &p, &len) < 0 || type != SYNC_CONTINUE) _exit(1);
      free(p);
    }
    uint64_t t0 = now_ns();
    if (run_step(c, s) < 0) fail_exit(c, i, errno);
    if (s->op == OP_WAIT_START) { c->report_fd = status_fd; continue; }
    if (c->report_fd == SYNC_FD && send_step(c->report_fd, i, 0, now_ns() - t0) < 0) _exit(1);
  }
  _exit(0); /* a plan without EXEC */
}
