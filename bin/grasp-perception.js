#!/usr/bin/env node
// Entry point of the `grasp-perception` command; the CLI itself is src/cli (compiled to dist/cli).
require('../dist/cli/main.js')
  .main(process.argv)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`grasp-perception: ${err && err.message ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
