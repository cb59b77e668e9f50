// uid_map / gid_map of a new user namespace, written by the parent (the runtime) while the child
// waits for GO: "containerID hostID size" per line (user_namespaces(7)).
import { writeFileSync } from 'fs';
import type { IdMapping } from '../spec/types';
import { fromNodeError } from '../errors';

export const formatIdMap = (m: IdMapping[]) => m.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');

export function writeIdMaps(pid: number, uid: IdMapping[], gid: IdMapping[]): void {
  for (const [file, map] of [['uid_map', uid], ['gid_map', gid]] as const) {
    const path = `/proc/${pid}/${file}`;
    try { writeFileSync(path, formatIdMap(map)); } catch (e) { throw fromNodeError(`write the ${file}`, e, 'a map may be written once, its ranges must not overlap, and the host ids must be ones this user may map'); }
  }
}
