// Entry point of the cgroup managers: detect the layout, place the container's cgroup, or reopen
// one from the layout and paths saved in state.json.
import type { CgroupManager, Layout } from './manager';
import { MiniconError } from '../errors';
import { DEFAULT_ROOT, detectLayout, parseProcCgroup, readSelfCgroup, SUBTREE, v1Hierarchies, V1_CONTROLLERS } from './layout';

export type { CgroupManager, CgroupStats, Layout } from './manager';
export { detectLayout, ownCgroups, parseProcCgroup, v1Hierarchies, V1_CONTROLLERS, DEFAULT_ROOT, SUBTREE } from './layout';

// Start latency: only the manager of this machine's layout is loaded (each is ~8 small modules).
// convert.ts and the managers can be required directly: ./convert, ./v1/manager, ./v2/manager.
function v1(): typeof import('./v1/manager') {
  return require('./v1/manager');
}
function v2(): typeof import('./v2/manager') {
  return require('./v2/manager');
}

export interface OpenOptions {
  /** OCI linux.cgroupsPath; leading '/' stripped. Default "minicon/<id>". */
  cgroupsPath?: string;
  id: string;
  /** cgroup mount root (default /sys/fs/cgroup) */
  root?: string;
  /** /proc/self/cgroup text (default: read it) */
  selfCgroup?: string;
}

function invalidPath(p: string, why: string): MiniconError {
  return new MiniconError(`cgroup: invalid cgroups path "${p}": ${why}`, { step: 'cgroup path', hint: 'use a path such as "/minicon/<id>"' });
}

/** The container's path relative to the base cgroup: cgroupsPath without its leading '/', or "minicon/<id>". */
export function relativeCgroupPath(cgroupsPath: string | undefined, id: string): string {
  if (!cgroupsPath) {
    if (!id || id.includes('/') || id === '.' || id === '..') throw invalidPath(id, 'bad container id');
    return `${SUBTREE}/${id}`;
  }
  if (/^[^/:]*:[^/:]*:[^/:]*$/.test(cgroupsPath)) throw invalidPath(cgroupsPath, 'systemd "slice:prefix:name" paths are not supported (MiniCon drives cgroupfs directly)');
  const rel = cgroupsPath.replace(/^\/+/, '').replace(/\/+$/, '');
  if (rel === '') throw invalidPath(cgroupsPath, 'it names the base cgroup itself');
  for (const seg of rel.split('/')) if (seg === '' || seg === '.' || seg === '..') throw invalidPath(cgroupsPath, `bad component "${seg}"`);
  return rel;
}

/**
 * A manager for a new container's cgroup (call create() next).
 *   v1 / hybrid: <hierarchy mount><own cgroup of this process>/<relative>, for each mounted hierarchy
 *                among memory, cpu, cpuacct, cpuset, pids, freezer, devices;
 *   v2:          <root>/minicon/<relative>, where a relative path that already starts with "minicon/"
 *                (the default "minicon/<id>") is not doubled: the default is <root>/minicon/<id>.
 */
export function openCgroups(opts: OpenOptions): CgroupManager {
  const root = opts.root ?? DEFAULT_ROOT;
  const rel = relativeCgroupPath(opts.cgroupsPath, opts.id);
  const layout = detectLayout(root);
  if (layout === 'unified') {
    const inside = rel === SUBTREE || rel.startsWith(`${SUBTREE}/`) ? rel : `${SUBTREE}/${rel}`;
    if (inside === SUBTREE) throw invalidPath(opts.cgroupsPath ?? '', 'it names the minicon subtree itself');
    return new (v2().V2Manager)(`${root}/${inside}`, root);
  }
  const hierarchies = v1Hierarchies(root, opts.selfCgroup ?? readSelfCgroup());
  const paths: Record<string, string> = {};
  for (const c of V1_CONTROLLERS) {
    const h = hierarchies[c];
    if (h) paths[c] = `${h.base}/${rel}`;
  }
  if (Object.keys(paths).length === 0) {
    throw new MiniconError(`cgroup: no cgroup v1 hierarchy of ${V1_CONTROLLERS.join(', ')} is mounted under ${root}`, {
      step: 'cgroup layout', hint: 'mount cgroup v1 hierarchies, or boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1)',
    });
  }
  return new (v1().V1Manager)(layout, paths, { hierarchies, root });
}

/** Reopens a container's cgroups from the layout and paths saved in state.json (for kill/pause/delete). */
export function cgroupsFromPaths(layout: Layout, paths: Record<string, string>, opts: { root?: string; selfCgroup?: string } = {}): CgroupManager {
  if (layout === 'unified') {
    const dir = paths[''];
    if (!dir) throw new MiniconError('cgroup: saved cgroup v2 paths have no "" entry', { step: 'cgroup reopen' });
    return new (v2().V2Manager)(dir, opts.root ?? DEFAULT_ROOT);
  }
  return new (v1().V1Manager)(layout, { ...paths }, { root: opts.root, selfCgroup: opts.selfCgroup });
}

/**
 * The cgroup.procs files of this process's own cgroups, in the hierarchies the manager uses: the
 * monitor is moved into the container's cgroups so that pid 1 is born there, then returns here.
 */
export function homeProcsFiles(mgr: CgroupManager, root: string = DEFAULT_ROOT, selfCgroup: string = readSelfCgroup()): string[] {
  if (mgr.layout === 'unified') {
    const own = parseProcCgroup(selfCgroup).find((l) => l.hierarchy === 0)?.path ?? '/';
    return [`${root}${own === '/' ? '' : own}/cgroup.procs`];
  }
  const h = v1Hierarchies(root, selfCgroup);
  const bases = Object.keys(mgr.paths).map((c) => h[c as keyof typeof h]?.base).filter((b): b is string => !!b);
  return [...new Set(bases)].map((b) => `${b}/cgroup.procs`);
}
