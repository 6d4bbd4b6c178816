// The one-command pipeline at the quick budget: data -> train -> export -> int8 -> evaluate, end to end.
// RESULTS.md must show the metrics the pipeline's `results` run printed, and those must be what
// `grasp-perception eval` prints for the same model and data.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runMain } from '../cli/run-main';
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
  // Contract 2 makes an int8 version of every network it trains.
  'fast_graspnext_int8',
  'attendseg_int8',
  'resnet_graspnext_int8',
  'efficientnet_graspnext_int8',
  'mobilenet_graspnext_int8',
  'lraspp_int8',
];

type Metrics = Record<string, number | string | null>;

/** The cells of a model's row in the RESULTS.md table whose header starts so, by column header. */
function resultsRow(text: string, header: string, model: string): Record<string, string> {
  const lines = text.split('\n');
  const h = lines.findIndex((l) => l.startsWith(`| ${header} |`));
  expect(h).toBeGreaterThanOrEqual(0);
  const cells = (l: string) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const names = cells(lines[h]);
  const row = lines.slice(h + 2).find((l) => l.startsWith(`| ${model} |`));
  expect(row).toBeDefined();
  return Object.fromEntries(cells(row!).map((c, i) => [names[i], c]));
}

/** RESULTS.md's percentage: 'n/a' for an undefined metric (NaN, which JSON prints as null). */
const pct = (v: number | string | null) => (v === null ? 'n/a' : (100 * Number(v)).toFixed(1));

test('training/pipeline.py --budget quick: every model and manifest; RESULTS.md shows what eval prints', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-pipeline-'));
  try {
    const out = runPython(['pipeline.py', '--budget', 'quick', '--work', work], {}, FIFTEEN_MINUTES);
    const summary = JSON.parse(out.trim().split('\n').pop()!) as {
      models: string;
      data: string;
      eval_limit: number;
      results: { file: string; perception: Metrics[]; segmentation: Metrics[] };
    };
    const models = path.join(work, 'models');
    expect(summary.models).toBe(models);
    for (const name of NAMES) {
      const { manifest } = loadManifest(path.join(models, `${name}.json`));
      expect(manifest.name).toBe(name);
      expect(manifest.precision).toBe(name.endsWith('_int8') ? 'int8' : 'fp32');
      expect(manifest.training.samples).toBe(64);
      // Input contract v2: letterboxed 4:3 input, height above the support (colour only for segmenters).
      expect(manifest.format_version).toBe(2);
      expect(manifest.input.shape.slice(2)).toEqual([144, 192]);
      expect(manifest.input.contract).toMatchObject({
        version: 2,
        fit: 'letterbox',
        trained_aspects: [1.333],
      });
      expect(Number.isFinite(manifest.metrics.latency_ms_p50)).toBe(true);
    }
    const results = fs.readFileSync(path.join(models, 'RESULTS.md'), 'utf8');
    expect(summary.results.file).toBe(path.join(models, 'RESULTS.md'));
    const printed = [...summary.results.perception, ...summary.results.segmentation];
    expect(printed.map((m) => m.model).sort()).toEqual([...NAMES].sort());
    // Every task metric RESULTS.md shows is the one `results` printed (latency is measured anew each run).
    for (const m of summary.results.perception) {
      const row = resultsRow(results, 'model | camera | input | latency p50 ms', String(m.model));
      expect([m.model, row['amodal bbox AP'], row['visible mask AP'], row['amodal mask AP']]).toEqual([
        m.model,
        pct(m.amodal_bbox_ap),
        pct(m.visible_mask_ap),
        pct(m.amodal_mask_ap),
      ]);
      expect([m.model, row['occlusion acc.'], row['CoM AP'], row['suction MSE']]).toEqual([
        m.model,
        pct(m.occlusion_accuracy),
        pct(m.com_ap),
        Number(m.suction_mse).toFixed(4),
      ]);
      expect(row['latency p50 ms']).toBe(Number(m.latency_ms_p50).toFixed(2));
      expect([m.model, row.camera, row.input, row['occlusion bal. acc.'], row['occluded F1']]).toEqual([
        m.model,
        '320x240',
        '192x144 (v2)',
        pct(m.occlusion_balanced_accuracy),
        pct(m.occlusion_f1),
      ]);
    }
    for (const m of summary.results.segmentation) {
      const row = resultsRow(results, 'model | params | file MB | mIoU', String(m.model));
      expect([m.model, row.mIoU, row['pixel accuracy']]).toEqual([
        m.model,
        pct(m.miou),
        pct(m.pixel_accuracy),
      ]);
    }
    // And `eval` on the same model and data prints the same task metrics (one perception, one
    // segmentation and one int8 model: the evaluation is deterministic, so they agree exactly).
    for (const [task, name] of [
      ['perception', 'fast_graspnext'],
      ['perception', 'resnet_graspnext_int8'],
      ['segmentation', 'attendseg'],
    ]) {
      const model = path.join(models, `${name}.json`);
      const r = await runMain([
        'eval',
        task,
        '--model',
        model,
        '--data',
        summary.data,
        '--limit',
        String(summary.eval_limit),
        '--json',
      ]);
      expect(r.code).toBe(0);
      const fresh = JSON.parse(r.out) as Metrics;
      const shown = printed.find((m) => m.model === name)!;
      const keys =
        task === 'perception'
          ? [
              'amodal_bbox_ap',
              'visible_mask_ap',
              'amodal_mask_ap',
              'occlusion_accuracy',
              'com_ap',
              'suction_mse',
            ]
          : ['miou', 'pixel_accuracy'];
      for (const k of [...keys, 'images', 'split']) expect([name, k, fresh[k]]).toEqual([name, k, shown[k]]);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
