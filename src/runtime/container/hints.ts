// What a failed step usually means, keyed by "syscall errno". Shown after the kernel's answer.
const HINTS: Record<string, string> = {
  'pivot_root EINVAL': 'the new root is not a mount point, or a parent mount is shared',
  'execve ENOENT': 'executable file not found in $PATH inside the container',
  'execve EACCES': 'the file is not executable, or a directory on its path is not searchable',
  'chdir ENOENT': 'process.cwd does not exist in the rootfs',
  'mount ENOENT': 'the mount source does not exist',
  'mount EPERM': 'this mount needs privileges the container does not have here (a user namespace?)',
  'mount ENODEV': 'the kernel does not know this filesystem type',
  'setrlimit EPERM': 'raising a hard limit needs CAP_SYS_RESOURCE, which this machine does not grant',
  'sethostname EPERM': 'setting the hostname needs a uts namespace',
  'setns EINVAL': 'the path is not a namespace of that type',
  'clone3 EINVAL': 'the kernel refused this combination of namespaces',
  'clone3 EPERM': 'creating namespaces needs root (or a user namespace)',
  'capset EPERM': 'a capability set may not grow beyond the permitted or bounding set',
  'setresuid EINVAL': 'the uid is not mapped in the user namespace',
  'setresgid EINVAL': 'the gid is not mapped in the user namespace',
  'openat2 EXDEV': 'the path leaves the rootfs',
  'hook ECANCELED': 'the hook exited with a non-zero status',
  'hook ETIMEDOUT': 'the hook ran past its timeout',
};

export const hintFor = (syscall: string, errno: string): string | undefined => HINTS[`${syscall} ${errno}`];
