// The one-command pipeline at the quick budget: data -> train -> export -> int8 -> evaluate, end to end.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadManifest } from '../../src/models/manifest';
import { runPython } from './python-tools';

const FIFTEEN_MINUTES = 15 * 60_000;
jest.setTimeout(FIFTEEN_MINUTES);

const NAMES = [
  'fast_graspnext',
  'resnet_graspnext',
  'efficientnet_graspnext',
  'mobilenet_graspnext',
  'attendseg',
  'lraspp',
  'fast_graspnext_int8',
  'attendseg_int8',
  'resnet_graspnext_int8',
];

test('training/pipeline.py --budget quick produces every model, manifest and RESULTS.md', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-pipeline-'));
  try {
    const out = runPython(['pipeline.py', '--budget', 'quick', '--work', work], {}, FIFTEEN_MINUTES);
    const summary = JSON.parse(out.trim().split('\n').pop()!) as { models: string; wall_s: number };
    expect(summary.models).toBe(path.join(work, 'models'));
    for (const name of NAMES) {
      const { manifest } = loadManifest(path.join(work, 'models', `${name}.json`));
      expect(manifest.name).toBe(name);
      expect(manifest.precision).toBe(name.endsWith('_int8') ? 'int8' : 'fp32');
      expect(manifest.training.samples).toBe(64);
      expect(Object.keys(manifest.metrics)).toContain('latency_ms_p50');
    }
    const results = fs.readFileSync(path.join(work, 'models', 'RESULTS.md'), 'utf8');
    for (const name of NAMES) expect(results).toContain(`| ${name} |`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
