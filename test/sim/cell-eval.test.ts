// `eval policy --cell`: random episodes are the cell's scenes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { evaluatePolicy } from '../../src/eval/policy';
import { PACKAGE_ROOT } from '../../src/msg';
import { loadCell } from '../../src/sim';

const model = path.join(PACKAGE_ROOT, 'models', 'policy_reduced_ptq.json');

function tinyCell(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cell-eval-'));
  const file = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(file, 'name: tiny\nobjects:\n  set:\n    - family: box\n      count: 2\n');
  return file;
}

test('eval policy on a cell: its scenes, named in the result; --objects does not apply', async () => {
  const cell = loadCell(tinyCell());
  const r = await evaluatePolicy({ model, case: 'random', runs: 1, objects: 10, cell, maxActions: 3 });
  expect(r).toMatchObject({
    model: 'policy_reduced_ptq',
    case: 'random',
    cell: 'tiny',
    objects: null,
    runs: 1,
  });
  // Two boxes: at most two can be removed, whatever the three actions were.
  expect(r.objects_removed_mean as number).toBeLessThanOrEqual(2);
  expect(r.actions_mean as number).toBeGreaterThanOrEqual(1);
  expect(r.actions_mean as number).toBeLessThanOrEqual(3);
});

test('eval policy --cell with a bad cell: one line naming the file and the key, before any model loads', async () => {
  const file = tinyCell();
  fs.writeFileSync(file, 'name: tiny\nsensor: lidar\n');
  const err: string[] = [];
  const program = buildProgram({ out: () => undefined, err: (s) => void err.push(s) }, []);
  await expect(
    program.parseAsync(['eval', 'policy', '--model', model, '--cell', file, '--runs', '1'], { from: 'user' }),
  ).rejects.toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: sensor: `));
});
