// v2 freezer: the core file cgroup.freeze (1/0) in every non-root cgroup. Freezing is asynchronous:
// cgroup.events reads "frozen 1" once every task has stopped, so we poll it for a bounded time.
import { MiniconError } from '../../errors';
import { parseKeyed, readCgroupFile, sleepMs, writeCgroupFile } from '../files';

export function isFrozen(dir: string): boolean {
  return parseKeyed(readCgroupFile(dir, 'cgroup.events')).frozen === 1;
}

export function freeze(dir: string, timeoutMs = 2000): void {
  writeCgroupFile(dir, 'cgroup.freeze', '1');
  let waited = 0;
  let delay = 1;
  while (!isFrozen(dir)) {
    if (waited >= timeoutMs) {
      writeCgroupFile(dir, 'cgroup.freeze', '0');
      throw new MiniconError(`cgroup cgroup.freeze: ${dir} did not report "frozen 1" within ${timeoutMs} ms`, {
        step: 'cgroup cgroup.freeze', path: `${dir}/cgroup.events`, hint: 'the cgroup was thawed again',
      });
    }
    sleepMs(delay);
    waited += delay;
    delay = Math.min(delay * 2, 20);
  }
}

export function thaw(dir: string): void {
  writeCgroupFile(dir, 'cgroup.freeze', '0');
}
