// Linux constants the plan needs, from <linux/sched.h>, <sys/mount.h>, <sys/resource.h>.

export const CLONE = {
  NEWNS: 0x00020000, NEWCGROUP: 0x02000000, NEWUTS: 0x04000000, NEWIPC: 0x08000000,
  NEWUSER: 0x10000000, NEWPID: 0x20000000, NEWNET: 0x40000000,
} as const;

/** OCI namespace type -> clone flag and /proc/<pid>/ns link name */
export const NAMESPACES: Record<string, { flag: number; proc: string }> = {
  user: { flag: CLONE.NEWUSER, proc: 'user' },
  pid: { flag: CLONE.NEWPID, proc: 'pid' },
  mount: { flag: CLONE.NEWNS, proc: 'mnt' },
  network: { flag: CLONE.NEWNET, proc: 'net' },
  uts: { flag: CLONE.NEWUTS, proc: 'uts' },
  ipc: { flag: CLONE.NEWIPC, proc: 'ipc' },
  cgroup: { flag: CLONE.NEWCGROUP, proc: 'cgroup' },
};

export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, SYNCHRONOUS: 16, REMOUNT: 32, MANDLOCK: 64, DIRSYNC: 128,
  NOSYMFOLLOW: 256, NOATIME: 1024, NODIRATIME: 2048, BIND: 4096, MOVE: 8192, REC: 16384,
  UNBINDABLE: 1 << 17, PRIVATE: 1 << 18, SLAVE: 1 << 19, SHARED: 1 << 20, RELATIME: 1 << 21,
  STRICTATIME: 1 << 24, LAZYTIME: 1 << 25,
} as const;

/** mount(8) option -> [flags to set, flags to clear]; what is not here goes to the filesystem as data */
export const MOUNT_OPTIONS: Record<string, [number, number]> = {
  defaults: [0, 0], rw: [0, MS.RDONLY], ro: [MS.RDONLY, 0],
  suid: [0, MS.NOSUID], nosuid: [MS.NOSUID, 0], dev: [0, MS.NODEV], nodev: [MS.NODEV, 0],
  exec: [0, MS.NOEXEC], noexec: [MS.NOEXEC, 0], sync: [MS.SYNCHRONOUS, 0], async: [0, MS.SYNCHRONOUS],
  dirsync: [MS.DIRSYNC, 0], mand: [MS.MANDLOCK, 0], nomand: [0, MS.MANDLOCK],
  atime: [0, MS.NOATIME], noatime: [MS.NOATIME, 0], diratime: [0, MS.NODIRATIME], nodiratime: [MS.NODIRATIME, 0],
  relatime: [MS.RELATIME, 0], norelatime: [0, MS.RELATIME], strictatime: [MS.STRICTATIME, 0],
  nostrictatime: [0, MS.STRICTATIME], lazytime: [MS.LAZYTIME, 0], nolazytime: [0, MS.LAZYTIME],
  nosymfollow: [MS.NOSYMFOLLOW, 0], bind: [MS.BIND, 0], rbind: [MS.BIND | MS.REC, 0],
};

export const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
