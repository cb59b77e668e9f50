'use strict';
// Temporary fixture trees for the cgroup unit tests (test/unit/cgroups-fixture-*.test.js): regular
// files stand in for cgroupfs files, the tests read back what the code wrote.
//
//   const { tree, read, cleanup } = require('../helpers/cgroup-fixtures')();  // one set per test file
//   test.after(cleanup);
//   const d = tree({ 'memory.max': 'max', 'sub/cgroup.procs': '', 'emptydir/x': null });
//   assert.is(read(d, 'memory.max'), ...);
const fs = require('fs');
const os = require('os');
const path = require('path');

function cgroupFixtures() {
  const tmps = [];
  /** A new temp dir holding files {relative path: content}; a null content only makes the parent dirs. */
  function tree(files) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroups-fixture-'));
    tmps.push(root);
    for (const [rel, content] of Object.entries(files)) {
      const p = path.join(root, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      if (content !== null) fs.writeFileSync(p, content);
    }
    return root;
  }
  const read = (dir, file) => fs.readFileSync(path.join(dir, file), 'utf8');
  /** test.after: removes every tree made by this set */
  function cleanup() { for (const t of tmps.splice(0)) fs.rmSync(t, { recursive: true, force: true }); }
  return { tree, read, cleanup };
}

module.exports = cgroupFixtures;
