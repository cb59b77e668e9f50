// From a validated spec to the ordered steps minicon-init executes in the container. Every path,
// flag and value is decided here, so the C side stays a small executor and every step can be shown
// (--trace), paused on (--step), and named in an error. The order is runc's container init order.
import { isAbsolute, resolve as resolvePath } from 'path';
import { statSync } from 'fs';
import type { Hook, Mount, Spec } from '../spec/types';
import { Plan, PLAN_STEP_MODE, PLAN_WAIT_GO, Step, StepOp } from '../sync/protocol';
import { CLONE, MOUNT_OPTIONS, MS, NAMESPACES, PROPAGATION, RLIMITS, S_IFBLK, S_IFCHR, S_IFIFO } from './constants';
import { DEFAULT_DEVICES, DEFAULT_DEVICE_LINKS } from './devices';
import { capabilityMask } from '../spec/capabilities';

/** A host cgroup hierarchy that a `cgroup` mount reproduces inside the container (v1 and hybrid). */
export interface CgroupHierarchy {
  name: string;
  fstype: 'cgroup' | 'cgroup2';
  options: string;
  /** without a cgroup namespace: the container's own cgroup directory, bound instead of mounting
   *  the hierarchy (which would show, and let root write, the host's whole tree) */
  bindFrom?: string;
}

export interface PlanContext {
  bundle: string;
  stateDir: string;
  /** what `type: cgroup` mounts: the host's hierarchies (v1/hybrid) or one cgroup2 */
  cgroupHierarchies: CgroupHierarchy[];
  capLastCap: number;
  stepMode?: boolean;
  /** the runtime's own cgroup.procs files: the monitor returns there after the clone */
  home: string[];
}

interface ParsedOptions { flags: number; propagation: number[]; data: string[] }

export function parseMountOptions(options: string[] = []): ParsedOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  for (const o of options) {
    if (o in MOUNT_OPTIONS) { const [set, clear] = MOUNT_OPTIONS[o]; flags = (flags & ~clear) | set; }
    else if (o in PROPAGATION) propagation.push(PROPAGATION[o]);
    else data.push(o);
  }
  return { flags, propagation, data };
}

const step = (op: StepOp, describe: string, ints: (number | bigint)[] = [], strs: string[] = []): Step => ({ op, ints, strs, describe });
const inRootfs = 1;
const CREATE = { none: 0, dir: 1, file: 2 };

function mountSteps(m: Mount, ctx: PlanContext): Step[] {
  const dest = m.destination;
  const opts = parseMountOptions(m.options);
  const isBind = (opts.flags & MS.BIND) !== 0 || m.type === 'bind';
  const out: Step[] = [];
  if (m.type === 'cgroup') return cgroupMountSteps(m, opts, ctx);
  if (isBind) {
    const source = isAbsolute(m.source ?? '') ? m.source! : resolvePath(ctx.bundle, m.source ?? '');
    let isDir = true;
    try { isDir = statSync(source).isDirectory(); } catch { /* the mount step reports the missing source */ }
    const bindFlags = MS.BIND | (opts.flags & MS.REC);
    out.push(step(StepOp.MOUNT, `bind ${source} on ${dest}`, [bindFlags, inRootfs, isDir ? CREATE.dir : CREATE.file], [source, dest, '', '']));
    // flags other than bind/rec only take effect on a remount of the bind mount
    const rest = opts.flags & ~(MS.BIND | MS.REC);
    if (rest) out.push(step(StepOp.MOUNT, `remount ${dest} ${flagNames(rest)}`, [MS.REMOUNT | MS.BIND | rest, inRootfs, CREATE.none], ['', dest, '', '']));
  } else {
    out.push(step(StepOp.MOUNT, `mount ${m.type} on ${dest}${opts.data.length ? ` (${opts.data.join(',')})` : ''}`,
      [opts.flags, inRootfs, CREATE.dir], [m.source ?? m.type ?? '', dest, m.type ?? '', opts.data.join(',')]));
  }
  for (const p of opts.propagation) out.push(step(StepOp.MOUNT, `make ${dest} ${propagationName(p)}`, [p, inRootfs, CREATE.none], ['', dest, '', '']));
  return out;
}

/** A `cgroup` mount: cgroup2 where the host is unified; a tmpfs with one mount per hierarchy on v1. */
function cgroupMountSteps(m: Mount, opts: ParsedOptions, ctx: PlanContext): Step[] {
  const dest = m.destination;
  const one = (h: CgroupHierarchy, at: string): Step[] => h.bindFrom
    ? [step(StepOp.MOUNT, `bind the container's cgroup ${h.bindFrom} on ${at}`, [MS.BIND | MS.REC, inRootfs, CREATE.dir], [h.bindFrom, at, '', '']),
      step(StepOp.MOUNT, `remount ${at} ${flagNames(opts.flags)}`, [MS.REMOUNT | MS.BIND | opts.flags, inRootfs, CREATE.none], ['', at, '', ''])]
    : [step(StepOp.MOUNT, `mount ${h.fstype} ${h.options || h.name} on ${at}`, [opts.flags, inRootfs, CREATE.dir], [h.fstype, at, h.fstype, h.options])];
  const unified = ctx.cgroupHierarchies.length === 1 && ctx.cgroupHierarchies[0].name === '';
  if (unified) return one(ctx.cgroupHierarchies[0], dest);
  const base = opts.flags & ~MS.RDONLY;
  const out = [step(StepOp.MOUNT, `mount tmpfs on ${dest} (for the cgroup hierarchies)`, [base, inRootfs, CREATE.dir], ['tmpfs', dest, 'tmpfs', 'mode=755'])];
  for (const h of ctx.cgroupHierarchies) out.push(...one(h, `${dest}/${h.name}`));
  if (opts.flags & MS.RDONLY) out.push(step(StepOp.MOUNT, `remount ${dest} read-only`, [MS.REMOUNT | opts.flags, inRootfs, CREATE.none], ['', dest, '', '']));
  return out;
}

function flagNames(flags: number): string {
  return Object.entries(MS).filter(([, v]) => flags & v).map(([k]) => k.toLowerCase()).join(',');
}
function propagationName(p: number): string {
  return Object.entries(PROPAGATION).find(([, v]) => v === p)?.[0] ?? String(p);
}

function hookStep(h: Hook, kind: string): Step {
  const args = h.args && h.args.length ? h.args : [h.path];
  const env = h.env ?? [];
  return step(StepOp.HOOK, `${kind} hook ${h.path}`, [h.timeout ?? 0, args.length], [h.path, ...args, ...env]);
}

export function buildPlan(spec: Spec, ctx: PlanContext): Plan {
  const linux = spec.linux ?? {};
  const proc = spec.process!;
  const namespaces = linux.namespaces ?? [];
  const steps: Step[] = [];
  let cloneFlags = 0;
  let pidnsPath = '';
  const joins = namespaces.filter((n) => n.path);
  const created = namespaces.filter((n) => !n.path);
  const joinsUser = joins.some((n) => n.type === 'user');
  const userns = namespaces.some((n) => n.type === 'user');

  // 1. Namespaces. A new pid namespace is made by clone3 (pid 1 must be the cloned child); joining
  //    one happens in the monitor before the clone. The cgroup namespace is unshared only after the
  //    runtime has moved us into our cgroups (GO), so that its root is the container's cgroup.
  //    Joining a user namespace comes first; the namespaces it will own are unshared after it.
  for (const n of created) {
    if (n.type === 'cgroup') continue;
    if (n.type === 'pid' || !joinsUser) cloneFlags |= NAMESPACES[n.type].flag;
  }
  for (const n of joins.sort((a, b) => (a.type === 'user' ? -1 : b.type === 'user' ? 1 : 0))) {
    if (n.type === 'pid') { pidnsPath = n.path!; continue; }
    steps.push(step(StepOp.SETNS, `join ${n.type} namespace ${n.path}`, [NAMESPACES[n.type].flag], [n.path!]));
  }
  if (joinsUser) {
    const later = created.filter((n) => n.type !== 'pid' && n.type !== 'cgroup').reduce((f, n) => f | NAMESPACES[n.type].flag, 0);
    if (later) steps.push(step(StepOp.UNSHARE, `unshare ${created.filter((n) => n.type !== 'pid' && n.type !== 'cgroup').map((n) => n.type).join(', ')} namespaces`, [later]));
  }
  // In a new user namespace we start as the overflow ids until the maps exist (GO); become the
  // namespace's root, or files created on filesystems mounted inside it would have no owner.
  if (created.some((n) => n.type === 'user')) {
    steps.push(step(StepOp.SETRESGID, 'setresgid 0 (root of the new user namespace)', [0]));
    steps.push(step(StepOp.SETRESUID, 'setresuid 0 (root of the new user namespace)', [0]));
  }
  if (created.some((n) => n.type === 'cgroup')) steps.push(step(StepOp.UNSHARE, 'unshare the cgroup namespace (rooted at the container cgroup)', [CLONE.NEWCGROUP]));

  // in a new user namespace the runtime writes it when PID arrives: lowering it needs
  // CAP_SYS_RESOURCE in the host's user namespace, which pid 1 no longer has there
  const newUserns = created.some((n) => n.type === 'user');
  if (proc.oomScoreAdj !== undefined && !newUserns) steps.push(step(StepOp.WRITE_FILE, `oom_score_adj = ${proc.oomScoreAdj}`, [0], ['/proc/self/oom_score_adj', String(proc.oomScoreAdj)]));

  // 2. The root filesystem: stop mount events from reaching the host, bind the rootfs onto itself
  //    (pivot_root needs a mount point), mount what the spec asks in its order, make devices.
  const rootProp = linux.rootfsPropagation && PROPAGATION[linux.rootfsPropagation] & (MS.PRIVATE) ? MS.PRIVATE | MS.REC : MS.SLAVE | MS.REC;
  steps.push(step(StepOp.MOUNT, `make / ${rootProp & MS.PRIVATE ? 'rprivate' : 'rslave'} (no mount event reaches the host)`, [rootProp, 0, CREATE.none], ['', '/', '', '']));
  const rootfs = spec.root!.path;
  steps.push(step(StepOp.BIND_ROOTFS, `bind the rootfs ${rootfs} onto itself`, [], [rootfs]));
  for (const m of spec.mounts ?? []) steps.push(...mountSteps(m, ctx));

  // Devices are made in a /dev the container mounts itself (a tmpfs), or when linux.devices asks;
  // never in a /dev bound from elsewhere (the host's, perhaps). A rootfs without a /dev mount keeps
  // its own /dev as it is.
  const devBound = (spec.mounts ?? []).some((m) => m.destination === '/dev' && (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind')));
  const devMounted = !devBound && (spec.mounts ?? []).some((m) => m.destination === '/dev');
  const devices = [...DEFAULT_DEVICES.filter((d) => !(linux.devices ?? []).some((o) => o.path === d.path)), ...(linux.devices ?? [])];
  if (!devBound && (devMounted || (linux.devices ?? []).length)) {
    for (const d of devices) {
      if (userns) {
        // mknod is not allowed in a user namespace: bind the host's node instead, as runc does
        steps.push(step(StepOp.MOUNT, `bind the host's ${d.path}`, [MS.BIND, inRootfs, CREATE.file], [d.path, d.path, '', '']));
      } else {
        const kind = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : S_IFCHR;
        steps.push(step(StepOp.MKNOD, `mknod ${d.path} ${d.type} ${d.major ?? 0}:${d.minor ?? 0}`,
          [kind | (d.fileMode ?? 0o666), d.major ?? 0, d.minor ?? 0, d.uid ?? 0, d.gid ?? 0], [d.path]));
      }
    }
  }
  if (devMounted) {
    for (const [target, path] of DEFAULT_DEVICE_LINKS) steps.push(step(StepOp.SYMLINK, `link ${path} -> ${target}`, [], [target, path]));
    if ((spec.mounts ?? []).some((m) => m.destination === '/dev/pts')) steps.push(step(StepOp.SYMLINK, 'link /dev/ptmx -> pts/ptmx', [], ['pts/ptmx', '/dev/ptmx']));
  }

  // 3. createContainer hooks run in the container's namespaces, before pivot_root.
  for (const h of spec.hooks?.createContainer ?? []) steps.push(hookStep(h, 'createContainer'));

  // 4. pivot_root into the rootfs and detach the old root; then what needs the new /proc.
  steps.push(step(StepOp.PIVOT_ROOT, `pivot_root into ${rootfs} and detach the old root`));
  for (const [k, v] of Object.entries(linux.sysctl ?? {})) steps.push(step(StepOp.WRITE_FILE, `sysctl ${k} = ${v}`, [0], [`/proc/sys/${k.replace(/\./g, '/')}`, v]));
  for (const p of linux.maskedPaths ?? []) steps.push(step(StepOp.MASK, `mask ${p}`, [], [p]));
  for (const p of linux.readonlyPaths ?? []) steps.push(step(StepOp.READONLY, `make ${p} read-only`, [], [p]));
  if (spec.root!.readonly) steps.push(step(StepOp.MOUNT, 'remount / read-only', [MS.REMOUNT | MS.BIND | MS.RDONLY, 0, CREATE.none], ['', '/', '', '']));
  // the propagation asked for the container's / (the old root was only made private or slave)
  if (linux.rootfsPropagation && !(PROPAGATION[linux.rootfsPropagation] & MS.PRIVATE)) {
    steps.push(step(StepOp.MOUNT, `make / ${linux.rootfsPropagation}`, [PROPAGATION[linux.rootfsPropagation], 0, CREATE.none], ['', '/', '', '']));
  }

  // 5. Names, limits, then identity and privileges: bounding set while we still may, ids with
  //    capabilities kept, then the final capability sets, no_new_privs, umask and cwd.
  if (spec.hostname !== undefined) steps.push(step(StepOp.SETHOSTNAME, `sethostname ${spec.hostname}`, [], [spec.hostname]));
  if (spec.domainname !== undefined) steps.push(step(StepOp.SETDOMAINNAME, `setdomainname ${spec.domainname}`, [], [spec.domainname]));
  // RLIM_INFINITY is 2^64-1 in config.json (2^64 once parsed): -1 tells minicon-init "infinity"
  const rlim = (v: number) => (v >= 2 ** 63 ? -1 : v);
  for (const r of proc.rlimits ?? []) steps.push(step(StepOp.SETRLIMIT, `setrlimit ${r.type} ${r.soft}:${r.hard}`, [RLIMITS[r.type], rlim(r.soft), rlim(r.hard)]));
  const caps = proc.capabilities;
  if (caps) steps.push(step(StepOp.CAPS_BOUNDING, `keep ${(caps.bounding ?? []).length} capabilities in the bounding set`, [capabilityMask(caps.bounding ?? []), ctx.capLastCap]));
  steps.push(step(StepOp.KEEPCAPS, 'keep capabilities across the uid change', [1]));
  steps.push(step(StepOp.SETGROUPS, `setgroups [${(proc.user.additionalGids ?? []).join(', ')}]`, proc.user.additionalGids ?? []));
  steps.push(step(StepOp.SETRESGID, `setresgid ${proc.user.gid}`, [proc.user.gid]));
  steps.push(step(StepOp.SETRESUID, `setresuid ${proc.user.uid}`, [proc.user.uid]));
  steps.push(step(StepOp.KEEPCAPS, 'stop keeping capabilities', [0]));
  if (caps) {
    // The kernel raises an ambient capability only if it is permitted and inheritable; like runc,
    // raise those and let the others go (runc spec lists ambient caps with no inheritable set).
    const permitted = capabilityMask(caps.permitted ?? []);
    const inheritable = capabilityMask(caps.inheritable ?? []);
    const ambient = capabilityMask(caps.ambient ?? []) & permitted & inheritable;
    steps.push(step(StepOp.CAPS, `capabilities: ${(caps.effective ?? []).length} effective, ${(caps.permitted ?? []).length} permitted, ${(caps.inheritable ?? []).length} inheritable, ${ambient.toString(2).replace(/0/g, '').length} ambient`,
      [capabilityMask(caps.effective ?? []), permitted, inheritable, ambient, ctx.capLastCap]));
  }
  if (proc.noNewPrivileges) steps.push(step(StepOp.NO_NEW_PRIVS, 'no_new_privs'));
  if (proc.user.umask !== undefined) steps.push(step(StepOp.UMASK, `umask ${proc.user.umask.toString(8)}`, [proc.user.umask]));
  steps.push(step(StepOp.CHDIR, `chdir ${proc.cwd}`, [], [proc.cwd]));

  // 6. Wait for `start`, run startContainer hooks, execve.
  steps.push(step(StepOp.WAIT_START, 'wait for start'));
  for (const h of spec.hooks?.startContainer ?? []) steps.push(hookStep(h, 'startContainer'));
  steps.push(step(StepOp.EXEC, `execve ${proc.args.join(' ')}`, [proc.args.length], [...proc.args, ...(proc.env ?? [])]));

  // GO is one more round trip through the runtime before the first step: only when there is
  // something to do then (uid/gid maps of a new user namespace) or hooks that want the state JSON
  const hooks = spec.hooks ?? {};
  const waitGo = created.some((n) => n.type === 'user') || ['prestart', 'createRuntime', 'createContainer', 'startContainer'].some((k) => (hooks[k as keyof typeof hooks] ?? []).length);
  const flags = (ctx.stepMode ? PLAN_STEP_MODE : 0) | (waitGo ? PLAN_WAIT_GO : 0);
  return { cloneFlags: BigInt(cloneFlags), flags, stateDir: ctx.stateDir, pidnsPath, home: ctx.home, steps };
}
