#!/usr/bin/env node
// Camera invariance of the policy: `node scripts/policy-invariance.js [--model M] [--scenes N]
// [--seed-base B] [--objects K] [--realism] [--heightmap point_max|footprint]` prints one JSON object (src/eval/policy-invariance.ts;
// build first: npx tsc -p tsconfig.build.json).
const { parseArgs } = require('node:util');
const path = require('node:path');
const { measurePolicyInvariance } = require('../dist/eval/policy-invariance');

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: path.join(__dirname, '..', 'models', 'policy_reduced_qat.json') },
    scenes: { type: 'string', default: '30' },
    'seed-base': { type: 'string', default: '7001' },
    objects: { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    realism: { type: 'boolean', default: false },
    // point_max (what the shipped policies use) or footprint (camera-independent); default: the manifest's.
    heightmap: { type: 'string' },
  },
});
const integer = (name, lo) => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < lo) {
    process.stderr.write(`policy-invariance: --${name} must be an integer ≥ ${lo}, got '${values[name]}'\n`);
    process.exit(2);
  }
  return v;
};
const options = {
  model: values.model,
  scenes: integer('scenes', 1),
  seedBase: integer('seed-base', 0),
  objects: integer('objects', 1),
  threads: integer('threads', 1),
  realism: values.realism,
  method: values.heightmap,
  onScene: (done, total) => process.stderr.write(`\rpolicy-invariance: scene ${done}/${total}`),
};
measurePolicyInvariance(options).then(
  (r) => {
    process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(r)}\n`);
  },
  (err) => {
    process.stderr.write(`\npolicy-invariance: ${err.message}\n`);
    process.exit(1);
  },
);
