import { Command, needId } from '../command';
import { CONTAINER_HELP, CONTAINER_OPTIONS, createOptions } from '../container-options';

const usage = 'run [options] ID';
export const command: Command = {
  usage,
  description: `Creates and starts the container ID from a bundle and waits for it; the exit status is the
container's (128+N when it was killed by signal N). The container is deleted when it ends,
unless --detach is given.\n\n${CONTAINER_HELP}
  -d, --detach         return once the container has started; it runs on under its monitor
  --keep               accepted for runc compatibility (with --detach the container is kept anyway)`,
  options: { ...CONTAINER_OPTIONS, detach: { type: 'boolean', short: 'd' }, keep: { type: 'boolean' } },
  async run(args, g) {
    const { run } = await import('../../runtime/container/run');
    return run({ ...createOptions(args, g, needId(args, usage), usage), detach: !!args.values.detach });
  },
};
