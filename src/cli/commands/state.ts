import { Command, needId } from '../command';

const usage = 'state ID';
export const command: Command = {
  usage,
  description: 'Prints the OCI state of the container ID as JSON: ociVersion, id, status (created, running,\npaused, stopped), pid, bundle, annotations. The status is read from the kernel, not from a file.',
  options: {},
  async run(args, g) {
    const { stateOf } = await import('../../runtime/container/query');
    process.stdout.write(`${JSON.stringify(stateOf(g.root, needId(args, usage)), null, 2)}\n`);
    return 0;
  },
};
