// The devices every container gets (OCI runtime spec, "Default Devices"), and the device-cgroup
// rules that allow them, as runc's AllowedDevices does.
import type { Device, DeviceRule } from '../spec/types';

export const DEFAULT_DEVICES: Device[] = [
  { type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { type: 'c', path: '/dev/zero', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { type: 'c', path: '/dev/full', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { type: 'c', path: '/dev/random', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { type: 'c', path: '/dev/urandom', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { type: 'c', path: '/dev/tty', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

export const DEFAULT_DEVICE_LINKS: [target: string, path: string][] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
];

/** Appended after the spec's own rules (which usually start with "deny all"). */
export const DEFAULT_DEVICE_RULES: DeviceRule[] = [
  ...DEFAULT_DEVICES.map((d) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },   // /dev/console
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },   // /dev/ptmx
  { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
];

/** The device-cgroup rules for a spec: its own, then the defaults, then each of linux.devices
 *  (the OCI spec says listed devices MUST be available; runc allows each one). */
export function deviceRules(own: DeviceRule[] = [], listed: Device[] = []): DeviceRule[] {
  return [
    ...own,
    ...DEFAULT_DEVICE_RULES,
    ...listed.filter((d) => d.type !== 'p').map((d) => ({ allow: true, type: d.type === 'u' ? 'c' : d.type, major: d.major, minor: d.minor, access: 'rwm' })),
  ];
}
