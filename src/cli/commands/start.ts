import { Command, needId } from '../command';

const usage = 'start ID';
export const command: Command = {
  usage,
  description: 'Runs the user process of the created container ID (its monitor releases it to execve).',
  options: {},
  async run(args, g) {
    const { start } = await import('../../runtime/container/start');
    start(g.root, needId(args, usage));
    return 0;
  },
};
