/* Frame codec of the sync protocol (see sync.h for the table). Rejects malformed input. */
#include "sync.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_full(int fd, void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) { errno = ECONNRESET; return -1; }
    p += r; n -= (size_t)r;
  }
  return 0;
}

static int write_full(int fd, const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    p += w; n -= (size_t)w;
  }
  return 0;
}

static uint32_t le32(const uint8_t *b) { return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24; }

int sync_read(int fd, uint16_t *type, uint8_t **payload, uint32_t *len) {
  uint8_t hdr[6];
  if (read_full(fd, hdr, 4) < 0) return -1;
  uint32_t n = le32(hdr);
  if (n < 2 || n > SYNC_MAX_FRAME) { errno = EPROTO; return -1; }
  if (read_full(fd, hdr + 4, 2) < 0) return -1;
  *type = (uint16_t)(hdr[4] | hdr[5] << 8);
  *len = n - 2;
  *payload = malloc(*len + 1);
  if (!*payload) return -1;
  if (read_full(fd, *payload, *len) < 0) { free(*payload); *payload = NULL; return -1; }
  return 0;
}

int sync_write(int fd, uint16_t type, const void *payload, uint32_t len) {
  uint8_t hdr[6];
  uint32_t n = len + 2;
  hdr[0] = n & 0xff; hdr[1] = n >> 8 & 0xff; hdr[2] = n >> 16 & 0xff; hdr[3] = n >> 24 & 0xff;
  hdr[4] = type & 0xff; hdr[5] = type >> 8;
  /* one write when small, so a frame is never interleaved with another writer's */
  uint8_t buf[512];
  if (len + 6 <= sizeof buf) {
    memcpy(buf, hdr, 6);
    if (len) memcpy(buf + 6, payload, len);
    return write_full(fd, buf, len + 6);
  }
  if (write_full(fd, hdr, 6) < 0) return -1;
  return write_full(fd, payload, len);
}

static int take(struct reader *r, uint32_t n) {
  if (r->bad || r->left < n) { r->bad = 1; return 0; }
  return 1;
}
uint64_t rd_u64(struct reader *r) {
  if (!take(r, 8)) return 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | r->p[i];
  r->p += 8; r->left -= 8;
  return v;
}
uint32_t rd_u32(struct reader *r) {
  if (!take(r, 4)) return 0;
  uint32_t v = le32(r->p);
  r->p += 4; r->left -= 4;
  return v;
}
uint16_t rd_u16(struct reader *r) {
  if (!take(r, 2)) return 0;
  uint16_t v = (uint16_t)(r->p[0] | r->p[1] << 8);
  r->p += 2; r->left -= 2;
  return v;
}
char *rd_str(struct reader *r) {
  uint32_t n = rd_u32(r);
  if (!take(r, n)) return NULL;
  if (memchr(r->p, 0, n)) { r->bad = 1; return NULL; }
  char *s = malloc(n + 1);
  if (!s) { r->bad = 1; return NULL; }
  memcpy(s, r->p, n);
  s[n] = 0;
  r->p += n; r->left -= n;
  return s;
}

/* The fewest ints and strings each op reads (see enum step_op); EXEC and HOOK are checked below. */
static const struct { uint8_t ints, strs; } operands[OP_MAX] = {
  [OP_SETNS] = { 1, 1 }, [OP_UNSHARE] = { 1, 0 }, [OP_MOUNT] = { 3, 4 }, [OP_BIND_ROOTFS] = { 0, 1 },
  [OP_MKNOD] = { 5, 1 }, [OP_SYMLINK] = { 0, 2 }, [OP_PIVOT_ROOT] = { 0, 0 },
  [OP_MASK] = { 0, 1 }, [OP_READONLY] = { 0, 1 }, [OP_WRITE_FILE] = { 1, 2 }, [OP_SETHOSTNAME] = { 0, 1 },
  [OP_SETDOMAINNAME] = { 0, 1 }, [OP_SETRLIMIT] = { 3, 0 }, [OP_CHDIR] = { 0, 1 }, [OP_UMASK] = { 1, 0 },
  [OP_CAPS_BOUNDING] = { 2, 0 }, [OP_KEEPCAPS] = { 1, 0 }, [OP_SETGROUPS] = { 0, 0 }, [OP_SETRESGID] = { 1, 0 },
  [OP_SETRESUID] = { 1, 0 }, [OP_CAPS] = { 5, 0 }, [OP_NO_NEW_PRIVS] = { 0, 0 }, [OP_HOOK] = { 2, 1 },
  [OP_WAIT_START] = { 0, 0 }, [OP_EXEC] = { 1, 1 },
};

static int operands_ok(const struct step *s) {
  if (s->nints < operands[s->op].ints || s->nstrs < operands[s->op].strs) return 0;
  if (s->op == OP_EXEC) return s->ints[0] >= 1 && s->ints[0] <= s->nstrs;          /* args, then env */
  if (s->op == OP_HOOK) return s->ints[1] >= 0 && s->ints[1] <= s->nstrs - 1;      /* path, args, env */
  return 1;
}

int plan_decode(const uint8_t *payload, uint32_t len, struct plan *out) {
  struct reader r = { payload, len, 0 };
  memset(out, 0, sizeof *out);
  out->clone_flags = rd_u64(&r);
  out->flags = rd_u32(&r);
  out->state_dir = rd_str(&r);
  out->pidns_path = rd_str(&r);
  out->nhome = rd_u32(&r);
  if (r.bad || out->nhome > r.left / 4) goto bad;
  out->home = calloc(out->nhome + 1, sizeof *out->home);
  if (!out->home) goto bad;
  for (uint32_t i = 0; i < out->nhome; i++) if (!(out->home[i] = rd_str(&r))) goto bad;
  out->nsteps = rd_u32(&r);
  /* each step is at least 6 bytes: bound the allocation by what was sent */
  if (r.bad || out->nsteps > r.left / 6) goto bad;
  out->steps = calloc(out->nsteps ? out->nsteps : 1, sizeof *out->steps);
  if (!out->steps) goto bad;
  for (uint32_t i = 0; i < out->nsteps; i++) {
    struct step *s = &out->steps[i];
    s->op = rd_u16(&r);
    s->nints = rd_u16(&r);
    s->nstrs = rd_u16(&r);
    if (r.bad || s->op == 0 || s->op >= OP_MAX) goto bad;
    if ((uint64_t)s->nints * 8 > r.left || (uint64_t)s->nstrs * 4 > r.left) goto bad;
    s->ints = calloc(s->nints + 1, sizeof *s->ints);
    s->strs = calloc(s->nstrs + 1, sizeof *s->strs);
    if (!s->ints || !s->strs) goto bad;
    for (uint16_t k = 0; k < s->nints; k++) s->ints[k] = (int64_t)rd_u64(&r);
    for (uint16_t k = 0; k < s->nstrs; k++) if (!(s->strs[k] = rd_str(&r))) goto bad;
    if (!operands_ok(s)) goto bad;
  }
  if (r.bad || r.left != 0) goto bad;
  return 0;
bad:
  errno = EPROTO;
  return -1;
}

static void put_u32(uint8_t *b, uint32_t v) { b[0] = v & 0xff; b[1] = v >> 8 & 0xff; b[2] = v >> 16 & 0xff; b[3] = v >> 24; }

int send_step(int fd, uint32_t index, int32_t err, uint64_t ns) {
  uint8_t b[16];
  put_u32(b, index);
  put_u32(b + 4, (uint32_t)err);
  put_u32(b + 8, (uint32_t)ns);
  put_u32(b + 12, (uint32_t)(ns >> 32));
  return sync_write(fd, SYNC_STEP, b, sizeof b);
}

int send_error(int fd, uint32_t index, int32_t err, const char *syscall, const char *path) {
  size_t ls = strlen(syscall), lp = path ? strlen(path) : 0;
  if (ls > 256) ls = 256;
  if (lp > 4096) lp = 4096;
  uint8_t b[8 + 4 + 256 + 4 + 4096];
  put_u32(b, index);
  put_u32(b + 4, (uint32_t)err);
  put_u32(b + 8, (uint32_t)ls);
  memcpy(b + 12, syscall, ls);
  put_u32(b + 12 + ls, (uint32_t)lp);
  if (lp) memcpy(b + 16 + ls, path, lp);
  return sync_write(fd, SYNC_ERROR, b, (uint32_t)(16 + ls + lp));
}
