import { Command, needId } from '../command';
import { warn } from '../output';

const usage = 'delete [--force] ID';
export const command: Command = {
  usage,
  description: `Removes the container ID: its cgroups and state. A running container is refused unless
  -f, --force   kill it (SIGKILL) first; also removes a half-created container`,
  options: { force: { type: 'boolean', short: 'f' } },
  async run(args, g) {
    const { remove } = await import('../../runtime/container/delete');
    remove(g.root, needId(args, usage), !!args.values.force, (m) => warn(g, m));
    return 0;
  },
};
