import { Command, needId } from '../command';

const usage = 'resume ID';
export const command: Command = {
  usage,
  description: 'Thaws the paused container ID.',
  options: {},
  async run(args, g) {
    const { resume } = await import('../../runtime/container/query');
    resume(g.root, needId(args, usage));
    return 0;
  },
};
