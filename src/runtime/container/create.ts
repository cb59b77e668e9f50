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
import { readFileSync, writeFileSync } from 'fs';
import { MiniconError, errnoName, fromNodeError, kernelError } from '../errors';
import { cgroupsFromPaths, homeProcsFiles, openCgroups } from '../cgroups';
import type { CgroupManager } from '../cgroups/manager';
import { loadSpec } from '../spec/validate';
import type { Spec } from '../spec/types';
import { buildPlan, CgroupHierarchy } from '../plan/build';
import { DEFAULT_DEVICE_RULES } from '../plan/devices';
import { encodeGo, encodePlan, frame, FrameReader, Message, Plan, PLAN_WAIT_GO, Step, SyncType } from '../sync/protocol';
import { readMountInfo } from '../../kernel/mountinfo';
import { startTime } from '../../kernel/proc';
import { writeIdMaps } from '../namespaces/idmap';
import { Monitor, spawnMonitor } from './monitor';
import { runHooks } from './hooks';
import { hintFor } from './hints';
import { validateId } from './id';
import { ContainerRecord, makeStateDir, ociState, removeStateDir, stateDir, writeRecord } from './store';
import { Status } from './status';

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  /** receives one line per executed step (--trace) */
  trace?: (line: string) => void;
  /** step mode: called before each step; the step runs when the promise resolves */
  beforeStep?: (index: number, step: Step, pid: number) => Promise<void>;
  /** called once pid 1 exists (run uses it to ask for start without waiting for READY) */
  onPid?: (pid: number) => void;
  /** the container's stdin, stdout, stderr (default: the CLI's own) */
  stdio?: [number, number, number];
}

export interface Created { record: ContainerRecord; monitor: Monitor; plan: Plan; spec: Spec }

export async function create(opts: CreateOptions): Promise<Created> {
  validateId(opts.id);
  const spec = loadSpec(opts.bundle);
  const capLastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  const cgroups = openCgroups({ cgroupsPath: spec.linux?.cgroupsPath, id: opts.id });
  const plan = buildPlan(spec, {
    bundle: opts.bundle, stateDir: stateDir(opts.root, opts.id), cgroupHierarchies: hierarchiesFor(spec), capLastCap,
    stepMode: !!opts.beforeStep, home: homeProcsFiles(cgroups),
  });

  makeStateDir(opts.root, opts.id);
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
    cgroups.apply({ ...resources, devices: [...(resources.devices ?? []), ...DEFAULT_DEVICE_RULES] });
    monitor = spawnMonitor(opts.stdio);
    // pid 1 is born in the container's cgroups: the monitor clones it from there, then leaves
    cgroups.addProcess(monitor.pid);
    await handshake(monitor, plan, spec, record, opts);
    record.phase = 'created';
    writeRecord(opts.root, record);
    if (opts.pidFile) {
      try { writeFileSync(opts.pidFile, String(record.pid)); } catch (e) { throw fromNodeError('write the --pid-file', e); }
    }
    return { record, monitor, plan, spec };
  } catch (e) {
    await undo(opts.root, opts.id, record, monitor, cgroups);
    throw e;
  }
}

/** The cgroup hierarchies a `cgroup` mount reproduces: the host's, read from our mount table. */
function hierarchiesFor(spec: Spec): CgroupHierarchy[] {
  if (!(spec.mounts ?? []).some((m) => m.type === 'cgroup')) return [];
  const out: CgroupHierarchy[] = [];
  for (const m of readMountInfo()) {
    if (!m.mountPoint.startsWith('/sys/fs/cgroup')) continue;
    const name = m.mountPoint === '/sys/fs/cgroup' ? '' : m.mountPoint.slice('/sys/fs/cgroup/'.length);
    if (name.includes('/')) continue;
    if (m.fstype === 'cgroup2') out.push({ name, fstype: 'cgroup2', options: '' });
    else if (m.fstype === 'cgroup') out.push({ name, fstype: 'cgroup', options: m.superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro').join(',') });
  }
  return out;
}

function handshake(monitor: Monitor, plan: Plan, spec: Spec, record: ContainerRecord, opts: CreateOptions): Promise<void> {
  const sock = monitor.sock;
  const reader = new FrameReader();
  const root = opts.root;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let queue = Promise.resolve();
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      sock.removeAllListeners('data');
      err ? reject(err) : resolve();
    };
    monitor.exited.then(({ code, signal }) =>
      finish(new MiniconError(`minicon-init ${signal ? `was killed by signal ${signal}` : `exited with status ${code}`} before the container was ready`, { step: 'create' })));
    sock.on('error', () => { /* the close or the monitor's exit tells what happened */ });
    // an ERROR frame may still be queued when the socket closes: let it be handled first
    sock.on('close', () => { if (!done) setTimeout(() => finish(new MiniconError('minicon-init closed the sync socket before the container was ready', { step: 'create' })), 50).unref(); });
    const handle = async (m: Message) => {
      switch (m.type) {
        case SyncType.PID: {
          record.pid = m.pid;
          record.pidStartTime = startTime(m.pid);
          record.monitorPid = monitor.pid;
          writeRecord(root, record);
          opts.onPid?.(m.pid);
          if (plan.flags & PLAN_WAIT_GO) {
            const linux = spec.linux ?? {};
            if ((linux.namespaces ?? []).some((n) => n.type === 'user' && !n.path)) writeIdMaps(m.pid, linux.uidMappings ?? [], linux.gidMappings ?? []);
            const stateJson = JSON.stringify(ociState(record, Status.Creating));
            runHooks('prestart', spec.hooks?.prestart, stateJson);
            runHooks('createRuntime', spec.hooks?.createRuntime, stateJson);
            sock.write(encodeGo(stateJson));
          }
          break;
        }
        case SyncType.STEP:
          opts.trace?.(`step ${String(m.index + 1).padStart(2)} ${(Number(m.ns) / 1e6).toFixed(3).padStart(7)} ms  ${plan.steps[m.index]?.describe ?? '?'}`);
          break;
        case SyncType.PAUSED:
          await opts.beforeStep?.(m.index, plan.steps[m.index], record.pid!);
          sock.write(frame(SyncType.CONTINUE));
          break;
        case SyncType.READY:
          opts.trace?.(`ready ${(Number(m.ns) / 1e6).toFixed(3)} ms after clone; waiting for start`);
          finish();
          break;
        case SyncType.ERROR: {
          const st = plan.steps[m.index];
          const errno = errnoName(m.errno);
          const where = m.syscall === 'read' || m.syscall === 'decode' || !st ? 'minicon-init' : `step ${m.index + 1} (${st.describe})`;
          finish(kernelError(where, m.syscall, m.path || undefined, errno, hintFor(m.syscall, errno)));
          break;
        }
      }
    };
    sock.on('data', (chunk: Buffer) => {
      let msgs: Message[];
      try { msgs = reader.feed(chunk); } catch (e) { finish(new MiniconError(`minicon-init: ${(e as Error).message}`)); return; }
      for (const m of msgs) queue = queue.then(() => (done ? undefined : handle(m))).catch((e) => finish(e as Error));
    });
    sock.write(encodePlan(plan));
  });
}

/** Takes back everything create did: the container's processes, its cgroups, its state directory. */
async function undo(root: string, id: string, record: ContainerRecord, monitor: Monitor | undefined, cgroups: CgroupManager | undefined) {
  if (record.pid) { try { process.kill(record.pid, 'SIGKILL'); } catch { /* gone already */ } }
  if (monitor) {
    monitor.sock.destroy();
    if (!record.pid && !monitor.hasExited()) { try { process.kill(monitor.pid, 'SIGKILL'); } catch { /* gone */ } }
    await monitor.exited;
  }
  try { (cgroups ?? cgroupsFromPaths(record.cgroup.layout, record.cgroup.paths)).destroy(); } catch { /* reported by delete --force if it persists */ }
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
