/* The monitor: parent of the container's pid 1 for its whole life. It answers `start` on
 * ctl.sock in the state directory, and when pid 1 exits it records exit.json and exits with the
 * container's status (128+N when killed by signal N), so the status survives the CLI. */
#define _GNU_SOURCE
#include "monitor.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int monitor_listen(void) {
  /* cwd is the state directory: a relative name keeps us under sun_path's 108 bytes */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strcpy(a.sun_path, "ctl.sock");
  unlink(a.sun_path);
  mode_t old = umask(077); /* only root may ask the monitor to start the container */
  int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
  umask(old);
  if (rc < 0 || listen(fd, 8) < 0) { close(fd); return -1; }
  return fd;
}

static void iso_now(char *buf, size_t n) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + k, n - k, ".%09ldZ", ts.tv_nsec);
}

/* write + rename: a reader sees the old file or the whole new one (no fsync: /run is tmpfs) */
static void write_atomic(const char *name, const char *text) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, ".%s.tmp", name);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t w = write(fd, text, strlen(text));
  (void)w;
  close(fd);
  rename(tmp, name);
}

static void reply(int fd, const char *text) {
  ssize_t w = write(fd, text, strlen(text));
  (void)w;
}

/* Releases the container to execve and answers whether the exec went through. */
static void handle_start(struct monitor *m, int client) {
  if (m->start_fd < 0) { reply(client, "error 114 EALREADY 0 start already-started\n"); return; }
  if (write(m->start_fd, "s", 1) != 1) { reply(client, "error 32 EPIPE 0 start container-gone\n"); return; }
  close(m->start_fd);
  m->start_fd = -1;
  /* The status pipe is close-on-exec in the child: EXEC then EOF means execve succeeded; an ERROR
   * frame means a step after start failed; EOF alone means the child died before it got there. */
  uint16_t type = 0;
  uint8_t *payload = NULL;
  uint32_t len;
  int reached_exec = 0;
  uint64_t exec_ns = 0;
  while (sync_read(m->status_fd, &type, &payload, &len) == 0) {
    if (type == SYNC_EXEC) {
      struct reader r = { payload, len, 0 };
      exec_ns = rd_u64(&r);
      reached_exec = 1;
      free(payload);
      continue;
    }
    if (type != SYNC_ERROR) { free(payload); break; }
    struct reader r = { payload, len, 0 };
    uint32_t index = rd_u32(&r);
    int32_t err = (int32_t)rd_u32(&r);
    char *sys = rd_str(&r), *path = rd_str(&r);
    char line[4400];
    const char *name = strerrorname_np(err);
    snprintf(line, sizeof line, "error %d %s %u %s %s\n", err, name ? name : "?", index, sys ? sys : "?", path && *path ? path : "-");
    reply(client, line);
    return;
  }
  if (!reached_exec) { reply(client, "error 3 ESRCH 0 start exited-before-start\n"); return; }
  char when[64], text[96];
  iso_now(when, sizeof when);
  snprintf(text, sizeof text, "%s\n", when);
  write_atomic("started", text);
  char ok[48];
  snprintf(ok, sizeof ok, "ok %llu\n", (unsigned long long)exec_ns);
  reply(client, ok);
}

static void handle_client(struct monitor *m, int client) {
  struct timeval tv = { 2, 0 };
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[64];
  ssize_t n = read(client, buf, sizeof buf - 1);
  if (n <= 0) return;
  buf[n] = 0;
  if (!strncmp(buf, "start", 5)) handle_start(m, client);
  else if (!strncmp(buf, "pid", 3)) { char t[32]; snprintf(t, sizeof t, "%d\n", m->pid); reply(client, t); }
  else reply(client, "error 22 EINVAL 0 request unknown\n");
}

int monitor_loop(struct monitor *m) {
  for (;;) {
    struct pollfd fds[2] = { { m->pidfd, POLLIN, 0 }, { m->listen_fd, POLLIN, 0 } };
    int r = poll(fds, m->listen_fd >= 0 ? 2 : 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return 1;
    if (fds[0].revents) break;
    if (m->listen_fd >= 0 && fds[1].revents) {
      int client = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
      if (client >= 0) { handle_client(m, client); close(client); }
    }
  }
  siginfo_t info = { 0 };
  while (waitid((idtype_t)P_PIDFD, (id_t)m->pidfd, &info, WEXITED) < 0 && errno == EINTR) {}
  int code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
  char when[64], text[256];
  iso_now(when, sizeof when);
  if (info.si_code == CLD_EXITED)
    snprintf(text, sizeof text, "{\"exitCode\":%d,\"signal\":null,\"finishedAt\":\"%s\"}\n", code, when);
  else
    snprintf(text, sizeof text, "{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\"}\n", code, info.si_status, when);
  write_atomic("exit.json", text);
  unlink("ctl.sock");
  return code;
}
