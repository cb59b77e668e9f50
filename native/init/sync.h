/*
 * The sync protocol between `minicon` (Node, "the runtime") and `minicon-init` (C).
 * src/runtime/sync/protocol.ts holds the same table; change both together.
 *
 * Transport: fd 3 of minicon-init, a stream socket. Every message is a frame:
 *     u32 length (LE, of what follows) | u16 type (LE) | payload
 * Integers in payloads are little-endian; strings are u32 length + bytes (no NUL inside).
 * A frame longer than SYNC_MAX_FRAME, a short payload or a NUL inside a string is rejected.
 *
 *  #  request (sender)            payload                          acknowledged by
 *  1  PLAN      runtime->monitor  u64 clone flags, u32 flags,       PID (or ERROR)
 *                                 str state dir, str pid-ns path,
 *                                 u32 h, h x str cgroup.procs files
 *                                 to return to after the clone,
 *                                 u32 n, n steps
 *  2  PID       monitor->runtime  u32 container pid (host view)     with PLAN_WAIT_GO: GO, once the
 *                                                                   runtime has written uid/gid maps
 *                                                                   and run prestart/createRuntime hooks
 *  3  GO        runtime->child    str OCI state JSON (for hooks)    STEP/PAUSED... then READY or ERROR
 *  4  STEP      child->runtime    u32 index, i32 errno, u64 ns      (none: a trace record)
 *  5  PAUSED    child->runtime    u32 index (step mode: about to    CONTINUE
 *                                 run that step)
 *  6  CONTINUE  runtime->child    (empty)                           the paused step runs
 *  7  READY     child->runtime    u64 ns since clone                (none) the child now waits for
 *                                                                   `start` (monitor's ctl.sock)
 *  8  ERROR     child|monitor->   u32 index (MONITOR_STEP: the      (none) the sender exits
 *                                 monitor's own), i32 errno,
 *               runtime           str syscall, str path
 *  9  EXEC      child->monitor    u64 ns since clone, on the status EOF (execve succeeded) or ERROR
 *                                 pipe: about to execve
 *
 * The runtime puts the monitor into the container's cgroups before PLAN, so pid 1 is born there
 * (no cgroup attach between clone and execve); the monitor then writes itself back to the
 * cgroup.procs files listed in PLAN (the runtime's own cgroups).
 *
 * A step: u16 op, u16 nints, u16 nstrs, nints x i64, nstrs x str. Ops are the enum below.
 * After READY the runtime may close its end: the child then only waits for the start pipe
 * from the monitor, and the monitor speaks on `ctl.sock` in the state directory:
 *     "start\n"  -> "ok <ns from clone to execve>\n" once execve succeeded, or
 *                  "error <errno> <ERRNAME> <step> <syscall> <path>\n"
 *                  (syscall "start": already-started, container-gone, exited-before-start)
 *     "pid\n"    -> "<pid>\n"
 */
#ifndef MINICON_SYNC_H
#define MINICON_SYNC_H
#include <stdint.h>
#include <stddef.h>

#define SYNC_FD 3
#define MONITOR_STEP 0xffffffffu  /* ERROR index of the monitor's own failures (not a step's) */
#define SYNC_MAX_FRAME (1u << 20)

enum sync_type {
  SYNC_PLAN = 1, SYNC_PID = 2, SYNC_GO = 3, SYNC_STEP = 4, SYNC_PAUSED = 5,
  SYNC_CONTINUE = 6, SYNC_READY = 7, SYNC_ERROR = 8, SYNC_EXEC = 9,
};

/* PLAN flags */
#define PLAN_STEP_MODE 1u  /* pause before every step until CONTINUE */
#define PLAN_WAIT_GO 2u    /* wait for GO before the first step (user namespace maps, hooks) */

/* Step ops: keep in order with StepOp in src/runtime/sync/protocol.ts */
enum step_op {
  OP_SETNS = 1,        /* s: path; i: nstype */
  OP_UNSHARE,          /* i: flags */
  OP_MOUNT,            /* s: source, target, fstype, data; i: flags, in_rootfs, create(0 none,1 dir,2 file) */
  OP_BIND_ROOTFS,      /* s: rootfs; binds the rootfs onto itself and keeps it as the root for in_rootfs paths */
  OP_MKNOD,            /* s: path (in rootfs); i: mode, dev major, minor, uid, gid */
  OP_SYMLINK,          /* s: target, path (in rootfs) */
  OP_PIVOT_ROOT,       /* (uses the bound rootfs) */
  OP_MASK,             /* s: path (in container, after pivot) */
  OP_READONLY,         /* s: path (in container, after pivot) */
  OP_WRITE_FILE,       /* s: path, content; i: missing_ok */
  OP_SETHOSTNAME,      /* s: name */
  OP_SETDOMAINNAME,    /* s: name */
  OP_SETRLIMIT,        /* i: resource, soft, hard (-1 = infinity) */
  OP_CHDIR,            /* s: path */
  OP_UMASK,            /* i: mask */
  OP_CAPS_BOUNDING,    /* i: mask of capabilities to keep in the bounding set, last cap */
  OP_KEEPCAPS,         /* i: 0/1 */
  OP_SETGROUPS,        /* i: gids... */
  OP_SETRESGID,        /* i: gid */
  OP_SETRESUID,        /* i: uid */
  OP_CAPS,             /* i: effective, permitted, inheritable, ambient, last cap */
  OP_NO_NEW_PRIVS,     /* (none) */
  OP_HOOK,             /* i: timeout seconds, nargs; s: path, args..., env... ; state JSON on stdin */
  OP_WAIT_START,       /* sends READY, then waits for the monitor's start byte */
  OP_EXEC,             /* i: nargs; s: args..., env... (PATH from env) */
  OP_MAX
};

struct step {
  uint16_t op;
  uint16_t nints, nstrs;
  int64_t *ints;
  char **strs;
};

struct plan {
  uint64_t clone_flags;
  uint32_t flags;
  char *state_dir;
  char *pidns_path;
  uint32_t nhome;
  char **home;        /* cgroup.procs files the monitor returns to after the clone */
  uint32_t nsteps;
  struct step *steps;
};

/* Frames. Return 0 on success, -1 with errno set (EPROTO for malformed input, 0-length EOF -> ECONNRESET). */
int sync_read(int fd, uint16_t *type, uint8_t **payload, uint32_t *len);
int sync_write(int fd, uint16_t type, const void *payload, uint32_t len);

/* A bounds-checked reader over a payload. */
struct reader { const uint8_t *p; uint32_t left; int bad; };
uint64_t rd_u64(struct reader *r);
uint32_t rd_u32(struct reader *r);
uint16_t rd_u16(struct reader *r);
char *rd_str(struct reader *r); /* malloc'd, NUL-terminated */

/* Decodes a PLAN payload; returns 0 or -1 (EPROTO) on malformed input. */
int plan_decode(const uint8_t *payload, uint32_t len, struct plan *out);

/* Builders for the small child->runtime messages. */
int send_step(int fd, uint32_t index, int32_t err, uint64_t ns);
int send_error(int fd, uint32_t index, int32_t err, const char *syscall, const char *path);
#endif
