// The seed protocol: three disjoint ranges, and an evaluator that refuses seeds outside its range.
import { buildProgram } from '../../src/cli/main';
import { evaluatePolicy } from '../../src/eval/policy';
import { CALIBRATION_SEED_BASE } from '../../src/policy/calibration';
import { checkSeeds, SEED_RANGE_NAMES, SEED_RANGES } from '../../src/policy/seeds';

test('training, design and evaluation seed ranges are disjoint; calibration draws from training', () => {
  const ranges = SEED_RANGE_NAMES.map((n) => SEED_RANGES[n]).sort((a, b) => a.first - b.first);
  for (const r of ranges) expect(r.first).toBeLessThanOrEqual(r.last);
  for (let k = 1; k < ranges.length; k++) expect(ranges[k].first).toBeGreaterThan(ranges[k - 1].last);
  const t = SEED_RANGES.training;
  expect(CALIBRATION_SEED_BASE).toBeGreaterThanOrEqual(t.first);
  expect(CALIBRATION_SEED_BASE + 1000).toBeLessThanOrEqual(t.last);
});

test('checkSeeds refuses a run that leaves its range, in one line naming the range', () => {
  const e = SEED_RANGES.evaluation;
  expect(() => checkSeeds('evaluation', e.first, 50, 'x')).not.toThrow();
  expect(() => checkSeeds('evaluation', 1, 50, 'eval policy')).toThrow(
    new RegExp(
      `^eval policy: seeds 1\\.\\.50 are outside the evaluation range ${e.first}\\.\\.${e.last} \\(src/policy/seed-ranges\\.json\\)$`,
    ),
  );
  expect(() => checkSeeds('design', SEED_RANGES.design.last - 5, 10, 'x')).toThrow(
    /outside the design range/,
  );
});

test('eval policy refuses seeds outside its range before loading a model', async () => {
  // A missing model would fail later: the seed check comes first.
  await expect(
    evaluatePolicy({ model: '/nonexistent.json', case: 'random', runs: 3, objects: 3, seedBase: 1 }),
  ).rejects.toThrow(/^eval policy: seeds 1\.\.3 are outside the evaluation range/);
  await expect(
    evaluatePolicy({
      model: '/nonexistent.json',
      case: 'random',
      runs: 3,
      objects: 3,
      seedRange: 'design',
      seedBase: SEED_RANGES.evaluation.first,
    }),
  ).rejects.toThrow(/outside the design range/);
  const err: string[] = [];
  const program = buildProgram({ out: () => undefined, err: (s) => void err.push(s) }, []);
  await expect(
    program.parseAsync(
      [
        'eval',
        'policy',
        '--model',
        '/nonexistent.json',
        '--seed-base',
        '5',
        '--case',
        'random',
        '--runs',
        '2',
      ],
      { from: 'user' },
    ),
  ).rejects.toThrow(/^eval policy: seeds 5\.\.6 are outside the evaluation range/);
});
