/*
 * minicon-init: the single-threaded container-side helper of MiniCon (runc's nsexec + init,
 * conmon's monitor role). Node is multithreaded, so it never changes its own namespaces, root
 * or credentials; this program does, in a child it clones.
 *
 * Order of events (the runtime's side is src/runtime/container/create.ts):
 *   1. read PLAN on fd 3 (the sync socket); it holds every step, already resolved by the runtime
 *   2. cd into the state directory; listen on ctl.sock there (for `start`)
 *   3. join the pid namespace given by path, if any (it applies to children only)
 *   4. clone3(new namespaces | CLONE_PIDFD): the child is the container's pid 1, born in the
 *      container's cgroups (the runtime put the monitor there); the monitor returns to its own
 *   5. send PID (pid 1 waits until it is sent, so PID comes first on the socket); with PLAN_WAIT_GO the runtime writes uid/gid maps, runs prestart/createRuntime
 *      hooks and sends GO to the child directly (the monitor has closed its copy of fd 3)
 *   6. the child runs the steps (mounts, pivot_root, hostname, rlimits, ids, caps, ...), reports
 *      each, sends READY and waits for the start byte; then startContainer hooks and execve
 *   7. the monitor serves ctl.sock until pid 1 exits, then writes exit.json and exits with its status
 */
#define _GNU_SOURCE
#include "monitor.h"
#include "steps.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int listening; /* ctl.sock exists in our cwd (the state directory) */

/* the monitor's own failures are not a step's: they carry index MONITOR_STEP */
static int fail(const char *sys, const char *path) {
  int err = errno;
  send_error(SYNC_FD, MONITOR_STEP, err, sys, path);
  if (listening) unlink("ctl.sock");
  return 1;
}

static int monitor_main(void) {
  signal(SIGPIPE, SIG_IGN);
  /* fds 0-2 must be taken, or the pipes below would land there and be lost to the dup2s after clone */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) return 1;
  /* nothing the caller left open beyond stdio and the sync socket reaches the container */
  syscall(SYS_close_range, SYNC_FD + 1, ~0U, 0);
  uint16_t type;
  uint8_t *payload;
  uint32_t len;
  if (sync_read(SYNC_FD, &type, &payload, &len) < 0) return fail("read", "sync PLAN");
  struct plan plan;
  if (type != SYNC_PLAN || plan_decode(payload, len, &plan) < 0) { errno = EPROTO; return fail("decode", "sync PLAN"); }
  if (chdir(plan.state_dir) < 0) return fail("chdir", plan.state_dir);
  struct monitor m = { .listen_fd = -1, .start_fd = -1, .status_fd = -1, .pidfd = -1 };
  if ((m.listen_fd = monitor_listen()) < 0) return fail("bind", "ctl.sock");
  listening = 1;
  if (*plan.pidns_path) {
    int fd = open(plan.pidns_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("open", plan.pidns_path);
    if (setns(fd, CLONE_NEWPID) < 0) return fail("setns", plan.pidns_path);
    close(fd);
  }
  /* start: the monitor releases pid 1 to execve; status: pid 1's errors after start and EXEC;
   * pid_sent: pid 1 writes nothing on the sync socket before the monitor's PID is on it */
  int start[2], status[2], pid_sent[2];
  if (pipe2(start, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0 || pipe2(pid_sent, O_CLOEXEC) < 0) return fail("pipe2", NULL);
  const uint64_t namespaces = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;
  if (plan.clone_flags & ~namespaces) { errno = EINVAL; return fail("decode", "sync PLAN clone flags"); }
  struct clone_args args = {
    .flags = plan.clone_flags | CLONE_PIDFD,
    .pidfd = (uint64_t)(uintptr_t)&m.pidfd,
    .exit_signal = SIGCHLD,
  };
  uint64_t t0 = now_ns();
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return fail("clone3", NULL);
  if (pid == 0) {
    close(start[1]);
    close(status[0]);
    close(pid_sent[1]);
    close(m.listen_fd);
    char x;
    if (read(pid_sent[0], &x, 1) != 1) _exit(1);
    close(pid_sent[0]);
    child_main(&plan, start[0], status[1], t0);
  }
  m.pid = (pid_t)pid;
  close(pid_sent[0]);
  uint8_t b[4] = { pid & 0xff, pid >> 8 & 0xff, pid >> 16 & 0xff, pid >> 24 & 0xff };
  if (sync_write(SYNC_FD, SYNC_PID, b, 4) < 0 || write(pid_sent[1], "p", 1) != 1) { kill(m.pid, SIGKILL); unlink("ctl.sock"); return 1; }
  close(pid_sent[1]);
  /* back to the runtime's cgroups: the monitor is not part of the container */
  char self[16];
  int n = snprintf(self, sizeof self, "%d", getpid());
  for (uint32_t i = 0; i < plan.nhome; i++) {
    int fd = open(plan.home[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, self, (size_t)n) != n) {
      /* pid 1 may already be talking on the sync socket: stop it, then say why */
      int err = errno;
      kill(m.pid, SIGKILL);
      errno = err;
      return fail("write", plan.home[i]);
    }
    close(fd);
  }
  close(start[0]);
  close(status[1]);
  m.start_fd = start[1];
  m.status_fd = status[0];
  close(SYNC_FD);
  /* The container owns the stdio it inherited; the monitor keeps none of it open, so a reader
   * of the container's output sees EOF when the container, not the monitor, is done. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); close(null); }
  return monitor_loop(&m);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--version")) { puts("minicon-init 0.1.0"); return 0; }
  if (fcntl(SYNC_FD, F_GETFD) < 0) {
    fprintf(stderr, "minicon-init: run by minicon with the sync socket on fd 3; not meant to be run by hand\n");
    return 2;
  }
  return monitor_main();
}
