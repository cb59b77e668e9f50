import { Command, needId } from '../command';

const usage = 'pause ID';
export const command: Command = {
  usage,
  description: 'Freezes every process of the container ID (the v1 freezer, or cgroup.freeze on v2).',
  options: {},
  async run(args, g) {
    const { pause } = await import('../../runtime/container/query');
    pause(g.root, needId(args, usage));
    return 0;
  },
};
