// The `minicon` command line: global options, then one command, each in its own file under
// commands/ and loaded only when used (start latency matters: `run` is timed against runc).
import { parseArgs } from 'util';
import { Command, Globals, UsageError } from './command';
import { reportError } from './output';
import { MiniconError } from '../runtime/errors';

/** name -> one-line summary and loader; the order is the order of --help. Static requires, so the
 *  bundler sees every command; each is evaluated only when its command runs. */
const COMMANDS: Record<string, [summary: string, load: () => Command]> = {
  spec: ['write a default config.json (as runc spec)', () => require('./commands/spec').command],
  create: ['create a container from a bundle; it waits for start', () => require('./commands/create').command],
  start: ['run the user process of a created container', () => require('./commands/start').command],
  run: ["create, start and wait for a container (its exit status is the container's)", () => require('./commands/run').command],
  state: ['print the OCI state of a container as JSON', () => require('./commands/state').command],
  kill: ["send a signal to a container's init (default SIGTERM)", () => require('./commands/kill').command],
  delete: ['remove a stopped container (--force: kill it first)', () => require('./commands/delete').command],
  list: ['list the containers', () => require('./commands/list').command],
  ps: ['list the processes of a container', () => require('./commands/ps').command],
  pause: ['freeze every process of a container', () => require('./commands/pause').command],
  resume: ['thaw a paused container', () => require('./commands/resume').command],
};

const GLOBAL_HELP = `Usage: minicon [global options] COMMAND [options] [ARGS]

MiniCon runs OCI bundles as real Linux containers (namespaces, pivot_root, cgroups v1 and v2),
with the command line of runc. Run as root.

Commands:
${Object.entries(COMMANDS).map(([n, [s]]) => `  ${n.padEnd(8)} ${s}`).join('\n')}

Global options:
  --root DIR          state directory (default /run/minicon)
  --log FILE          also write errors to FILE
  --log-format FMT    text or json (JSON lines, as conmon reads them)
  --debug             more detail on errors
  --systemd-cgroup    not supported: MiniCon manages cgroupfs directly
  -h, --help          this help; \`minicon COMMAND --help\` for a command's
  -v, --version       the version
`;

export async function main(argv: string[]): Promise<number> {
  const g: Globals = { root: '/run/minicon', logFormat: 'text', debug: false };
  let i = 0;
  try {
    // global options come before the command, as runc takes them
    for (; i < argv.length && argv[i].startsWith('-'); i++) {
      const [flag, inline] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
      const value = () => { const v = inline ?? argv[++i]; if (v === undefined) throw new UsageError(`${flag} needs a value`, GLOBAL_HELP); return v; };
      switch (flag) {
        case '--root': g.root = value(); break;
        case '--log': g.log = value(); break;
        case '--log-format': {
          const f = value();
          if (f !== 'text' && f !== 'json') throw new UsageError(`--log-format must be text or json, not "${f}"`, GLOBAL_HELP);
          g.logFormat = f;
          break;
        }
        case '--debug': g.debug = true; break;
        case '--systemd-cgroup': throw new UsageError('--systemd-cgroup is not supported: MiniCon manages cgroups through cgroupfs (leave the flag out)', GLOBAL_HELP);
        case '-h': case '--help': process.stdout.write(GLOBAL_HELP); return 0;
        case '-v': case '--version': process.stdout.write(`minicon version ${require('../../package.json').version}\nspec: 1.0.2\n`); return 0;
        default: throw new UsageError(`unknown global option ${flag}`, GLOBAL_HELP);
      }
    }
    const name = argv[i];
    if (name === undefined) { process.stderr.write(GLOBAL_HELP); return 2; }
    if (!(name in COMMANDS)) throw new UsageError(`unknown command "${name}"`, GLOBAL_HELP);
    const cmd = COMMANDS[name][1]();
    const rest = argv.slice(i + 1);
    if (rest.includes('--help') || rest.includes('-h')) { process.stdout.write(`Usage: minicon ${cmd.usage}\n\n${cmd.description}\n`); return 0; }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/^TypeError \[\w+\]: /, ''), cmd.usage);
    }
    return await cmd.run(parsed as never, g);
  } catch (e) {
    reportError(g, e);
    if (e instanceof UsageError) process.stderr.write(`usage: minicon ${e.usage.split('\n')[0].replace(/^Usage: minicon /, '')}\n`);
    return e instanceof UsageError ? 2 : e instanceof MiniconError ? e.detail.exitCode ?? 1 : 1;
  }
}
