// The sync protocol between the runtime and minicon-init: the same table as native/init/sync.h.
//
//  #  request (sender)            payload                          acknowledged by
//  1  PLAN      runtime->monitor  u64 clone flags, u32 flags,       PID (or ERROR)
//                                 str state dir, str pid-ns path,
//                                 u32 h, h x str cgroup.procs files
//                                 to return to after the clone,
//                                 u32 n, n steps
//  2  PID       monitor->runtime  u32 container pid (host view)     with PLAN_WAIT_GO: GO, once the
//                                                                   runtime has written uid/gid maps
//                                                                   and run prestart/createRuntime hooks
//  3  GO        runtime->child    str OCI state JSON (for hooks)    STEP.../PAUSED, then READY or ERROR
//  4  STEP      child->runtime    u32 index, i32 errno, u64 ns      (none: a trace record)
//  5  PAUSED    child->runtime    u32 index (step mode)             CONTINUE
//  6  CONTINUE  runtime->child    (empty)                           the paused step runs
//  7  READY     child->runtime    u64 ns since clone                (none) waits for `start`
//  8  ERROR     child|monitor->   u32 index (MONITOR_STEP: the      (none) the sender exits
//                                 monitor's own), i32 errno,
//               runtime           str syscall, str path
//  9  EXEC      child->monitor    u64 ns since clone, on the status EOF (execve succeeded) or ERROR
//                                 pipe: about to execve
//
// The runtime puts the monitor into the container's cgroups before PLAN, so pid 1 is born there (no
// cgroup attach between clone and execve); the monitor then returns to the files listed in PLAN.
//
// Frame: u32 length (LE, of what follows) | u16 type | payload. Strings: u32 length + bytes.
// A step: u16 op, u16 nints, u16 nstrs, nints x i64, nstrs x str.

export enum SyncType { PLAN = 1, PID = 2, GO = 3, STEP = 4, PAUSED = 5, CONTINUE = 6, READY = 7, ERROR = 8, EXEC = 9 }

export const MAX_FRAME = 1 << 20;
export const PLAN_STEP_MODE = 1;
export const PLAN_WAIT_GO = 2;
/** ERROR index of minicon-init's own failures (not a step's) */
export const MONITOR_STEP = 0xffffffff;

/** Step ops, in the order of enum step_op in native/init/sync.h. */
export enum StepOp {
  SETNS = 1, UNSHARE, MOUNT, BIND_ROOTFS, MKNOD, SYMLINK, PIVOT_ROOT, MASK, READONLY,
  WRITE_FILE, SETHOSTNAME, SETDOMAINNAME, SETRLIMIT, CHDIR, UMASK, CAPS_BOUNDING, KEEPCAPS,
  SETGROUPS, SETRESGID, SETRESUID, CAPS, NO_NEW_PRIVS, HOOK, WAIT_START, EXEC,
}

export interface Step {
  op: StepOp;
  ints: (number | bigint)[];
  strs: string[];
  /** for people: "mount proc on /proc", shown by --trace, --step and in errors */
  describe: string;
}

export interface Plan {
  cloneFlags: bigint;
  flags: number;
  stateDir: string;
  pidnsPath: string;
  /** cgroup.procs files the monitor writes itself back to after the clone */
  home: string[];
  steps: Step[];
}

class Writer {
  private chunks: Buffer[] = [];
  u16(v: number) { const b = Buffer.alloc(2); b.writeUInt16LE(v); this.chunks.push(b); return this; }
  u32(v: number) { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); this.chunks.push(b); return this; }
  i64(v: number | bigint) { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt.asIntN(64, BigInt(v))); this.chunks.push(b); return this; }
  u64(v: bigint) { const b = Buffer.alloc(8); b.writeBigUInt64LE(v); this.chunks.push(b); return this; }
  str(s: string) {
    if (s.includes('\0')) throw new Error(`a string sent to minicon-init contains a NUL byte: ${JSON.stringify(s)}`);
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length); this.chunks.push(b); return this;
  }
  done() { return Buffer.concat(this.chunks); }
}

export function frame(type: SyncType, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length + 2 > MAX_FRAME) throw new Error(`sync frame too large: ${payload.length} bytes`);
  const h = Buffer.alloc(6);
  h.writeUInt32LE(payload.length + 2, 0);
  h.writeUInt16LE(type, 4);
  return Buffer.concat([h, payload]);
}

export function encodePlan(plan: Plan): Buffer {
  const w = new Writer().u64(plan.cloneFlags).u32(plan.flags).str(plan.stateDir).str(plan.pidnsPath).u32(plan.home.length);
  for (const h of plan.home) w.str(h);
  w.u32(plan.steps.length);
  for (const s of plan.steps) {
    w.u16(s.op).u16(s.ints.length).u16(s.strs.length);
    for (const i of s.ints) w.i64(i);
    for (const t of s.strs) w.str(t);
  }
  return frame(SyncType.PLAN, w.done());
}

export function encodeGo(stateJson: string): Buffer { return frame(SyncType.GO, new Writer().str(stateJson).done()); }

export type Message =
  | { type: SyncType.PID; pid: number }
  | { type: SyncType.STEP; index: number; errno: number; ns: bigint }
  | { type: SyncType.PAUSED; index: number }
  | { type: SyncType.READY; ns: bigint }
  | { type: SyncType.ERROR; index: number; errno: number; syscall: string; path: string };

/** Decodes one frame's payload; throws on malformed input (wrong length, unknown type). */
export function decodeMessage(type: number, p: Buffer): Message {
  let off = 0;
  const need = (n: number) => { if (off + n > p.length) throw new Error(`sync: truncated ${SyncType[type] ?? type} message`); };
  const u32 = () => { need(4); const v = p.readUInt32LE(off); off += 4; return v; };
  const i32 = () => { need(4); const v = p.readInt32LE(off); off += 4; return v; };
  const u64 = () => { need(8); const v = p.readBigUInt64LE(off); off += 8; return v; };
  const str = () => { const n = u32(); need(n); const s = p.toString('utf8', off, off + n); off += n; return s; };
  let m: Message;
  switch (type) {
    case SyncType.PID: m = { type, pid: u32() }; break;
    case SyncType.STEP: m = { type, index: u32(), errno: i32(), ns: u64() }; break;
    case SyncType.PAUSED: m = { type, index: u32() }; break;
    case SyncType.READY: m = { type, ns: u64() }; break;
    case SyncType.ERROR: m = { type, index: u32(), errno: i32(), syscall: str(), path: str() }; break;
    default: throw new Error(`sync: unexpected message type ${type}`);
  }
  if (off !== p.length) throw new Error(`sync: ${p.length - off} stray bytes after ${SyncType[type]}`);
  return m;
}

/** Splits a byte stream into frames; feed() returns the complete ones. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  feed(chunk: Buffer): Message[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Message[] = [];
    while (this.buf.length >= 6) {
      const len = this.buf.readUInt32LE(0);
      if (len < 2 || len > MAX_FRAME) throw new Error(`sync: bad frame length ${len}`);
      if (this.buf.length < 4 + len) break;
      const type = this.buf.readUInt16LE(4);
      out.push(decodeMessage(type, this.buf.subarray(6, 4 + len)));
      this.buf = this.buf.subarray(4 + len);
    }
    return out;
  }
}
