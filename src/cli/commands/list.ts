import { Command } from '../command';
import { table } from '../output';

export const command: Command = {
  usage: 'list [--format table|json] [--quiet]',
  description: `Lists the containers under --root.
  -f, --format table|json
  -q, --quiet   only the IDs`,
  options: { format: { type: 'string', short: 'f' }, quiet: { type: 'boolean', short: 'q' } },
  async run(args, g) {
    const { list } = await import('../../runtime/container/query');
    const all = list(g.root);
    if (args.values.quiet) process.stdout.write(all.map((s) => `${s.id}\n`).join(''));
    else if (args.values.format === 'json') process.stdout.write(`${JSON.stringify(all)}\n`);
    else process.stdout.write(table(['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
      all.map((s) => [s.id, String(s.pid), s.status, s.bundle, String(s.created), String(s.owner)])));
    return 0;
  },
};
