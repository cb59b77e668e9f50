// v1 pids controller: pids.max, pids.current, pids.events ("max N": forks refused by the limit).
import type { Resources } from '../../spec/types';
import { parseKeyed, readNumber, readOptional, writeCgroupFile } from '../files';
import { parseLimit, toPidsMax } from '../convert';

/** pids.max: "max" when the limit is <= 0 (OCI: no limit); untouched when resources.pids is unset. */
export function apply(dir: string, pids: Resources['pids']): void {
  if (!pids) return;
  writeCgroupFile(dir, 'pids.max', toPidsMax(pids.limit));
}

export function stats(dir: string): { current: number; limit?: number; maxEvents?: number } {
  const events = readOptional(dir, 'pids.events');
  return {
    current: readNumber(dir, 'pids.current'),
    limit: parseLimit(readOptional(dir, 'pids.max')),
    maxEvents: events === undefined ? undefined : parseKeyed(events).max,
  };
}
