// Loading and validating config.json.
//
// MiniCon's rule: a field it does not support is an error, never silently ignored. Every error is a
// MiniconError whose message names the offending field by its JSON path, e.g.
//   config.json: linux.namespaces[2].type: unknown namespace type "foo" (expected one of pid, ...)
// and whose hint says what to do. The first error found is thrown.
//
// validateSpec returns a normalized copy of the document:
//   - root.path is absolute (a relative path is relative to the bundle directory);
//   - a relative bind-mount source is made absolute relative to the bundle (as runc does);
//   - linux.namespaces[].path "" (meaning "a new namespace") is removed;
//   - linux.resources.pids.limit 0 (runc: unlimited) becomes -1;
//   - empty linux.uidMappings/gidMappings arrays are removed.
// Everything else is copied unchanged.
//
// Value decisions (see also the comments at each rule):
//   - memory limit/reservation/swap: -1 (unlimited) or a positive integer; 0 is rejected (runc reads 0 as
//     "not set", MiniCon does not guess); the limit must be at least one page (4096), because the kernel
//     rounds a limit down to whole pages and a smaller one would become 0; swap (memory+swap, as the
//     runtime spec defines it) needs a limit and must be >= it; reservation must be <= limit.
//   - cpu.shares 2..262144, cpu.period 1000..1000000 (µs), cpu.quota -1 or >= 1000: the kernel's ranges.
//   - pids.limit: > 0, or -1/0 for unlimited (as runc).
//   - rlimits: 0..2^64-1; 18446744073709551615 (RLIM_INFINITY) parses to the double 2^64, accepted as
//     infinity (see rlimitValue); any other value above 2^53 is rejected because JSON.parse cannot read it
//     exactly.
import { readFileSync, statSync } from 'fs';
import * as path from 'path';
import { MiniconError } from '../errors';
import { CAPABILITY_SETS, isCapability, capabilityNumber, lastCap } from './capabilities';
import type { Spec } from './types';

export interface ValidateOptions {
  /** The caller handles process.terminal: true (e.g. `run` in the foreground attaches a pty). */
  allowTerminal?: boolean;
  /** Receives warnings: things that are valid but will not do what the document seems to ask (as runc warns). */
  warn?: (message: string) => void;
}

/** Resource limits by name, with their numbers (include/uapi/asm-generic/resource.h). */
export const RLIMITS: Readonly<Record<string, number>> = Object.freeze({
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
});

/** RLIM_INFINITY as it comes out of JSON.parse("18446744073709551615"): the double 2^64. */
export const RLIM_INFINITY_NUMBER = 2 ** 64;
/** RLIM_INFINITY as the kernel has it. */
export const RLIM_INFINITY = 0xffffffffffffffffn;

/** An rlimit value from a validated spec as the kernel's 64-bit value (2^64 -> RLIM_INFINITY). */
export function rlimitValue(v: number): bigint {
  return v >= RLIM_INFINITY_NUMBER ? RLIM_INFINITY : BigInt(v);
}

export const NAMESPACE_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup'] as const;
export const ROOTFS_PROPAGATIONS = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'] as const;
export const HOOK_NAMES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
/** The smallest memory limit MiniCon accepts: one page. */
export const MIN_MEMORY_LIMIT = 4096;
export const MAX_ID = 4294967294; // uid/gid: 0 .. 2^32-2 ((uid_t)-1 is "no change")

const STEP = 'validate config.json';
const CONFIG = 'config.json';
const ALL_MAP = 'use 0..4294967294';

// ---------------------------------------------------------------------------------------------------
// loadSpec

/** Reads and validates <bundleDir>/config.json. */
export function loadSpec(bundleDir: string, options: ValidateOptions = {}): Spec {
  const bundle = path.resolve(bundleDir);
  const file = path.join(bundle, CONFIG);
  let st;
  try {
    st = statSync(bundle);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new MiniconError(`bundle ${bundle} does not exist`, {
        step: 'read config.json',
        path: bundle,
        errno: code,
        hint: 'pass the bundle directory (the one holding config.json and rootfs/) with --bundle; the default is the current directory',
      });
    }
    throw nodeError(err, bundle, `cannot read bundle ${bundle}`, 'check the permissions of the bundle directory (run as root?)');
  }
  if (!st.isDirectory()) {
    throw new MiniconError(`bundle ${bundle} is not a directory`, {
      step: 'read config.json',
      path: bundle,
      hint: 'the bundle is a directory holding config.json and rootfs/; pass that directory, not a file',
    });
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new MiniconError(`${CONFIG}: ${file} does not exist`, {
        step: 'read config.json',
        path: file,
        errno: code,
        hint: `write one with \`minicon spec\` (or \`runc spec\`) in ${bundle}, or pass the right bundle with --bundle`,
      });
    }
    if (code === 'EISDIR') {
      throw new MiniconError(`${CONFIG}: ${file} is a directory, not a file`, { step: 'read config.json', path: file, errno: code, hint: 'replace it with the JSON document' });
    }
    throw nodeError(err, file, `${CONFIG}: cannot read ${file}`, 'check its permissions (run as root?)');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte order mark
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const located = locateJsonError(text);
    const pos = located ? located.pos : text.length;
    const why = located ? located.message : (err as Error).message;
    const { line, column } = lineColumn(text, pos);
    throw new MiniconError(`${CONFIG}: not valid JSON at position ${pos}: ${why}`, {
      step: 'read config.json',
      path: file,
      hint: `fix ${file} at line ${line}, column ${column}${text.trim() === '' ? ' (the file is empty)' : ''}; \`minicon spec\` writes a valid default`,
    });
  }
  return validateSpec(raw, bundle, options, file);
}

function nodeError(err: unknown, p: string, what: string, hint: string): MiniconError {
  const e = err as NodeJS.ErrnoException;
  return new MiniconError(`${what}: ${e.code ?? e.message}`, { step: 'read config.json', path: p, errno: e.code, syscall: e.syscall, hint });
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return { line, column: pos - start + 1 };
}

/**
 * Where and why `text` is not JSON (V8's messages do not always carry a position). Undefined when
 * the text is valid JSON (or too deeply nested to check).
 */
export function locateJsonError(text: string): { pos: number; message: string } | undefined {
  let i = 0;
  const n = text.length;
  class Stop {
    constructor(readonly pos: number, readonly message: string) {}
  }
  const fail = (message?: string): never => {
    throw new Stop(i, i >= n ? 'Unexpected end of JSON input' : message ?? `Unexpected token ${JSON.stringify(text[i])}`);
  };
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= n) fail();
      const c = text[i];
      if (c === '"') return void i++;
      if (c < ' ') fail('Bad control character in string literal');
      if (c === '\\') {
        i++;
        if (i >= n) fail();
        if ('"\\/bfnrt'.includes(text[i])) i++;
        else if (text[i] === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) if (i >= n || !/[0-9a-fA-F]/.test(text[i])) fail('Bad Unicode escape');
        } else fail('Bad escaped character');
      } else i++;
    }
  };
  const digits = (what: string) => {
    if (i >= n || text[i] < '0' || text[i] > '9') fail(what);
    while (i < n && text[i] >= '0' && text[i] <= '9') i++;
  };
  const num = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits('No number after minus sign');
    if (text[i] === '.') {
      i++;
      digits('Unterminated fractional number');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits('Exponent part is missing a number');
    }
  };
  const value = (): void => {
    ws();
    if (i >= n) fail();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail('Expected double-quoted property name');
        str();
        ws();
        if (text[i] !== ':') fail("Expected ':' after property name");
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') return void i++;
        fail("Expected ',' or '}' after property value");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') return void i++;
        fail("Expected ',' or ']' after array element");
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c >= '0' && c <= '9')) return num();
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) return void (i += lit.length);
    }
    fail();
  };
  try {
    value();
    ws();
    if (i < n) fail('Unexpected non-whitespace character after JSON');
    return undefined;
  } catch (e) {
    if (e instanceof Stop) return { pos: e.pos, message: e.message };
    return undefined; // RangeError: nested too deeply to check here
  }
}

// ---------------------------------------------------------------------------------------------------
// validateSpec

type Obj = Record<string, unknown>;
interface NsInfo {
  index: number;
  path?: string;
}

/** Validates a parsed config.json against MiniCon's rules and returns a normalized copy. */
export function validateSpec(raw: unknown, bundleDir: string, options: ValidateOptions = {}, configFile?: string): Spec {
  const bundle = path.resolve(bundleDir);
  const v = new Validator(bundle, options, configFile ?? path.join(bundle, CONFIG));
  return v.run(raw);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function has(o: Obj, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;
}

function join(p: string, key: string | number): string {
  if (typeof key === 'number') return `${p}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return p ? `${p}.${key}` : key;
  return `${p}[${JSON.stringify(key)}]`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return v.length > 60 ? `the string ${JSON.stringify(v.slice(0, 60))}...` : `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return String(v);
  return typeof v === 'undefined' ? 'nothing' : `${typeof v} ${String(v)}`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function suggest(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of choices) {
    const dist = c.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  return bestD <= (word.length <= 4 ? 1 : 2) ? best : undefined;
}

function isAbs(p: string): boolean {
  return p.startsWith('/');
}

function hasDotDot(p: string): boolean {
  return p.split('/').includes('..');
}

// Fields of the runtime spec that MiniCon knows but does not run: the reason to give.
const NOT_LINUX = 'MiniCon runs Linux containers only';
const UNSUPPORTED: Record<string, Record<string, string>> = {
  '': { solaris: NOT_LINUX, windows: NOT_LINUX, vm: NOT_LINUX, zos: NOT_LINUX },
  process: {
    commandLine: 'it is for Windows containers',
    ioPriority: 'is not supported yet',
    scheduler: 'is not supported yet',
    execCPUAffinity: 'is not supported yet',
  },
  linux: { timeOffsets: 'is not supported yet (there is no time namespace support)', memoryPolicy: 'is not supported yet', netDevices: 'is not supported yet' },
  'linux.resources.memory': {
    kernel: 'is not supported: kernel memory limits are deprecated in Linux (runc ignores them)',
    kernelTCP: 'is not supported: kernel TCP memory limits are deprecated in Linux',
    useHierarchy: 'is not supported yet',
    checkBeforeUpdate: 'is not supported yet',
  },
  'linux.resources.cpu': { burst: 'is not supported yet' },
};

class Validator {
  private ns = new Map<string, NsInfo>();

  constructor(
    private readonly bundle: string,
    private readonly options: ValidateOptions,
    private readonly file: string,
  ) {}

  // ----- reporting

  private fail(p: string, problem: string, hint: string): never {
    throw new MiniconError(`${CONFIG}: ${p ? `${p}: ` : ''}${problem}`, { step: STEP, path: this.file, hint });
  }

  private warn(message: string): void {
    if (this.options.warn) this.options.warn(`${CONFIG}: ${message}`);
  }

  // ----- shapes

  private obj(p: string, v: unknown): Obj {
    if (!isObj(v)) this.fail(p, `must be an object, got ${describe(v)}`, v === null ? 'omit the field instead of writing null' : `write ${p} as a JSON object {...}`);
    return v;
  }

  private arr(p: string, v: unknown): unknown[] {
    if (!Array.isArray(v)) this.fail(p, `must be an array, got ${describe(v)}`, v === null ? 'omit the field instead of writing null' : `write ${p} as a JSON array [...]`);
    return v;
  }

  private str(p: string, v: unknown): string {
    if (typeof v !== 'string') this.fail(p, `must be a string, got ${describe(v)}`, `write ${p} as a JSON string "..."`);
    if (v.includes('\0')) this.fail(p, 'contains a NUL character', 'remove the \\u0000 from it');
    return v;
  }

  private bool(p: string, v: unknown): boolean {
    if (typeof v !== 'boolean') this.fail(p, `must be true or false, got ${describe(v)}`, 'write true or false without quotes');
    return v;
  }

  private int(p: string, v: unknown, min: number, max: number, hint?: string): number {
    if (typeof v !== 'number') this.fail(p, `must be an integer, got ${describe(v)}`, hint ?? `write a number without quotes, ${min}..${max}`);
    if (!Number.isInteger(v)) this.fail(p, `must be an integer, got ${v}`, hint ?? `use a whole number, ${min}..${max}`);
    if (!Number.isSafeInteger(v)) this.fail(p, `${v} is too large to be read exactly from JSON`, hint ?? `use a value in ${min}..${max}`);
    if (v < min || v > max) this.fail(p, `${v} is out of range (${min}..${max})`, hint ?? `use a value in ${min}..${max}`);
    return v;
  }

  private strArray(p: string, v: unknown): string[] {
    const a = this.arr(p, v);
    a.forEach((s, i) => this.str(join(p, i), s));
    return a as string[];
  }

  private absPath(p: string, v: unknown, what = 'path'): string {
    const s = this.str(p, v);
    if (!isAbs(s)) this.fail(p, `${what} ${JSON.stringify(s)} is not absolute`, `write it as an absolute path starting with "/"`);
    return s;
  }

  /** Only `allowed` keys; a known-unsupported key or an unknown key is an error naming the field. */
  private fields(p: string, o: Obj, allowed: readonly string[], unsupportedKey = p): void {
    const unsupported = UNSUPPORTED[unsupportedKey] ?? {};
    for (const k of Object.keys(o)) {
      if (allowed.includes(k) || o[k] === undefined) continue;
      const fp = join(p, k);
      if (Object.prototype.hasOwnProperty.call(unsupported, k)) {
        this.fail(fp, `${unsupported[k]}`, `remove ${fp}; MiniCon stops on a field it cannot honour instead of ignoring it`);
      }
      const guess = suggest(k, allowed);
      this.fail(
        fp,
        `unknown field (${p || 'the top level'} may hold ${allowed.join(', ')})`,
        guess ? `did you mean ${join(p, guess)}? Field names are case-sensitive` : `remove ${fp}; MiniCon treats a field it does not know as an error, never ignores it`,
      );
    }
  }

  private required(p: string, o: Obj, k: string, hint: string): unknown {
    if (!has(o, k)) this.fail(join(p, k), 'missing (required)', hint);
    return o[k];
  }

  private envList(p: string, v: unknown): void {
    const a = this.strArray(p, v);
    a.forEach((e, i) => {
      const eq = e.indexOf('=');
      if (eq < 0) this.fail(join(p, i), `${JSON.stringify(e)} is not KEY=VALUE`, `write it as "${e}=value" (an empty value is "${e}=")`);
      if (eq === 0) this.fail(join(p, i), `${JSON.stringify(e)} has an empty variable name`, 'write it as NAME=value');
    });
  }

  // ----- the document

  run(raw: unknown): Spec {
    if (!isObj(raw)) this.fail('', `must be a JSON object, got ${describe(raw)}`, 'config.json holds one object {"ociVersion": ..., "process": ..., "root": ...}; `minicon spec` writes a valid default');
    this.fields('', raw, ['ociVersion', 'process', 'root', 'hostname', 'domainname', 'mounts', 'hooks', 'annotations', 'linux']);

    const ver = this.str('ociVersion', this.required('', raw, 'ociVersion', 'add "ociVersion": "1.0.2" (MiniCon reads runtime spec 1.x)'));
    if (!/^1\.\d+/.test(ver)) this.fail('ociVersion', `unsupported version ${JSON.stringify(ver)} (MiniCon reads runtime spec 1.x)`, 'use a 1.x version such as "1.0.2"');

    const linux = has(raw, 'linux') ? this.obj('linux', raw.linux) : undefined;
    if (linux && has(linux, 'namespaces')) this.namespaces(linux.namespaces);
    if (!this.ns.has('mount')) {
      this.fail('linux.namespaces', 'MiniCon needs a mount namespace (it builds the container\'s root with mounts and pivot_root)', 'add {"type": "mount"} to linux.namespaces');
    }

    this.process(this.required('', raw, 'process', 'add a "process" object with args, cwd and user (see `minicon spec`)'));
    const rootPath = this.root(this.required('', raw, 'root', 'add "root": {"path": "rootfs"}'));

    for (const k of ['hostname', 'domainname'] as const) {
      if (!has(raw, k)) continue;
      const s = this.str(k, raw[k]);
      if (Buffer.byteLength(s) > 64) this.fail(k, `is ${Buffer.byteLength(s)} bytes long (the kernel allows at most 64)`, `shorten ${k}`);
      if (s !== '' && !this.ns.has('uts')) {
        this.fail(k, `setting the ${k} needs a uts namespace in linux.namespaces (otherwise it would change the host's)`, `add {"type": "uts"} to linux.namespaces, or remove ${k}`);
      }
    }

    const bindSources: Array<[number, string]> = [];
    if (has(raw, 'mounts')) this.mounts(raw.mounts, bindSources);
    if (has(raw, 'hooks')) this.hooks(raw.hooks);
    if (has(raw, 'annotations')) {
      const a = this.obj('annotations', raw.annotations);
      for (const [k, val] of Object.entries(a)) {
        if (k === '') this.fail('annotations', 'has an empty key', 'give every annotation a name, e.g. "org.example.key"');
        this.str(join('annotations', k), val);
      }
    }
    if (linux) this.linux(linux, raw);

    // The normalized copy.
    const spec = JSON.parse(JSON.stringify(raw)) as Spec;
    spec.root!.path = rootPath;
    for (const [i, src] of bindSources) spec.mounts![i].source = src;
    if (spec.linux?.namespaces) for (const n of spec.linux.namespaces) if (n.path === '') delete n.path;
    if (spec.linux?.resources?.pids && spec.linux.resources.pids.limit === 0) spec.linux.resources.pids.limit = -1;
    if (spec.linux?.uidMappings?.length === 0) delete spec.linux.uidMappings;
    if (spec.linux?.gidMappings?.length === 0) delete spec.linux.gidMappings;
    return spec;
  }

  // ----- process

  private process(v: unknown): void {
    const P = 'process';
    const p = this.obj(P, v);
    this.fields(P, p, ['terminal', 'consoleSize', 'user', 'args', 'env', 'cwd', 'capabilities', 'rlimits', 'noNewPrivileges', 'oomScoreAdj', 'apparmorProfile', 'selinuxLabel']);

    const terminal = has(p, 'terminal') ? this.bool('process.terminal', p.terminal) : false;
    if (terminal && !this.options.allowTerminal) {
      this.fail('process.terminal', 'true needs --console-socket, which MiniCon does not support yet', 'set "terminal": false in config.json (`minicon spec` copies runc, whose default is true)');
    }
    if (has(p, 'consoleSize')) {
      const c = this.obj('process.consoleSize', p.consoleSize);
      this.fields('process.consoleSize', c, ['height', 'width']);
      for (const k of ['height', 'width']) this.int(`process.consoleSize.${k}`, this.required('process.consoleSize', c, k, 'give both height and width'), 0, 65535);
      if (!terminal) this.fail('process.consoleSize', 'is only used with "terminal": true', 'remove process.consoleSize, or set process.terminal to true');
    }

    const u = this.obj('process.user', this.required(P, p, 'user', 'add "user": {"uid": 0, "gid": 0}'));
    this.fields('process.user', u, ['uid', 'gid', 'umask', 'additionalGids', 'username']);
    this.int('process.user.uid', this.required('process.user', u, 'uid', 'add "uid": 0 (root in the container)'), 0, MAX_ID, ALL_MAP);
    this.int('process.user.gid', this.required('process.user', u, 'gid', 'add "gid": 0'), 0, MAX_ID, ALL_MAP);
    if (has(u, 'umask')) this.int('process.user.umask', u.umask, 0, 0o777, 'use 0..511 (0o777), e.g. 18 for 022');
    if (has(u, 'additionalGids')) this.arr('process.user.additionalGids', u.additionalGids).forEach((g, i) => this.int(`process.user.additionalGids[${i}]`, g, 0, MAX_ID, ALL_MAP));
    if (has(u, 'username')) this.str('process.user.username', u.username); // informational; ids come from uid/gid

    const args = this.strArray('process.args', this.required(P, p, 'args', 'add "args": ["sh"] (the program to run and its arguments)'));
    if (args.length === 0) this.fail('process.args', 'is empty', 'give the program to run, e.g. ["sh"]');
    if (args[0] === '') this.fail('process.args[0]', 'is empty (it names the program to run)', 'write the program, e.g. "/bin/sh" or "sh" (looked up in PATH)');

    if (has(p, 'env')) this.envList('process.env', p.env);
    const cwd = this.str('process.cwd', this.required(P, p, 'cwd', 'add "cwd": "/"'));
    if (!isAbs(cwd)) this.fail('process.cwd', `${JSON.stringify(cwd)} is not an absolute path`, 'write the working directory inside the container as an absolute path, e.g. "/"');

    if (has(p, 'capabilities')) this.capabilities(p.capabilities);
    if (has(p, 'rlimits')) this.rlimits(p.rlimits);
    if (has(p, 'noNewPrivileges')) this.bool('process.noNewPrivileges', p.noNewPrivileges);
    if (has(p, 'oomScoreAdj')) this.int('process.oomScoreAdj', p.oomScoreAdj, -1000, 1000);
    for (const k of ['apparmorProfile', 'selinuxLabel'] as const) {
      if (has(p, k) && this.str(`process.${k}`, p[k]) !== '') {
        this.fail(`process.${k}`, `${k === 'apparmorProfile' ? 'AppArmor' : 'SELinux'} is not supported yet`, `remove process.${k} (or set it to "")`);
      }
    }
  }

  private capabilities(v: unknown): void {
    const C = 'process.capabilities';
    const c = this.obj(C, v);
    this.fields(C, c, CAPABILITY_SETS);
    const sets: Record<string, Set<string>> = {};
    let last: number | undefined;
    try {
      last = lastCap();
    } catch {
      last = undefined; // no /proc: the runtime reports that later; validation stays pure
    }
    for (const set of CAPABILITY_SETS) {
      if (!has(c, set)) continue;
      const names = this.strArray(`${C}.${set}`, c[set]);
      names.forEach((name, i) => {
        if (!isCapability(name)) {
          const up = name.toUpperCase();
          const guess = isCapability(up) ? up : isCapability(`CAP_${up}`) ? `CAP_${up}` : undefined;
          this.fail(`${C}.${set}[${i}]`, `unknown capability ${JSON.stringify(name)}`, guess ? `did you mean "${guess}"?` : 'use a name from capabilities(7) with the CAP_ prefix, e.g. "CAP_NET_BIND_SERVICE"');
        }
        if (last !== undefined && capabilityNumber(name) > last) {
          this.warn(`${C}.${set}[${i}]: ${name} is not known to this kernel (cap_last_cap is ${last}); it is skipped, as runc does`);
        }
      });
      sets[set] = new Set(names);
    }
    if (sets.effective) {
      for (const name of sets.effective) {
        if (!sets.permitted?.has(name)) {
          this.fail(`${C}.effective`, `${name} is not in ${C}.permitted (the kernel only lets a permitted capability be effective)`, `add ${name} to ${C}.permitted, or remove it from effective`);
        }
      }
    }
    if (sets.ambient) {
      // runc's own default spec has ambient capabilities without inheritable ones; the kernel refuses to
      // raise those and runc skips them silently. MiniCon accepts the document (it is runc's) but says so.
      const skipped = [...sets.ambient].filter((name) => !sets.permitted?.has(name) || !sets.inheritable?.has(name));
      if (skipped.length > 0) {
        this.warn(`${C}.ambient: ${skipped.join(', ')} ${skipped.length === 1 ? 'is' : 'are'} not in both permitted and inheritable, so the kernel will not raise ${skipped.length === 1 ? 'it' : 'them'} (skipped, as runc does)`);
      }
    }
  }

  private rlimits(v: unknown): void {
    const R = 'process.rlimits';
    const seen = new Map<string, number>();
    const names = Object.keys(RLIMITS);
    this.arr(R, v).forEach((item, i) => {
      const p = `${R}[${i}]`;
      const r = this.obj(p, item);
      this.fields(p, r, ['type', 'soft', 'hard']);
      const type = this.str(`${p}.type`, this.required(p, r, 'type', 'add "type", e.g. "RLIMIT_NOFILE"'));
      if (!Object.prototype.hasOwnProperty.call(RLIMITS, type)) {
        const guess = suggest(type, names) ?? (Object.prototype.hasOwnProperty.call(RLIMITS, `RLIMIT_${type.toUpperCase()}`) ? `RLIMIT_${type.toUpperCase()}` : undefined);
        this.fail(`${p}.type`, `unknown rlimit ${JSON.stringify(type)} (expected one of ${names.join(', ')})`, guess ? `did you mean "${guess}"?` : 'use a name from getrlimit(2), e.g. "RLIMIT_NOFILE"');
      }
      if (seen.has(type)) this.fail(`${p}.type`, `duplicate rlimit ${JSON.stringify(type)} (also ${R}[${seen.get(type)}])`, 'keep one entry per rlimit type');
      seen.set(type, i);
      const soft = this.rlimitNumber(`${p}.soft`, this.required(p, r, 'soft', 'add "soft" (the current limit)'));
      const hard = this.rlimitNumber(`${p}.hard`, this.required(p, r, 'hard', 'add "hard" (the ceiling for soft)'));
      if (soft > hard) this.fail(`${p}.soft`, `${soft} is above the hard limit ${hard}`, `lower soft to at most ${hard}, or raise hard`);
    });
  }

  private rlimitNumber(p: string, v: unknown): number {
    const hint = 'use 0..18446744073709551615 (the last means unlimited)';
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(p, `must be a non-negative integer, got ${describe(v)}`, hint);
    if (v < 0) this.fail(p, `${v} is negative`, hint);
    if (v === RLIM_INFINITY_NUMBER) return v;
    if (!Number.isSafeInteger(v)) this.fail(p, `${v} is too large to be read exactly from JSON`, `use a value up to 9007199254740991, or 18446744073709551615 for unlimited`);
    return v;
  }

  // ----- root, mounts, hooks

  private root(v: unknown): string {
    const r = this.obj('root', v);
    this.fields('root', r, ['path', 'readonly']);
    const p = this.str('root.path', this.required('root', r, 'path', 'add "path": "rootfs" (relative to the bundle)'));
    if (p === '') this.fail('root.path', 'is empty', 'give the root filesystem directory, e.g. "rootfs" (relative to the bundle)');
    if (has(r, 'readonly')) this.bool('root.readonly', r.readonly);
    const abs = path.resolve(this.bundle, p);
    let st;
    try {
      st = statSync(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.fail('root.path', `rootfs ${abs} does not exist`, `create it (e.g. mkdir -p ${abs} and unpack an image into it), or fix root.path (a relative path is relative to the bundle ${this.bundle})`);
      }
      this.fail('root.path', `cannot read rootfs ${abs}: ${code}`, 'check its permissions (run as root?)');
    }
    if (!st.isDirectory()) this.fail('root.path', `rootfs ${abs} is not a directory`, 'point root.path at the directory holding the container\'s files');
    return abs;
  }

  private mounts(v: unknown, bindSources: Array<[number, string]>): void {
    this.arr('mounts', v).forEach((item, i) => {
      const p = `mounts[${i}]`;
      const m = this.obj(p, item);
      for (const k of ['uidMappings', 'gidMappings']) {
        if (has(m, k)) this.fail(`${p}.${k}`, 'id-mapped mounts are not supported yet', `remove ${p}.${k}`);
      }
      this.fields(p, m, ['destination', 'type', 'source', 'options']);
      const dest = this.absPath(`${p}.destination`, this.required(p, m, 'destination', 'add "destination": the absolute path inside the container'), 'destination');
      if (hasDotDot(dest)) this.fail(`${p}.destination`, `${JSON.stringify(dest)} contains ".."`, 'write the destination without ".." components');
      const options = has(m, 'options') ? this.strArray(`${p}.options`, m.options) : [];
      const type = has(m, 'type') ? this.str(`${p}.type`, m.type) : '';
      const bind = type === 'bind' || options.includes('bind') || options.includes('rbind');
      if (!bind && type === '') this.fail(`${p}.type`, 'missing (required unless the mount is a bind mount)', 'give the filesystem type, e.g. "tmpfs", or add "rbind" to options for a bind mount');
      if (has(m, 'source')) {
        const src = this.str(`${p}.source`, m.source);
        if (bind) {
          if (src === '') this.fail(`${p}.source`, 'is empty (a bind mount needs the host path to bind)', 'give the host path; a relative one is relative to the bundle');
          if (!isAbs(src)) bindSources.push([i, path.resolve(this.bundle, src)]);
        }
      } else if (bind) this.fail(`${p}.source`, 'missing (required for a bind mount)', 'give the host path to bind; a relative one is relative to the bundle');
    });
  }

  private hooks(v: unknown): void {
    const h = this.obj('hooks', v);
    this.fields('hooks', h, HOOK_NAMES);
    for (const name of HOOK_NAMES) {
      if (!has(h, name)) continue;
      this.arr(`hooks.${name}`, h[name]).forEach((item, i) => {
        const p = `hooks.${name}[${i}]`;
        const k = this.obj(p, item);
        this.fields(p, k, ['path', 'args', 'env', 'timeout']);
        this.absPath(`${p}.path`, this.required(p, k, 'path', 'add "path": the absolute path of the hook program'));
        if (has(k, 'args')) this.strArray(`${p}.args`, k.args);
        if (has(k, 'env')) this.envList(`${p}.env`, k.env);
        if (has(k, 'timeout')) this.int(`${p}.timeout`, k.timeout, 1, 2147483647, 'give the timeout in seconds, at least 1 (omit it for no timeout)');
      });
    }
  }

  // ----- linux

  private namespaces(v: unknown): void {
    const L = 'linux.namespaces';
    this.arr(L, v).forEach((item, i) => {
      const p = `${L}[${i}]`;
      const n = this.obj(p, item);
      this.fields(p, n, ['type', 'path']);
      const type = this.str(`${p}.type`, this.required(p, n, 'type', `add "type", one of ${NAMESPACE_TYPES.join(', ')}`));
      if (type === 'time') this.fail(`${p}.type`, 'the time namespace is not supported yet', `remove ${p}`);
      if (!(NAMESPACE_TYPES as readonly string[]).includes(type)) {
        const guess = suggest(type, NAMESPACE_TYPES) ?? (type === 'net' ? 'network' : type === 'mnt' ? 'mount' : undefined);
        this.fail(`${p}.type`, `unknown namespace type ${JSON.stringify(type)} (expected one of ${NAMESPACE_TYPES.join(', ')})`, guess ? `did you mean "${guess}"?` : `use one of ${NAMESPACE_TYPES.join(', ')}`);
      }
      const prev = this.ns.get(type);
      if (prev) this.fail(`${p}.type`, `duplicate namespace type ${JSON.stringify(type)} (also ${L}[${prev.index}])`, 'list each namespace type once');
      let nsPath: string | undefined;
      if (has(n, 'path')) {
        nsPath = this.str(`${p}.path`, n.path);
        if (nsPath !== '' && !isAbs(nsPath)) this.fail(`${p}.path`, `${JSON.stringify(nsPath)} is not absolute`, `give the namespace file to join, e.g. "/proc/1234/ns/${type === 'network' ? 'net' : type === 'mount' ? 'mnt' : type}"`);
        if (nsPath === '') nsPath = undefined;
      }
      if (type === 'mount' && nsPath) this.fail(`${p}.path`, 'joining an existing mount namespace is not supported yet', `remove ${p}.path so the container gets a new mount namespace`);
      this.ns.set(type, { index: i, path: nsPath });
    });
  }

  private linux(l: Obj, raw: Obj): void {
    this.fields('linux', l, [
      'namespaces', 'uidMappings', 'gidMappings', 'devices', 'cgroupsPath', 'resources', 'rootfsPropagation',
      'maskedPaths', 'readonlyPaths', 'sysctl', 'seccomp', 'mountLabel', 'personality', 'intelRdt',
    ]);
    this.idMappings(l, raw);
    this.namespaceOrder();
    if (has(l, 'devices')) this.devices(l.devices);
    if (has(l, 'cgroupsPath')) {
      const c = this.str('linux.cgroupsPath', l.cgroupsPath);
      if (hasDotDot(c)) this.fail('linux.cgroupsPath', `${JSON.stringify(c)} contains ".."`, 'write the cgroup path without ".." components, e.g. "/minicon/mycontainer"');
    }
    if (has(l, 'resources')) this.resources(l.resources);
    if (has(l, 'rootfsPropagation')) {
      const r = this.str('linux.rootfsPropagation', l.rootfsPropagation);
      if (!(ROOTFS_PROPAGATIONS as readonly string[]).includes(r)) {
        this.fail('linux.rootfsPropagation', `unknown propagation ${JSON.stringify(r)} (expected one of ${ROOTFS_PROPAGATIONS.join(', ')})`, 'use one of those, e.g. "rprivate"');
      }
    }
    for (const k of ['maskedPaths', 'readonlyPaths'] as const) {
      if (has(l, k)) this.strArray(`linux.${k}`, l[k]).forEach((s, i) => this.absPath(`linux.${k}[${i}]`, s));
    }
    if (has(l, 'sysctl')) this.sysctl(l.sysctl);
    if (has(l, 'seccomp')) this.fail('linux.seccomp', 'is not supported yet', 'remove linux.seccomp (the container then runs without a seccomp filter)');
    if (has(l, 'mountLabel') && this.str('linux.mountLabel', l.mountLabel) !== '') this.fail('linux.mountLabel', 'SELinux mount labels are not supported yet', 'remove linux.mountLabel (or set it to "")');
    if (has(l, 'personality')) this.fail('linux.personality', 'is not supported yet', 'remove linux.personality');
    if (has(l, 'intelRdt')) this.fail('linux.intelRdt', 'is not supported yet', 'remove linux.intelRdt');
  }

  private namespaceOrder(): void {
    const L = 'linux.namespaces';
    // The namespaces are made by clone3, the joins happen after it: a namespace joined together
    // with a new user namespace would be joined from inside it (EACCES), and a new pid namespace
    // beside a joined user namespace would belong to the host's. runc orders these; MiniCon not yet.
    const user = this.ns.get('user');
    const joined = [...this.ns.entries()].find(([t, n]) => t !== 'user' && n.path);
    if (user && !user.path && joined) {
      this.fail(`${L}[${joined[1].index}].path`, 'joining a namespace together with a new user namespace is not supported yet', `remove ${L}[${joined[1].index}].path, or the user namespace`);
    }
    const pid = this.ns.get('pid');
    if (user?.path && pid && !pid.path) {
      this.fail(`${L}[${pid.index}]`, 'a new pid namespace beside a joined user namespace is not supported yet', `join a pid namespace too, or remove ${L}[${user.index}].path`);
    }
  }

  private idMappings(l: Obj, raw: Obj): void {
    const user = this.ns.get('user');
    const maps: Record<string, Array<{ containerID: number; hostID: number; size: number }>> = {};
    for (const k of ['uidMappings', 'gidMappings'] as const) {
      if (!has(l, k)) continue;
      const L = `linux.${k}`;
      const list = this.arr(L, l[k]);
      if (list.length === 0) continue;
      if (!user) this.fail(L, 'needs a user namespace in linux.namespaces', `add {"type": "user"} to linux.namespaces, or remove ${L}`);
      if (user.path) this.fail(L, `cannot be applied to the existing user namespace linux.namespaces[${user.index}].path joins`, `remove ${L}, or remove the path to create a new user namespace`);
      if (list.length > 340) this.fail(L, `has ${list.length} entries (the kernel allows at most 340)`, 'merge adjacent ranges');
      const out: Array<{ containerID: number; hostID: number; size: number }> = [];
      list.forEach((item, i) => {
        const p = `${L}[${i}]`;
        const m = this.obj(p, item);
        this.fields(p, m, ['containerID', 'hostID', 'size']);
        const containerID = this.int(`${p}.containerID`, this.required(p, m, 'containerID', 'add "containerID", the first id inside the container'), 0, MAX_ID, ALL_MAP);
        const hostID = this.int(`${p}.hostID`, this.required(p, m, 'hostID', 'add "hostID", the first id on the host'), 0, MAX_ID, ALL_MAP);
        const size = this.int(`${p}.size`, this.required(p, m, 'size', 'add "size", the number of ids in the range'), 1, MAX_ID + 1, 'use a size of at least 1');
        if (containerID + size > MAX_ID + 1) this.fail(`${p}.size`, `the range ${containerID}..${containerID + size - 1} goes past ${MAX_ID}`, 'shrink the range');
        if (hostID + size > MAX_ID + 1) this.fail(`${p}.size`, `the host range ${hostID}..${hostID + size - 1} goes past ${MAX_ID}`, 'shrink the range');
        for (const [j, o] of out.entries()) {
          if (containerID < o.containerID + o.size && o.containerID < containerID + size) {
            this.fail(`${p}.containerID`, `range ${containerID}..${containerID + size - 1} overlaps ${L}[${j}]`, 'the kernel rejects overlapping ranges; make them disjoint');
          }
          if (hostID < o.hostID + o.size && o.hostID < hostID + size) {
            this.fail(`${p}.hostID`, `host range ${hostID}..${hostID + size - 1} overlaps ${L}[${j}]`, 'the kernel rejects overlapping ranges; make them disjoint');
          }
        }
        out.push({ containerID, hostID, size });
      });
      maps[k] = out;
    }
    if (user && !user.path) {
      for (const k of ['uidMappings', 'gidMappings']) {
        if (!maps[k]) {
          this.fail(`linux.${k}`, `missing: a new user namespace (linux.namespaces[${user.index}]) needs both linux.uidMappings and linux.gidMappings`, `add linux.${k}, e.g. [{"containerID": 0, "hostID": 100000, "size": 65536}]`);
        }
      }
      const inMap = (id: number, m: Array<{ containerID: number; size: number }>) => m.some((r) => id >= r.containerID && id < r.containerID + r.size);
      const u = (raw.process as Obj).user as Obj;
      if (!inMap(u.uid as number, maps.uidMappings)) this.fail('process.user.uid', `${u.uid} is not mapped by linux.uidMappings`, 'map it in linux.uidMappings, or run as a mapped uid');
      if (!inMap(u.gid as number, maps.gidMappings)) this.fail('process.user.gid', `${u.gid} is not mapped by linux.gidMappings`, 'map it in linux.gidMappings, or run as a mapped gid');
      ((u.additionalGids as number[] | undefined) ?? []).forEach((g, i) => {
        if (!inMap(g, maps.gidMappings)) this.fail(`process.user.additionalGids[${i}]`, `${g} is not mapped by linux.gidMappings`, 'map it in linux.gidMappings, or remove it');
      });
    }
  }

  private devices(v: unknown): void {
    const seen = new Map<string, number>();
    this.arr('linux.devices', v).forEach((item, i) => {
      const p = `linux.devices[${i}]`;
      const d = this.obj(p, item);
      this.fields(p, d, ['type', 'path', 'major', 'minor', 'fileMode', 'uid', 'gid']);
      const type = this.str(`${p}.type`, this.required(p, d, 'type', 'add "type": "c" (character), "b" (block), "u" (unbuffered) or "p" (FIFO)'));
      if (!['c', 'b', 'u', 'p'].includes(type)) this.fail(`${p}.type`, `unknown device type ${JSON.stringify(type)} (expected one of c, b, u, p)`, 'use "c" for a character device, "b" for a block device');
      const dp = this.absPath(`${p}.path`, this.required(p, d, 'path', 'add "path", e.g. "/dev/fuse"'));
      if (hasDotDot(dp)) this.fail(`${p}.path`, `${JSON.stringify(dp)} contains ".."`, 'write the path without ".." components');
      if (seen.has(dp)) this.fail(`${p}.path`, `duplicate device ${JSON.stringify(dp)} (also linux.devices[${seen.get(dp)}])`, 'list each device once');
      seen.set(dp, i);
      for (const k of ['major', 'minor']) {
        if (has(d, k)) this.int(`${p}.${k}`, d[k], 0, 4294967295);
        else if (type !== 'p') this.fail(`${p}.${k}`, `missing (required for a type "${type}" device)`, `add "${k}"; \`ls -l ${dp}\` on the host shows major, minor`);
      }
      if (has(d, 'fileMode')) this.int(`${p}.fileMode`, d.fileMode, 0, 0o7777, 'give the permission bits as a decimal number, e.g. 438 for 0666');
      if (has(d, 'uid')) this.int(`${p}.uid`, d.uid, 0, MAX_ID, ALL_MAP);
      if (has(d, 'gid')) this.int(`${p}.gid`, d.gid, 0, MAX_ID, ALL_MAP);
    });
  }

  private resources(v: unknown): void {
    const R = 'linux.resources';
    const r = this.obj(R, v);
    for (const k of ['blockIO', 'hugepageLimits', 'network', 'rdma', 'unified']) {
      if (has(r, k)) this.fail(`${R}.${k}`, 'is not supported yet', `remove ${R}.${k}`);
    }
    this.fields(R, r, ['devices', 'memory', 'cpu', 'pids']);

    if (has(r, 'devices')) {
      this.arr(`${R}.devices`, r.devices).forEach((item, i) => {
        const p = `${R}.devices[${i}]`;
        const d = this.obj(p, item);
        this.fields(p, d, ['allow', 'type', 'major', 'minor', 'access']);
        this.bool(`${p}.allow`, this.required(p, d, 'allow', 'add "allow": true or false'));
        if (has(d, 'type')) {
          const t = this.str(`${p}.type`, d.type);
          if (!['a', 'b', 'c'].includes(t)) this.fail(`${p}.type`, `unknown device type ${JSON.stringify(t)} (expected a, b or c)`, '"a" means all devices, "b" block, "c" character');
        }
        for (const k of ['major', 'minor']) {
          if (Object.prototype.hasOwnProperty.call(d, k) && d[k] !== null && d[k] !== undefined) {
            this.int(`${p}.${k}`, d[k], 0, 4294967295, `give a device number, or omit ${k} to match any`);
          }
        }
        if (has(d, 'access')) {
          const a = this.str(`${p}.access`, d.access);
          if (a === '' || !/^[rwm]+$/.test(a) || new Set(a).size !== a.length) this.fail(`${p}.access`, `${JSON.stringify(a)} is not a combination of r, w, m`, 'use letters from "rwm" (read, write, mknod), each at most once');
        }
      });
    }

    if (has(r, 'memory')) {
      const M = `${R}.memory`;
      const m = this.obj(M, r.memory);
      this.fields(M, m, ['limit', 'reservation', 'swap', 'swappiness', 'disableOOMKiller'], M);
      const bytes = (k: string, min: number): number | undefined => {
        if (!has(m, k)) return undefined;
        const n = this.int(`${M}.${k}`, m[k], -1, Number.MAX_SAFE_INTEGER, `give bytes as a positive integer, or -1 for unlimited`);
        if (n === 0) this.fail(`${M}.${k}`, '0 is not a valid value (runc reads 0 as "not set"; MiniCon does not guess)', `omit ${M}.${k}, or use -1 for unlimited`);
        if (n !== -1 && n < min) this.fail(`${M}.${k}`, `${n} is below the minimum of ${min} bytes (one page)`, `use at least ${min} bytes (the kernel rounds limits down to whole pages), or -1 for unlimited`);
        return n;
      };
      const limit = bytes('limit', MIN_MEMORY_LIMIT);
      const reservation = bytes('reservation', 1);
      const swap = bytes('swap', MIN_MEMORY_LIMIT);
      if (swap !== undefined && swap !== -1) {
        if (limit === undefined) this.fail(`${M}.swap`, `needs ${M}.limit (swap is the memory+swap limit)`, `set ${M}.limit too, or remove swap`);
        if (limit === -1) this.fail(`${M}.swap`, `${swap} limits memory+swap while ${M}.limit is -1 (unlimited)`, `set a memory limit, or set swap to -1`);
        if (swap < limit) this.fail(`${M}.swap`, `${swap} is below ${M}.limit ${limit} (swap is the memory+swap limit, so it must be >= limit)`, `set swap to at least ${limit} (equal means no swap), or -1 for unlimited swap`);
      }
      if (reservation !== undefined && reservation > 0 && limit !== undefined && limit > 0 && reservation > limit) {
        this.fail(`${M}.reservation`, `${reservation} is above ${M}.limit ${limit}`, 'a soft limit above the hard limit never applies; lower the reservation');
      }
      if (has(m, 'swappiness')) this.int(`${M}.swappiness`, m.swappiness, 0, 100);
      if (has(m, 'disableOOMKiller')) this.bool(`${M}.disableOOMKiller`, m.disableOOMKiller);
    }

    if (has(r, 'cpu')) {
      const C = `${R}.cpu`;
      const c = this.obj(C, r.cpu);
      this.fields(C, c, ['shares', 'quota', 'period', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems', 'idle'], C);
      if (has(c, 'shares')) this.int(`${C}.shares`, c.shares, 2, 262144, 'use 2..262144 (1024 is the default weight)');
      if (has(c, 'quota')) {
        const q = this.int(`${C}.quota`, c.quota, -1, Number.MAX_SAFE_INTEGER, 'give microseconds per period, at least 1000, or -1 for no limit');
        if (q !== -1 && q < 1000) this.fail(`${C}.quota`, `${q} is below the kernel's minimum of 1000 µs`, 'use at least 1000 (e.g. 50000 with period 100000 is half a CPU), or -1 for no limit');
      }
      if (has(c, 'period')) this.int(`${C}.period`, c.period, 1000, 1000000, 'use 1000..1000000 µs (100000 is the default)');
      for (const k of ['realtimeRuntime', 'realtimePeriod', 'idle']) {
        if (has(c, k) && this.int(`${C}.${k}`, c[k], Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) !== 0) {
          this.fail(`${C}.${k}`, 'is not supported yet', `remove ${C}.${k} (or set it to 0)`);
        }
      }
      for (const k of ['cpus', 'mems']) {
        if (!has(c, k)) continue;
        const s = this.str(`${C}.${k}`, c[k]);
        const bad = () => this.fail(`${C}.${k}`, `${JSON.stringify(s)} is not a list such as "0-2,4"`, `write comma-separated numbers and ranges, e.g. "0-2,4"${s === '' ? `, or omit ${k}` : ''}`);
        if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(s)) bad();
        for (const part of s.split(',')) {
          const [a, b] = part.split('-').map(Number);
          if (b !== undefined && a > b) this.fail(`${C}.${k}`, `range ${part} in ${JSON.stringify(s)} runs backwards`, `write it as ${b}-${a}`);
        }
      }
    }

    if (has(r, 'pids')) {
      const P = `${R}.pids`;
      const pi = this.obj(P, r.pids);
      this.fields(P, pi, ['limit']);
      this.int(`${P}.limit`, this.required(P, pi, 'limit', 'add "limit": the maximum number of tasks (-1 for unlimited)'), -1, Number.MAX_SAFE_INTEGER, 'use a positive number of tasks, or -1 (or 0) for unlimited');
    }
  }

  private sysctl(v: unknown): void {
    const S = 'linux.sysctl';
    const s = this.obj(S, v);
    const ipcNames = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
    for (const [name, val] of Object.entries(s)) {
      const p = join(S, name);
      this.str(p, val);
      const sep = name.includes('/') ? '/' : '.';
      const parts = name.split(sep);
      if (parts.length < 2 || parts.some((x) => x === '' || x === '.' || x === '..' || !/^[A-Za-z0-9_.:@+-]+$/.test(x)) || (sep === '.' && /[^A-Za-z0-9_.-]/.test(name))) {
        this.fail(p, `${JSON.stringify(name)} is not a valid sysctl name`, 'write it as sysctl(8) does, e.g. "net.ipv4.ip_forward"');
      }
      const dotted = sep === '/' ? parts.join('.') : name;
      if (ipcNames.has(dotted) || dotted.startsWith('fs.mqueue.')) {
        if (!this.ns.has('ipc')) this.fail(p, 'needs an ipc namespace in linux.namespaces (otherwise it would change the host\'s)', `add {"type": "ipc"} to linux.namespaces, or remove ${p}`);
        continue;
      }
      if (dotted.startsWith('net.')) {
        const net = this.ns.get('network');
        if (!net) this.fail(p, 'needs a network namespace in linux.namespaces (otherwise it would change the host\'s)', `add {"type": "network"} to linux.namespaces, or remove ${p}`);
        if (net.path && isHostNetNs(net.path)) this.fail(p, `linux.namespaces[${net.index}].path is the host's network namespace`, `remove ${p}, or join another network namespace`);
        continue;
      }
      if (dotted === 'kernel.hostname') this.fail(p, 'is not allowed; set the hostname with the top-level "hostname" field', `remove ${p} and add "hostname": ${JSON.stringify(val)}`);
      if (dotted === 'kernel.domainname') {
        if (!this.ns.has('uts')) this.fail(p, 'needs a uts namespace in linux.namespaces (otherwise it would change the host\'s)', `add {"type": "uts"} to linux.namespaces, or remove ${p}`);
        continue;
      }
      this.fail(p, 'is not in a separate kernel namespace: setting it would change the host', 'only namespaced sysctls are allowed: net.* (network), kernel.msg*/sem/shm*/fs.mqueue.* (ipc), kernel.domainname (uts)');
    }
  }
}

function isHostNetNs(nsPath: string): boolean {
  try {
    const a = statSync(nsPath);
    const b = statSync('/proc/self/ns/net');
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false; // the runtime reports a missing namespace file when it joins it
  }
}
