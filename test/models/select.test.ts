// perception_node's latency_budget_ms and `nas select`: the most accurate candidate whose measured p90
// fits the budget, from injected (fake) timings; the fastest, flagged, when none fits.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Candidate, candidateManifests, manifestAccuracy, selectForBudget } from '../../src/models/select';
import { loadManifest } from '../../src/models/manifest';

const c = (name: string, accuracy: number, p90Ms: number): Candidate => ({ name, file: `${name}.json`, accuracy, p90Ms });
const CANDIDATES = [c('resnet', 0.7, 10.5), c('mobilenet', 0.64, 2.4), c('fast', 0.57, 1.9), c('fast_int8', 0.56, 1.5)];

test('picks the most accurate candidate whose p90 fits, and says which more accurate ones were over budget', () => {
  const s = selectForBudget(CANDIDATES, 3);
  expect(s.choice?.name).toBe('mobilenet');
  expect(s.fits).toBe(true);
  expect(s.reason).toMatch(/^mobilenet \(accuracy 0\.640, p90 2\.40 ms\) is the most accurate of 3\/4 candidates within 3 ms/);
  expect(s.reason).toContain('more accurate but over budget: resnet');
  expect(selectForBudget(CANDIDATES, 100).choice?.name).toBe('resnet');
  expect(selectForBudget(CANDIDATES, 2).choice?.name).toBe('fast');
  // The budget is inclusive: a p90 equal to it fits.
  expect(selectForBudget(CANDIDATES, 1.5).choice?.name).toBe('fast_int8');
});

test('equal accuracy: the faster one; none fits: the fastest, flagged; no candidates: none', () => {
  expect(selectForBudget([c('a', 0.5, 3), c('b', 0.5, 2)], 5).choice?.name).toBe('b');
  const none = selectForBudget(CANDIDATES, 1);
  expect(none).toMatchObject({ fits: false, choice: { name: 'fast_int8' } });
  expect(none.reason).toMatch(/^no candidate's p90 fits 1 ms; the fastest is fast_int8/);
  expect(selectForBudget([], 5)).toMatchObject({ choice: null, fits: false });
});

test("candidates: the package's perception manifests with accuracy metrics; accuracy is the mean of the four APs", () => {
  const dir = path.join(__dirname, '..', '..', 'models');
  const { files } = candidateManifests(dir);
  const names = files.map((f) => path.basename(f, '.json'));
  expect(names).toContain('fast_graspnext');
  expect(names).not.toContain('attendseg'); // segmentation
  expect(names).not.toContain('policy_reduced');
  const m = loadManifest(path.join(dir, 'fast_graspnext.json'), { verifyModel: false }).manifest;
  const expected =
    ['amodal_bbox_ap', 'visible_mask_ap', 'amodal_mask_ap', 'com_ap'].reduce((a, k) => a + Number(m.metrics[k]), 0) / 4;
  expect(manifestAccuracy(m)).toBeCloseTo(expected, 12);
  // A perception manifest without metrics is listed as skipped, not timed.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-select-'));
  try {
    fs.writeFileSync(path.join(tmp, 'x.json'), JSON.stringify({ ...m, name: 'x', metrics: {} }));
    expect(candidateManifests(tmp)).toEqual({ files: [], skipped: [expect.stringMatching(/^x \(no amodal_bbox_ap/)] });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
