import { existsSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Command } from '../command';
import { MiniconError } from '../../runtime/errors';

export const command: Command = {
  usage: 'spec [--bundle DIR]',
  description: `Writes a default config.json (the same as \`runc spec\`) into the bundle directory.
  -b, --bundle DIR   where to write it (default: the current directory)
  --rootless         not supported yet`,
  options: { bundle: { type: 'string', short: 'b' }, rootless: { type: 'boolean' } },
  async run(args) {
    if (args.values.rootless) throw new MiniconError('spec --rootless is not supported yet');
    const { defaultSpec } = await import('../../runtime/spec/default');
    const path = join(String(args.values.bundle ?? '.'), 'config.json');
    if (existsSync(path)) throw new MiniconError(`${path} already exists`, { hint: 'remove it first, or write to another --bundle' });
    writeFileSync(path, `${JSON.stringify(defaultSpec(), null, '\t')}\n`);
    return 0;
  },
};
