'use strict';
// uvu preload (-r ./test/helpers/setup.js): marks the process as a test run and says when the tests
// cannot do their real work. Keep it light: every test file pays for it.
process.env.MINICON_TEST = '1';

if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  process.stderr.write(
    '\nnotice: MiniCon tests are not running as root (uid ' + process.getuid() + ').\n' +
    '        Integration tests need root for namespaces, mounts and cgroups and will fail or be skipped;\n' +
    '        run them with `sudo npm test`.\n\n');
}
