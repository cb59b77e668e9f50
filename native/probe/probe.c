/*
 * minicon-probe: a tiny static probe that tests run INSIDE containers, so that tests never depend on
 * the tools of an image. It prints what it sees as `key=value` lines on stdout, one fact a line.
 *
 *   minicon-probe [info]            ids, groups, hostname, cwd, umask, caps, seccomp, rlimits, ns inodes
 *   minicon-probe env               the environment, one variable a line
 *   minicon-probe mounts            /proc/self/mountinfo (exit 2 if unreadable)
 *   minicon-probe cat FILE...       `== FILE` then its contents, for each FILE (exit 1 if any failed)
 *   minicon-probe stat PATH...      type, mode, uid, gid, ino, dev, rdev of each PATH (lstat)
 *   minicon-probe write FILE TEXT   writes TEXT to FILE; prints `ok` or `error=ENAME` (exit 1)
 *   minicon-probe memhog MB         touches MB MiB, 1 MiB a step, printing `allocated=N`; then pauses
 *   minicon-probe forkbomb N        forks up to N pausing children; `forked=K` [`error=EAGAIN`]; pauses
 *   minicon-probe sleep SECS        sleeps (fractions allowed)
 *   minicon-probe exit CODE         exits with CODE
 *   minicon-probe signal-self SIG   raises SIG (prints `survived=SIG` and exits 1 if still alive)
 *   minicon-probe spin SECS         busy-loops SECS of wall time; prints wall_ms and cpu_ms
 *   minicon-probe pause             waits for a signal
 *   minicon-probe syscall-test      tries privileged operations: `op=ok` or `op=EPERM` (errno name)
 *
 * Signals: a process that is PID 1 of a PID namespace ignores every signal whose disposition is the
 * default (the kernel protects a namespace's init). So that `kill TERM` stops a probe that is PID 1,
 * the waiting modes then install handlers for HUP/INT/QUIT/TERM/USR1/USR2 that print `signal=N` and
 * exit with 128+N. Outside PID 1 signals keep their default dispositions.
 *
 * Built by node-gyp (binding.gyp target minicon-probe) with -static, or by hand:
 *   gcc -std=gnu11 -O2 -Wall -Wextra -static -o minicon-probe native/probe/probe.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

extern char **environ;

static const char *ename(int e) {
  static char buf[16];
  const char *n = strerrorname_np(e);
  if (n) return n;
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

static void out(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(const char *key, const char *fmt, ...) {
  va_list ap;
  printf("%s=", key);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

static int usage(void) {
  fputs("usage: minicon-probe [info|env|mounts|cat FILE...|stat PATH...|write FILE TEXT|memhog MB|\n"
        "       forkbomb N|sleep SECS|exit CODE|signal-self SIGNUM|spin SECS|pause|syscall-test]\n",
        stderr);
  return 2;
}

/* Reads a whole small file into buf (NUL-terminated). Returns length or -1 with errno set. */
static ssize_t slurp(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = 0;
  while (n + 1 < size) {
    ssize_t r = read(fd, buf + n, size - 1 - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  buf[n] = 0;
  close(fd);
  return (ssize_t)n;
}

/* Copies a file to stdout. Returns 0 or an errno. */
static int copy_out(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[65536];
  int err = 0, last_nl = 1;
  fflush(stdout);
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (r == 0) break;
    fwrite(buf, 1, (size_t)r, stdout);
    last_nl = buf[r - 1] == '\n';
  }
  if (!last_nl) putchar('\n');
  close(fd);
  return err;
}

/* ---- info ------------------------------------------------------------------------------------ */

static const struct { int res; const char *name; } rlimits[] = {
  {RLIMIT_AS, "as"}, {RLIMIT_CORE, "core"}, {RLIMIT_CPU, "cpu"}, {RLIMIT_DATA, "data"},
  {RLIMIT_FSIZE, "fsize"}, {RLIMIT_LOCKS, "locks"}, {RLIMIT_MEMLOCK, "memlock"},
  {RLIMIT_MSGQUEUE, "msgqueue"}, {RLIMIT_NICE, "nice"}, {RLIMIT_NOFILE, "nofile"},
  {RLIMIT_NPROC, "nproc"}, {RLIMIT_RSS, "rss"}, {RLIMIT_RTPRIO, "rtprio"},
  {RLIMIT_RTTIME, "rttime"}, {RLIMIT_SIGPENDING, "sigpending"}, {RLIMIT_STACK, "stack"},
};

static void rlim_str(rlim_t v, char *buf, size_t size) {
  if (v == RLIM_INFINITY) snprintf(buf, size, "inf");
  else snprintf(buf, size, "%llu", (unsigned long long)v);
}

/* Finds "Key:\tvalue" in /proc/self/status text; copies the trimmed value. */
static int status_field(const char *status, const char *key, char *val, size_t size) {
  size_t kl = strlen(key);
  for (const char *p = status; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
    if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
      const char *v = p + kl + 1;
      while (*v == ' ' || *v == '\t') v++;
      size_t n = strcspn(v, "\n");
      if (n >= size) n = size - 1;
      memcpy(val, v, n);
      val[n] = 0;
      return 0;
    }
  }
  return -1;
}

static void caps_from_syscalls(void) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &hdr, data) == 0) {
    out("capeff", "%016llx", ((unsigned long long)data[1].effective << 32) | data[0].effective);
    out("capprm", "%016llx", ((unsigned long long)data[1].permitted << 32) | data[0].permitted);
    out("capinh", "%016llx", ((unsigned long long)data[1].inheritable << 32) | data[0].inheritable);
  } else {
    out("capget", "%s", ename(errno));
  }
  unsigned long long bnd = 0, amb = 0;
  for (int c = 0; c < 64; c++) {
    int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
    if (r < 0) break;
    if (r) bnd |= 1ULL << c;
  }
  for (int c = 0; c < 64; c++) {
    int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
    if (r < 0) break;
    if (r) amb |= 1ULL << c;
  }
  out("capbnd", "%016llx", bnd);
  out("capamb", "%016llx", amb);
}

static int mode_info(void) {
  out("pid", "%d", (int)getpid());
  out("ppid", "%d", (int)getppid());
  out("uid", "%u", (unsigned)getuid());
  out("gid", "%u", (unsigned)getgid());
  out("euid", "%u", (unsigned)geteuid());
  out("egid", "%u", (unsigned)getegid());

  gid_t groups[NGROUPS_MAX];
  int ng = getgroups(NGROUPS_MAX, groups);
  printf("groups=");
  for (int i = 0; i < ng; i++) printf(i ? ",%u" : "%u", (unsigned)groups[i]);
  putchar('\n');

  struct utsname u;
  if (uname(&u) == 0) {
    out("hostname", "%s", u.nodename);
    out("domainname", "%s", u.domainname);
  }
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd)) out("cwd", "%s", cwd);
  else out("cwd", "error:%s", ename(errno));
  mode_t m = umask(0);
  umask(m);
  out("umask", "%04o", (unsigned)m);
  out("nonewprivs", "%d", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));

  static char status[16384];
  int have_proc = slurp("/proc/self/status", status, sizeof status) > 0;
  out("proc", "%s", have_proc ? "mounted" : "absent");
  char v[256];
  if (have_proc && status_field(status, "CapEff", v, sizeof v) == 0) {
    static const char *const keys[][2] = {
      {"CapEff", "capeff"}, {"CapPrm", "capprm"}, {"CapInh", "capinh"},
      {"CapBnd", "capbnd"}, {"CapAmb", "capamb"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
      if (status_field(status, keys[i][0], v, sizeof v) == 0) out(keys[i][1], "%s", v);
  } else {
    caps_from_syscalls();
  }
  if (have_proc && status_field(status, "Seccomp", v, sizeof v) == 0) out("seccomp", "%s", v);
  else out("seccomp", "%d", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));

  if (slurp("/proc/self/oom_score_adj", v, sizeof v) > 0) {
    v[strcspn(v, "\n")] = 0;
    out("oom_score_adj", "%s", v);
  }

  for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++) {
    struct rlimit rl;
    char key[32], s[32], h[32];
    snprintf(key, sizeof key, "rlimit_%s", rlimits[i].name);
    if (getrlimit(rlimits[i].res, &rl) != 0) continue;
    rlim_str(rl.rlim_cur, s, sizeof s);
    rlim_str(rl.rlim_max, h, sizeof h);
    out(key, "%s:%s", s, h);
  }

  DIR *d = opendir("/proc/self/ns");
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char path[300], link[128];
      snprintf(path, sizeof path, "/proc/self/ns/%s", e->d_name);
      ssize_t n = readlink(path, link, sizeof link - 1);
      if (n < 0) continue;
      link[n] = 0;
      char *lb = strchr(link, '[');
      if (!lb) continue;
      char key[300];
      snprintf(key, sizeof key, "ns_%s", e->d_name);
      out(key, "%llu", strtoull(lb + 1, NULL, 10));
    }
    closedir(d);
  }

  struct stat st;
  if (stat("/", &st) == 0) out("root_ino", "%llu", (unsigned long long)st.st_ino);
  int envc = 0;
  for (char **p = environ; p && *p; p++) envc++;
  out("env_count", "%d", envc);
  return 0;
}

/* ---- small modes ----------------------------------------------------------------------------- */

static int mode_env(void) {
  for (char **p = environ; p && *p; p++) puts(*p);
  return 0;
}

static int mode_mounts(void) {
  int e = copy_out("/proc/self/mountinfo");
  if (e) {
    out("error", "%s", ename(e));
    return 2;
  }
  return 0;
}

static int mode_cat(int argc, char **argv) {
  int rc = 0;
  for (int i = 0; i < argc; i++) {
    printf("== %s\n", argv[i]);
    int e = copy_out(argv[i]);
    if (e) {
      out("error", "%s", ename(e));
      rc = 1;
    }
  }
  return rc;
}

static const char *ftype(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return "file";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "symlink";
    case S_IFCHR: return "char";
    case S_IFBLK: return "block";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
    default: return "unknown";
  }
}

static int mode_stat(int argc, char **argv) {
  int rc = 0;
  for (int i = 0; i < argc; i++) {
    struct stat st;
    printf("== %s\n", argv[i]);
    if (lstat(argv[i], &st) != 0) {
      out("error", "%s", ename(errno));
      rc = 1;
      continue;
    }
    out("type", "%s", ftype(st.st_mode));
    out("mode", "%04o", (unsigned)(st.st_mode & 07777));
    out("uid", "%u", (unsigned)st.st_uid);
    out("gid", "%u", (unsigned)st.st_gid);
    out("size", "%lld", (long long)st.st_size);
    out("ino", "%llu", (unsigned long long)st.st_ino);
    out("dev", "%u:%u", major(st.st_dev), minor(st.st_dev));
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) out("rdev", "%u:%u", major(st.st_rdev), minor(st.st_rdev));
  }
  return rc;
}

static int mode_write(const char *file, const char *text) {
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    out("error", "%s", ename(errno));
    return 1;
  }
  size_t len = strlen(text), off = 0;
  while (off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      out("error", "%s", ename(errno));
      close(fd);
      return 1;
    }
    off += (size_t)w;
  }
  if (close(fd) != 0) {
    out("error", "%s", ename(errno));
    return 1;
  }
  puts("ok");
  return 0;
}

/* ---- waiting modes --------------------------------------------------------------------------- */

static void on_signal(int sig) {
  char msg[32];
  int n = snprintf(msg, sizeof msg, "signal=%d\n", sig);
  if (write(STDOUT_FILENO, msg, (size_t)n) < 0) { /* nothing to do */ }
  _exit(128 + sig);
}

/* As PID 1 of a PID namespace, default-disposition signals are ignored: exit on them instead. */
static void pid1_signals(void) {
  if (getpid() != 1) return;
  static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
}

static void pause_forever(void) {
  fflush(stdout);
  for (;;) pause();
}

static int parse_num(const char *s, long long *v) {
  char *end;
  errno = 0;
  *v = strtoll(s, &end, 10);
  return errno || end == s || *end ? -1 : 0;
}

static int mode_memhog(const char *arg) {
  long long mb;
  if (parse_num(arg, &mb) || mb < 0) return usage();
  pid1_signals();
  const size_t step = 1 << 20;
  for (long long i = 1; i <= mb; i++) {
    char *p = malloc(step);
    if (!p) {
      out("error", "%s", ename(errno ? errno : ENOMEM));
      fflush(stdout);
      break;
    }
    for (size_t off = 0; off < step; off += 4096) p[off] = (char)(i | 1);
    out("allocated", "%lld", i);
    fflush(stdout);
  }
  pause_forever();
  return 0;
}

static int mode_forkbomb(const char *arg) {
  long long n;
  if (parse_num(arg, &n) || n < 0) return usage();
  pid1_signals();
  pid_t parent = getpid();
  long long forked = 0;
  int err = 0;
  fflush(stdout);
  for (long long i = 0; i < n; i++) {
    pid_t c = fork();
    if (c < 0) {
      err = errno;
      break;
    }
    if (c == 0) {
      signal(SIGTERM, SIG_DFL);
      prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      if (getppid() != parent) _exit(0);
      for (;;) pause();
    }
    forked++;
  }
  out("forked", "%lld", forked);
  if (err) out("error", "%s", ename(err));
  pause_forever();
  return 0;
}

static double now(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int mode_sleep(const char *arg) {
  char *end;
  double secs = strtod(arg, &end);
  if (end == arg || *end || secs < 0) return usage();
  pid1_signals();
  double until = now(CLOCK_MONOTONIC) + secs;
  for (;;) {
    double left = until - now(CLOCK_MONOTONIC);
    if (left <= 0) break;
    struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
    nanosleep(&ts, NULL);
  }
  return 0;
}

static int mode_spin(const char *arg) {
  char *end;
  double secs = strtod(arg, &end);
  if (end == arg || *end || secs < 0) return usage();
  pid1_signals();
  double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
  volatile unsigned long x = 0;
  while (now(CLOCK_MONOTONIC) - w0 < secs)
    for (int i = 0; i < 10000; i++) x += (unsigned long)i;
  out("wall_ms", "%.0f", (now(CLOCK_MONOTONIC) - w0) * 1e3);
  out("cpu_ms", "%.0f", (now(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e3);
  return 0;
}

static int mode_signal_self(const char *arg) {
  long long sig;
  if (parse_num(arg, &sig) || sig <= 0 || sig >= 65) return usage();
  fflush(stdout);
  raise((int)sig);
  out("survived", "%lld", sig);
  return 1;
}

/* ---- syscall-test ---------------------------------------------------------------------------- */

/* Prints op=ok, or op=ENAME from errno; call it right after the operation (rc is evaluated first). */
static void result(const char *op, int rc) {
  int err = errno;
  if (rc == 0) out(op, "ok");
  else out(op, "%s", ename(err));
}

/* Makes a scratch directory in the first writable place; returns 0 or an errno. */
static int scratch_dir(char *buf, size_t size) {
  static const char *const bases[] = {"/tmp", "/dev/shm", "/run", "."};
  int err = EROFS;
  for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
    snprintf(buf, size, "%s/.minicon-probe-XXXXXX", bases[i]);
    if (mkdtemp(buf)) return 0;
    err = errno;
  }
  return err;
}

static int mode_syscall_test(void) {
  /* sethostname: set the current name again, so that a success changes nothing. */
  struct utsname u;
  uname(&u);
  result("sethostname", sethostname(u.nodename, strlen(u.nodename)));

  char dir[PATH_MAX];
  int derr = scratch_dir(dir, sizeof dir);
  if (derr) out("scratch", "%s", ename(derr));

  /* mount: a tmpfs on a private scratch dir (never over a directory someone uses), then undone.
   * Where no directory is writable, mount on /tmp itself and detach at once (only in containers:
   * a host always has a writable /tmp). */
  const char *target = derr ? "/tmp" : dir;
  if (mount("minicon-probe", target, "tmpfs", 0, "size=64k") == 0) {
    out("mount", "ok");
    umount2(target, MNT_DETACH);
  } else {
    out("mount", "%s", ename(errno));
  }

  if (!derr) {
    char file[PATH_MAX + 16];
    snprintf(file, sizeof file, "%s/f", dir);
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      close(fd);
      result("chown", chown(file, 12345, 12345));
      unlink(file);
    } else {
      out("chown", "setup:%s", ename(errno));
    }
    snprintf(file, sizeof file, "%s/null", dir);
    result("mknod", mknod(file, S_IFCHR | 0600, makedev(1, 3)));
    unlink(file);
    rmdir(dir);
  } else {
    out("chown", "setup:%s", ename(derr));
    out("mknod", "setup:%s", ename(derr));
  }

  /* setuid: in a child, so that this process keeps its credentials. */
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) _exit(setuid(12345) == 0 ? 0 : (errno & 0xff));
  int st = 0;
  if (c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st)) {
    errno = WEXITSTATUS(st);
    result("setuid", WEXITSTATUS(st));
  } else
    out("setuid", "fork:%s", ename(errno));

  /* raw socket: CAP_NET_RAW. */
  int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  result("raw_socket", s < 0 ? -1 : 0);
  if (s >= 0) close(s);

  /* chroot: CAP_SYS_CHROOT; chroot("/") changes nothing when it succeeds. */
  result("chroot", chroot("/"));
  return 0;
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "info";
  int nargs = argc > 2 ? argc - 2 : 0;
  char **args = argv + 2;
  int rc;

  setvbuf(stdout, NULL, _IOFBF, 0);
  if (!strcmp(mode, "info")) rc = mode_info();
  else if (!strcmp(mode, "env")) rc = mode_env();
  else if (!strcmp(mode, "mounts")) rc = mode_mounts();
  else if (!strcmp(mode, "cat") && nargs >= 1) rc = mode_cat(nargs, args);
  else if (!strcmp(mode, "stat") && nargs >= 1) rc = mode_stat(nargs, args);
  else if (!strcmp(mode, "write") && nargs == 2) rc = mode_write(args[0], args[1]);
  else if (!strcmp(mode, "memhog") && nargs == 1) rc = mode_memhog(args[0]);
  else if (!strcmp(mode, "forkbomb") && nargs == 1) rc = mode_forkbomb(args[0]);
  else if (!strcmp(mode, "sleep") && nargs == 1) rc = mode_sleep(args[0]);
  else if (!strcmp(mode, "exit") && nargs == 1) {
    long long code;
    if (parse_num(args[0], &code)) return usage();
    fflush(stdout);
    return (int)(code & 0xff);
  } else if (!strcmp(mode, "signal-self") && nargs == 1) rc = mode_signal_self(args[0]);
  else if (!strcmp(mode, "spin") && nargs == 1) rc = mode_spin(args[0]);
  else if (!strcmp(mode, "pause") && nargs == 0) {
    pid1_signals();
    pause_forever();
    rc = 0;
  } else if (!strcmp(mode, "syscall-test")) rc = mode_syscall_test();
  else return usage();
  if (fflush(stdout) != 0 && rc == 0) rc = 1;
  return rc;
}
