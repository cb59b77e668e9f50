'use strict';
// `npm run bench`: runs bench/latency.sh (RUNS and MINICON pass through the environment).
const { spawnSync } = require('child_process');
const path = require('path');
const r = spawnSync('bash', [path.join(__dirname, 'latency.sh')], { stdio: 'inherit' });
process.exit(r.status ?? 1);
