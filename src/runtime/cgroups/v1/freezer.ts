// v1 freezer controller: freezer.state is THAWED, FREEZING or FROZEN.
//
// Writing FROZEN starts freezing; the state reads FREEZING until every task has stopped. We poll it
// for a short bounded time, rewriting FROZEN as runc does (a task that was forking can escape one
// pass). If it never settles, we thaw again and report, rather than leaving a half-frozen container.
import { MiniconError } from '../../errors';
import { readCgroupFile, sleepMs, writeCgroupFile } from '../files';

const STATE = 'freezer.state';

export function freeze(dir: string, timeoutMs = 2000): void {
  let waited = 0;
  let delay = 1;
  for (;;) {
    writeCgroupFile(dir, STATE, 'FROZEN');
    if (readCgroupFile(dir, STATE) === 'FROZEN') return;
    if (waited >= timeoutMs) break;
    sleepMs(delay);
    waited += delay;
    delay = Math.min(delay * 2, 20);
  }
  writeCgroupFile(dir, STATE, 'THAWED');
  throw new MiniconError(`cgroup freezer.state: ${dir} did not reach FROZEN within ${timeoutMs} ms`, {
    step: 'cgroup freezer.state', path: `${dir}/${STATE}`, hint: 'a task may be stuck in an uninterruptible sleep (D state); the cgroup was thawed again',
  });
}

export function thaw(dir: string): void {
  writeCgroupFile(dir, STATE, 'THAWED');
}

export function isFrozen(dir: string): boolean {
  return readCgroupFile(dir, STATE) === 'FROZEN';
}
