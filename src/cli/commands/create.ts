import { Command, needId } from '../command';
import { CONTAINER_HELP, CONTAINER_OPTIONS, createOptions } from '../container-options';

const usage = 'create [options] ID';
export const command: Command = {
  usage,
  description: `Creates the container ID from a bundle: namespaces, cgroups, mounts and pivot_root are done,
and its process waits for \`minicon start ID\`.\n\n${CONTAINER_HELP}`,
  options: CONTAINER_OPTIONS,
  async run(args, g) {
    const { create } = await import('../../runtime/container/create');
    const { monitor } = create(createOptions(args, g, needId(args, usage), usage));
    monitor.detach();
    return 0;
  },
};
