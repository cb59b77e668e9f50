'use strict';
// Loads dist/minicon.js, the whole CLI in one file (esbuild), with dist/minicon.cache: V8's code for
// it, compiled eagerly at build time (scripts/code-cache.js). With the cache, Node neither parses
// nor compiles the CLI: most of the start latency above Node's own. A cache made by another Node
// version is rejected by V8, and the bundle is compiled as usual.
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { createRequire } = require('module');

const bundle = path.join(__dirname, '..', 'dist', 'minicon.js');
const cacheFile = path.join(__dirname, '..', 'dist', 'minicon.cache');

function script(cachedData) {
  const source = `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(bundle, 'utf8')}\n})`;
  return new vm.Script(source, { filename: bundle, cachedData });
}

function load() {
  let cachedData;
  try { cachedData = fs.readFileSync(cacheFile); } catch { /* not built: compile as usual */ }
  const module = { exports: {}, filename: bundle };
  script(cachedData).runInThisContext()(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
  return module.exports;
}

module.exports = { load, script, cacheFile };
