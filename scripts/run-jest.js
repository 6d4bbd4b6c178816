#!/usr/bin/env node
// Runs jest and ends with one plain summary line ('jest: N passed, N failed, N skipped') that CI
// systems read, whatever reporter jest used; the exit code is jest's.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gp-jest-')), 'report.json');
const jestBin = require.resolve('jest/bin/jest');
const r = spawnSync(
  process.execPath,
  [jestBin, '--json', `--outputFile=${report}`, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
let summary = 'jest: no report (jest did not finish)';
try {
  const j = JSON.parse(fs.readFileSync(report, 'utf8'));
  const skipped = j.numPendingTests + j.numTodoTests;
  summary = `jest: ${j.numPassedTests} passed, ${j.numFailedTests + j.numRuntimeErrorTestSuites} failed, ${skipped} skipped`;
} catch {
  /* keep the default line */
}
console.log(summary);
// scripts/test-summary.js adds it to the other tiers' counts.
fs.mkdirSync(path.join('build', 'test-results'), { recursive: true });
fs.writeFileSync(path.join('build', 'test-results', 'jest.txt'), `${summary}\n`);
process.exit(r.status ?? 1);
