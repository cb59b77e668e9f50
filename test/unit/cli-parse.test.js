'use strict';
// The command line (src/cli/main.ts) as a user meets it: ./bin/minicon spawned with arguments that
// never reach a container (help, usage errors, unknown options, logs of a failing command, signal
// names). The state root is a fresh directory under /tmp/minicon-test that no container ever uses.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'minicon');
fs.mkdirSync('/tmp/minicon-test', { recursive: true });
const TMP = fs.mkdtempSync(path.join('/tmp/minicon-test', `cli-parse-${process.pid}-`));
const ROOT = path.join(TMP, 'root');
const COMMANDS = ['spec', 'create', 'start', 'run', 'state', 'kill', 'delete', 'list', 'ps', 'pause', 'resume'];

test.after(() => fs.rmSync(TMP, { recursive: true, force: true }));

function cli(args, opts = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20000, killSignal: 'SIGKILL', cwd: opts.cwd ?? TMP, input: opts.input ?? '' });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** the same, asynchronously: loops run their cases in parallel to keep the file fast */
function cliAsync(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: TMP, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out, err }); });
  });
}
const all = (list, f) => Promise.all(list.map(async (x) => [x, await f(x)]));
/** one after the other (in-process runs share process.stdout) */
const each = async (list, f) => { const out = []; for (const x of list) out.push([x, await f(x)]); return out; };

/** The same dispatcher in this process (dist/minicon.js, what bin/minicon runs), output captured:
 *  for the many small variations, where a process per case would cost seconds. */
async function inproc(args) {
  const { main } = require('../../dist/minicon.js');
  const out = [], err = [];
  const wo = process.stdout.write, we = process.stderr.write;
  process.stdout.write = (c) => { out.push(String(c)); return true; };
  process.stderr.write = (c) => { err.push(String(c)); return true; };
  try {
    const code = await main(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = wo;
    process.stderr.write = we;
  }
}

test('--help and -h: the global usage on stdout, every command listed, exit 0', async () => {
  for (const [, r] of await all(['--help', '-h'], (flag) => cliAsync([flag]))) {
    assert.is(r.code, 0, r.err);
    assert.ok(r.out.startsWith('Usage: minicon'), r.out);
    for (const c of COMMANDS) assert.ok(new RegExp(`^  ${c}\\s`, 'm').test(r.out), `${c} listed`);
    assert.ok(r.out.includes('--root'));
    assert.is(r.err, '');
  }
});

test('--version', () => {
  const r = cli(['--version']);
  assert.is(r.code, 0);
  assert.match(r.out, /^minicon version \d+\.\d+\.\d+/);
});

test('COMMAND --help: its own usage line and description on stdout, exit 0, nothing done', async () => {
  for (const [c, r] of await all(['create', 'kill'], (c) => cliAsync(['--root', ROOT, c, '--help']))) {
    assert.is(r.code, 0, `${c}: ${r.err}`);
    assert.ok(r.out.startsWith(`Usage: minicon ${c}`), `${c}: ${r.out.split('\n')[0]}`);
    assert.ok(r.out.split('\n').length > 2, `${c} has a description`);
  }
  for (const c of COMMANDS) {
    const r = await inproc(['--root', ROOT, c, '--help']);
    assert.is(r.code, 0, `${c}: ${r.err}`);
    assert.ok(r.out.startsWith(`Usage: minicon ${c}`), `${c}: ${r.out.split('\n')[0]}`);
  }
  assert.ok((await inproc(['kill', '-h'])).out.includes('--all'));
  assert.ok((await inproc(['delete', 'someid', '--help'])).out.startsWith('Usage: minicon delete'));
  assert.not.ok(fs.existsSync(ROOT), 'help never creates the state root');
});

test('no command: the usage on stderr, exit 2', () => {
  const r = cli([]);
  assert.is(r.code, 2);
  assert.ok(r.err.includes('Usage: minicon'), r.err);
});

test('unknown command: exit 2, names it, prints the usage', () => {
  const r = cli(['frobnicate']);
  assert.is(r.code, 2);
  assert.match(r.err, /unknown command "frobnicate"/);
  assert.match(r.err, /usage: minicon/i);
});

test('unknown global option: exit 2, names it', () => {
  const r = cli(['--frob', 'list']);
  assert.is(r.code, 2);
  assert.match(r.err, /--frob/);
  assert.match(r.err, /usage: minicon/i);
});

test('unknown command option: exit 2, names it, prints that command\'s usage', async () => {
  const r = cli(['--root', ROOT, 'state', '--frob', 'x']);
  assert.is(r.code, 2);
  assert.match(r.err, /--frob/);
  assert.match(r.err, /usage: minicon state/);
  const k = await inproc(['--root', ROOT, 'kill', '-z', 'x']);
  assert.is(k.code, 2);
  assert.match(k.err, /usage: minicon kill/);
});

test('a missing ID or option value is a usage error (exit 2)', async () => {
  for (const [c, r] of await all(['create'], (c) => cliAsync(['--root', ROOT, c]))) {
    assert.is(r.code, 2, `${c}: ${r.err}`);
    assert.match(r.err, /missing container ID/, c);
    assert.match(r.err, new RegExp(`usage: minicon ${c}`), c);
  }
  for (const c of ['start', 'state', 'kill', 'delete', 'ps', 'pause', 'resume', 'run']) {
    const r = await inproc(['--root', ROOT, c]);
    assert.is(r.code, 2, `${c}: ${r.err}`);
    assert.match(r.err, /missing container ID/, c);
    assert.match(r.err, new RegExp(`usage: minicon ${c}`), c);
  }
  const noRoot = await inproc(['--root']);
  const yaml = await inproc(['--log-format', 'yaml', 'list']);
  const noBundle = await inproc(['--root', ROOT, 'create', '--bundle']);
  assert.is(noRoot.code, 2);
  assert.match(noRoot.err, /--root needs a value/);
  assert.is(yaml.code, 2);
  assert.match(yaml.err, /text or json/);
  assert.is(noBundle.code, 2);
});

test('--systemd-cgroup: a clear "not supported" error, exit 2, nothing done', () => {
  const r = cli(['--systemd-cgroup', '--root', ROOT, 'list']);
  assert.is(r.code, 2);
  assert.match(r.err, /--systemd-cgroup is not supported/);
  assert.match(r.err, /cgroupfs/);
  assert.is(r.out, '');
});

test('unsupported create options are refused by name', async () => {
  for (const [opt, r] of await each([['--console-socket', '/tmp/x.sock'], ['--no-pivot'], ['--preserve-fds', '2']], (opt) => inproc(['--root', ROOT, 'create', ...opt, '--bundle', TMP, 'cli-x']))) {
    assert.is(r.code, 2, `${opt[0]}: ${r.err}`);
    assert.match(r.err, new RegExp(`${opt[0]} is not supported`));
  }
  assert.not.ok(fs.existsSync(path.join(ROOT, 'cli-x')));
});

test('--log-format json --log FILE: a failing command writes one JSON line {"level":"error","msg":...}', () => {
  const log = path.join(TMP, 'log.json');
  const r = cli(['--root', ROOT, '--log-format', 'json', '--log', log, 'state', 'no-such-container']);
  assert.is(r.code, 1);
  assert.match(r.err, /container "no-such-container" does not exist/, 'stderr still has it');
  const lines = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  assert.is(lines.length, 1);
  const j = JSON.parse(lines[0]);
  assert.is(j.level, 'error');
  assert.match(j.msg, /container "no-such-container" does not exist/);
  assert.ok(!Number.isNaN(Date.parse(j.time)), 'time is a date');
  // a second failure appends
  cli(['--root', ROOT, '--log-format=json', `--log=${log}`, 'start', 'other']);
  const again = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.is(again.length, 2);
  assert.match(again[1].msg, /"other" does not exist/);
});

test('--log FILE in text format, and a usage error is logged too', () => {
  const log = path.join(TMP, 'log.txt');
  const r = cli(['--root', ROOT, '--log', log, 'state', 'nope']);
  assert.is(r.code, 1);
  assert.match(fs.readFileSync(log, 'utf8'), /level=error msg=".*nope.*does not exist/);
  const jlog = path.join(TMP, 'usage.json');
  const u = cli(['--log-format', 'json', '--log', jlog, 'frobnicate']);
  assert.is(u.code, 2);
  const j = JSON.parse(fs.readFileSync(jlog, 'utf8').trim());
  assert.is(j.level, 'error');
  assert.match(j.msg, /frobnicate/);
});

test('kill: KILL, SIGKILL, kill, 9 are signals (the ID is looked up next); bogus, 0 and 65 are not', async () => {
  for (const [s, r] of await each(['KILL', 'SIGKILL', 'kill', 'sigkill', '9', 'TERM', 'USR1', '64'], (s) => inproc(['--root', ROOT, 'kill', 'no-such', s]))) {
    assert.is(r.code, 1, s);
    assert.match(r.err, /"no-such" does not exist/, `${s} parsed: ${r.err}`);
  }
  for (const [s, r] of await each(['bogus', 'SIGBOGUS', '0', '65', '9x', ''], (s) => inproc(['--root', ROOT, 'kill', 'no-such', s]))) {
    assert.ok(r.code !== 0, s);
    assert.match(r.err, new RegExp(`unknown signal "${s}"`), `${s}: ${r.err}`);
  }
});

test('kill with a real process: ./bin/minicon parses KILL before the lookup, and refuses bogus', async () => {
  const [[, ok], [, bad]] = await all(['KILL', 'bogus'], (s) => cliAsync(['--root', ROOT, 'kill', 'no-such', s]));
  assert.is(ok.code, 1);
  assert.match(ok.err, /"no-such" does not exist/);
  assert.is(bad.code, 1);
  assert.match(bad.err, /unknown signal "bogus"/);
  assert.match(bad.err, /hint: .*TERM/);
});

test('parseSignal (dist): names with and without SIG, any case, and numbers 1..64', () => {
  const { parseSignal } = require('../../dist/runtime/container/kill');
  assert.is(parseSignal('KILL'), 9);
  assert.is(parseSignal('SIGKILL'), 9);
  assert.is(parseSignal('kill'), 9);
  assert.is(parseSignal('9'), 9);
  assert.is(parseSignal('TERM'), 15);
  assert.is(parseSignal('SIGUSR1'), 10);
  assert.is(parseSignal('64'), 64);
  for (const bad of ['bogus', 'SIGBOGUS', '0', '65', '1.5', ' 9', '9x', '', 'SIG']) assert.throws(() => parseSignal(bad), /unknown signal/, bad);
});

test('an invalid ID is refused before anything is touched', () => {
  const r = cli(['--root', ROOT, 'state', '../etc']);
  assert.is(r.code, 1);
  assert.match(r.err, /invalid container ID/);
  assert.not.ok(fs.existsSync(ROOT));
});

test.run();
