// v2 pids controller: the same files as v1 (pids.max, pids.current, pids.events).
export { apply, stats } from '../v1/pids';
