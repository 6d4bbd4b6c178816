#!/usr/bin/env node
// Ends `npm test` with one plain line over every tier ('tests: N passed, N failed, N skipped'), the
// line CI reads, from the lines each tier's runner wrote to build/test-results/*.txt.
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join('build', 'test-results');
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const tier of ['jest', 'ros2']) {
  const file = path.join(dir, `${tier}.txt`);
  const m =
    fs.existsSync(file) && /(\d+) passed, (\d+) failed, (\d+) skipped/.exec(fs.readFileSync(file, 'utf8'));
  if (!m) {
    console.error(`test-summary: ${file} is missing or has no summary line (did the ${tier} tier run?)`);
    process.exit(1);
  }
  totals.passed += Number(m[1]);
  totals.failed += Number(m[2]);
  totals.skipped += Number(m[3]);
}
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
