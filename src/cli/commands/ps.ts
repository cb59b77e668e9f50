import { Command, needId } from '../command';
import { table } from '../output';

const usage = 'ps [--format table|json] ID';
export const command: Command = {
  usage,
  description: `Lists the processes in the container's cgroup (host pids).
  -f, --format table|json   json prints the pids only, as runc does`,
  options: { format: { type: 'string', short: 'f' } },
  async run(args, g) {
    const { processes } = await import('../../runtime/container/query');
    const procs = processes(g.root, needId(args, usage));
    if (args.values.format === 'json') process.stdout.write(`${JSON.stringify(procs.map((p) => p.pid))}\n`);
    else process.stdout.write(table(['PID', 'CMD'], procs.map((p) => [String(p.pid), p.args.join(' ')])));
    return 0;
  },
};
