'use strict';
// Build step: writes dist/minicon.cache, V8's compiled code for the CLI bundle. Compiled with
// --no-lazy so that every function is in it, not only the top level; the flag is set back before
// the cache is made, since V8 only accepts a cache made under the flags it runs with.
const fs = require('fs');
const v8 = require('v8');
const { script, cacheFile } = require('../bin/load-bundle');

v8.setFlagsFromString('--no-lazy');
const s = script(undefined);
v8.setFlagsFromString('--lazy');
fs.writeFileSync(cacheFile, s.createCachedData());
