import { Command, needId } from '../command';

const usage = 'kill [--all] ID [SIGNAL]';
export const command: Command = {
  usage,
  description: `Sends SIGNAL (default SIGTERM; a name with or without SIG, or a number) to the container's init.
  -a, --all   send it to every process in the container's cgroup`,
  options: { all: { type: 'boolean', short: 'a' } },
  async run(args, g) {
    const { kill, parseSignal } = await import('../../runtime/container/kill');
    kill(g.root, needId(args, usage), parseSignal(args.positionals[1] ?? 'SIGTERM'), !!args.values.all);
    return 0;
  },
};
