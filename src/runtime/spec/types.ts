// The parts of the OCI runtime spec (config.json, Linux) that MiniCon runs.
// Field names follow github.com/opencontainers/runtime-spec/specs-go/config.go.

export interface Spec {
  ociVersion: string;
  process?: Process;
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: User;
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  apparmorProfile?: string;
  selinuxLabel?: string;
}

export interface User { uid: number; gid: number; umask?: number; additionalGids?: number[]; username?: string }
export interface Capabilities { bounding?: string[]; effective?: string[]; inheritable?: string[]; permitted?: string[]; ambient?: string[] }
export interface Rlimit { type: string; soft: number; hard: number }
export interface Mount { destination: string; type?: string; source?: string; options?: string[]; uidMappings?: IdMapping[]; gidMappings?: IdMapping[] }

export interface Hook { path: string; args?: string[]; env?: string[]; timeout?: number }
export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';
export interface Namespace { type: NamespaceType; path?: string }
export interface IdMapping { containerID: number; hostID: number; size: number }

export interface Device { type: string; path: string; major?: number; minor?: number; fileMode?: number; uid?: number; gid?: number }
export interface DeviceRule { allow: boolean; type?: string; major?: number | null; minor?: number | null; access?: string }

export interface Resources {
  devices?: DeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number; kernel?: number; kernelTCP?: number; swappiness?: number; disableOOMKiller?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; realtimeRuntime?: number; realtimePeriod?: number; cpus?: string; mems?: string; idle?: number };
  pids?: { limit: number };
  blockIO?: unknown;
  hugepageLimits?: unknown[];
  network?: unknown;
  rdma?: unknown;
  unified?: Record<string, string>;
}

export interface Linux {
  namespaces?: Namespace[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
  devices?: Device[];
  cgroupsPath?: string;
  resources?: Resources;
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  sysctl?: Record<string, string>;
  seccomp?: unknown;
  mountLabel?: string;
  personality?: unknown;
  intelRdt?: unknown;
}

/** The OCI state, as `state ID` prints it. */
export interface OciState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}
