'use strict';
// Times whole commands in turn (A B C A B C ...), so that a slow moment of the machine hits every
// command alike. Prints one JSON object: per command its median, min, p90 (ms), runs and failures.
//
//   node bench/alternate.js RUNS [--warmup N] 'name=cmd arg arg' 'name=["cmd","arg with spaces"]' ...
//
// A command is split on spaces, or given as a JSON array of strings; no shell is involved. `@N` in an
// argument becomes a fresh number on every run (for container ids). The first failure's exit status
// and stderr are kept, so a broken command says why.
const { spawnSync } = require('child_process');

const argv = process.argv.slice(2);
let warmup = 2;
const wi = argv.indexOf('--warmup');
if (wi >= 0) { warmup = Number(argv[wi + 1]); argv.splice(wi, 2); }
const runs = Number(argv[0]);
if (!Number.isInteger(runs) || runs < 1 || argv.length < 2) {
  console.error("usage: node alternate.js RUNS [--warmup N] 'name=cmd args' ...");
  process.exit(2);
}
const cmds = argv.slice(1).map(s => {
  const i = s.indexOf('=');
  const spec = s.slice(i + 1);
  const words = spec.startsWith('[') ? JSON.parse(spec) : spec.split(' ').filter(Boolean);
  return { name: s.slice(0, i), argv: words, t: [], failed: 0, firstError: null };
});

let seq = 0;
const subst = a => { seq += 1; const n = `${process.pid}-${seq}`; return a.map(x => x.replace(/@N/g, n)); };

for (let r = -warmup; r < runs; r++) {
  for (const c of cmds) {
    const a = subst(c.argv);
    const t0 = process.hrtime.bigint();
    const p = spawnSync(a[0], a.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (p.status !== 0) {
      c.failed += 1;
      if (!c.firstError) c.firstError = `exit ${p.status ?? p.signal ?? p.error}: ${String(p.stderr || p.error || '').trim().slice(0, 400)}`;
    }
    if (r >= 0) c.t.push(ms);
  }
}

const pick = (a, q) => { const s = [...a].sort((x, y) => x - y); return +s[Math.min(s.length - 1, Math.floor(s.length * q))].toFixed(2); };
const out = {};
for (const c of cmds) {
  out[c.name] = { median: pick(c.t, 0.5), min: pick(c.t, 0), p90: pick(c.t, 0.9), runs: c.t.length, failed: c.failed };
  if (c.firstError) out[c.name].firstError = c.firstError;
}
console.log(JSON.stringify(out));
