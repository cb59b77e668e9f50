// `create`: bundle -> a container waiting for `start`. The runtime's side of the sync protocol.
//
//   1. validate the ID and the spec; build the plan (pure, nothing changed yet)
//   2. state directory (its mkdir is the "ID in use" check) and state.json, phase "creating"
//   3. cgroups: create and apply limits (before any process exists)
//   4. spawn minicon-init in its own session, put it in the container's cgroups, send PLAN: it
//      clones the container's pid 1 there and returns to our cgroups
//   5. on PID: record it; if the plan waits for GO: uid/gid maps, prestart/createRuntime hooks, GO
//   6. STEP/PAUSED records until READY (or ERROR: everything is undone)
//   7. state.json phase "created"; --pid-file
// A kill -9 of the CLI at any point leaves a state directory that `state` reports truthfully
// (the child exits when it finds the sync socket closed before READY) and `delete --force` removes.
import { readFileSync, readSync, writeFileSync, writeSync } from 'fs';
import { MiniconError, errnoName, fromNodeError, kernelError } from '../errors';
import { homeProcsFiles, openCgroups } from '../cgroups';
import type { CgroupManager } from '../cgroups/manager';
import { loadSpec } from '../spec/validate';
import type { Spec } from '../spec/types';
import { buildPlan, CgroupHierarchy } from '../plan/build';
import { deviceRules } from '../plan/devices';
import { encodeGo, encodePlan, frame, FrameReader, Message, MONITOR_STEP, Plan, PLAN_WAIT_GO, Step, SyncType } from '../sync/protocol';
import { readMountInfo } from '../../kernel/mountinfo';
import { startTime } from '../../kernel/proc';
import { writeIdMaps } from '../namespaces/idmap';
import { Monitor, spawnMonitor, waitForExit } from './monitor';
import { runHooks } from './hooks';
import { hintFor } from './hints';
import { validateId } from './id';
import { ContainerRecord, lockContainer, makeStateDir, ociState, removeStateDir, stateDir, writeRecord } from './store';
import { Status } from './status';

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  /** receives one line per executed step (--trace) */
  trace?: (line: string) => void;
  /** step mode: called before each step; the step runs when it returns */
  beforeStep?: (index: number, step: Step, pid: number) => void;
  /** called once pid 1 exists (run uses it to ask for start without waiting for READY) */
  onPid?: (pid: number, spec: Spec) => void;
  /** the container's stdin, stdout, stderr (default: the CLI's own) */
  stdio?: [number, number, number];
}

export interface Created { record: ContainerRecord; monitor: Monitor; plan: Plan; spec: Spec }

export function create(opts: CreateOptions): Created {
  validateId(opts.id);
  const spec = loadSpec(opts.bundle);
  const capLastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  const cgroups = openCgroups({ cgroupsPath: spec.linux?.cgroupsPath, id: opts.id });
  const plan = buildPlan(spec, {
    bundle: opts.bundle, stateDir: stateDir(opts.root, opts.id), cgroupHierarchies: hierarchiesFor(spec, cgroups), capLastCap,
    stepMode: !!opts.beforeStep, home: homeProcsFiles(cgroups),
  });

  makeStateDir(opts.root, opts.id);
  const unlock = lockContainer(opts.root, opts.id);
  let monitor: Monitor | undefined;
  const record: ContainerRecord = {
    id: opts.id, bundle: opts.bundle, rootfs: spec.root!.path, created: new Date().toISOString(),
    owner: ownerName(), phase: 'creating', cgroup: { layout: cgroups.layout, paths: cgroups.paths },
    annotations: spec.annotations, hooks: spec.hooks,
  };
  try {
    writeRecord(opts.root, record);
    cgroups.create();
    const resources = spec.linux?.resources ?? {};
    cgroups.apply({ ...resources, devices: deviceRules(resources.devices, spec.linux?.devices) });
    monitor = spawnMonitor(opts.stdio);
    // pid 1 is born in the container's cgroups: the monitor clones it from there, then leaves
    cgroups.addProcess(monitor.pid);
    handshake(monitor, plan, spec, record, opts);
    record.phase = 'created';
    writeRecord(opts.root, record);
    if (opts.pidFile) {
      try { writeFileSync(opts.pidFile, String(record.pid)); } catch (e) { throw fromNodeError('write the --pid-file', e); }
    }
    return { record, monitor, plan, spec };
  } catch (e) {
    undo(opts.root, opts.id, record, monitor, cgroups);
    throw e;
  } finally {
    unlock();
  }
}

/**
 * The cgroup hierarchies a `cgroup` mount shows: the host's, read from our mount table. With a
 * cgroup namespace a fresh mount of each is rooted at the container's cgroup; without one only the
 * container's own directories are bound (runc does the same), in the hierarchies MiniCon manages.
 */
function hierarchiesFor(spec: Spec, cgroups: CgroupManager): CgroupHierarchy[] {
  if (!(spec.mounts ?? []).some((m) => m.type === 'cgroup')) return [];
  const cgroupns = (spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup');
  const out: CgroupHierarchy[] = [];
  for (const m of readMountInfo()) {
    if (!m.mountPoint.startsWith('/sys/fs/cgroup')) continue;
    const name = m.mountPoint === '/sys/fs/cgroup' ? '' : m.mountPoint.slice('/sys/fs/cgroup/'.length);
    if (name.includes('/')) continue;
    const options = m.fstype === 'cgroup2' ? '' : m.superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro').join(',');
    if (m.fstype !== 'cgroup2' && m.fstype !== 'cgroup') continue;
    const h: CgroupHierarchy = { name, fstype: m.fstype, options };
    if (!cgroupns) {
      const own = m.fstype === 'cgroup2' ? (cgroups.layout === 'unified' ? cgroups.paths[''] : undefined) : options.split(',').map((c) => cgroups.paths[c]).find(Boolean);
      if (!own) continue;
      h.bindFrom = own;
    }
    out.push(h);
  }
  return out;
}

function handshake(monitor: Monitor, plan: Plan, spec: Spec, record: ContainerRecord, opts: CreateOptions): void {
  const fd = monitor.syncFd;
  const root = opts.root;
  const reader = new FrameReader();
  const buf = Buffer.alloc(65536);
  writeSync(fd, encodePlan(plan));
  for (;;) {
    let n: number;
    try { n = readSync(fd, buf); } catch (e) { throw fromNodeError('create: read the sync socket', e); }
    if (n === 0) throw new MiniconError('minicon-init closed the sync socket before the container was ready', { step: 'create' });
    let msgs: Message[];
    try { msgs = reader.feed(buf.subarray(0, n)); } catch (e) { throw new MiniconError(`minicon-init: ${(e as Error).message}`); }
    for (const m of msgs) {
      switch (m.type) {
        case SyncType.PID: {
          record.pid = m.pid;
          record.pidStartTime = startTime(m.pid);
          record.monitorPid = monitor.pid;
          record.monitorStartTime = startTime(monitor.pid);
          writeRecord(root, record);
          opts.onPid?.(m.pid, spec);
          if (plan.flags & PLAN_WAIT_GO) {
            const linux = spec.linux ?? {};
            if ((linux.namespaces ?? []).some((ns) => ns.type === 'user' && !ns.path)) {
              writeIdMaps(m.pid, linux.uidMappings ?? [], linux.gidMappings ?? []);
              // from here: pid 1 cannot lower it itself once in its own user namespace
              const adj = spec.process?.oomScoreAdj;
              if (adj !== undefined) { try { writeFileSync(`/proc/${m.pid}/oom_score_adj`, String(adj)); } catch (e) { throw fromNodeError('write oom_score_adj', e); } }
            }
            const stateJson = JSON.stringify(ociState(record, Status.Creating));
            runHooks('prestart', spec.hooks?.prestart, stateJson);
            runHooks('createRuntime', spec.hooks?.createRuntime, stateJson);
            writeSync(fd, encodeGo(stateJson));
          }
          break;
        }
        case SyncType.STEP:
          opts.trace?.(`step ${String(m.index + 1).padStart(2)} ${(Number(m.ns) / 1e6).toFixed(3).padStart(7)} ms  ${plan.steps[m.index]?.describe ?? '?'}`);
          break;
        case SyncType.PAUSED:
          opts.beforeStep?.(m.index, plan.steps[m.index], record.pid!);
          writeSync(fd, frame(SyncType.CONTINUE));
          break;
        case SyncType.READY:
          opts.trace?.(`ready ${(Number(m.ns) / 1e6).toFixed(3)} ms after clone; waiting for start`);
          return;
        case SyncType.ERROR: {
          const st = plan.steps[m.index];
          const errno = errnoName(m.errno);
          const where = m.index === MONITOR_STEP || !st ? 'minicon-init' : `step ${m.index + 1} (${st.describe})`;
          throw kernelError(where, m.syscall, m.path || undefined, errno, hintFor(m.syscall, errno));
        }
      }
    }
  }
}

/** Takes back everything create did: the container's processes, its cgroups, its state directory. */
function undo(root: string, id: string, record: ContainerRecord, monitor: Monitor | undefined, cgroups: CgroupManager): void {
  if (record.pid) { try { process.kill(record.pid, 'SIGKILL'); } catch { /* gone already */ } }
  if (monitor) {
    monitor.closeSync(); // minicon-init, if still waiting for PLAN or GO, gives up on EOF
    waitForExit(monitor.pid, 5000);
  }
  try { cgroups.destroy(); } catch { /* reported by delete --force if it persists */ }
  removeStateDir(root, id);
}

/** The user that created the container, as runc records it (no NSS lookup: that costs a connect to nscd). */
function ownerName(): string {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return 'root';
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    if (line) return line.split(':')[0];
  } catch { /* fall back to the number */ }
  return String(uid);
}
