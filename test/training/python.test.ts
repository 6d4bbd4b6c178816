// The Python unit tests of training/ (output shapes, losses falling when over-fitting, flips, resume),
// run as a script, the way its docstring starts it. unittest's summary must show that every test
// defined in the file ran and none was skipped: a skip (e.g. a missing GP_TEST_DATA) or a test class
// that `python3 test_training.py` does not reach fails here instead of passing silently.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDataset } from '../../src/dataset';
import { runPythonWithStderr, TRAINING_DIR } from './python-tools';

jest.setTimeout(900_000);

/** The `def test_...` methods of the file: what unittest should run. */
function definedTests(file: string): string[] {
  return [...fs.readFileSync(file, 'utf8').matchAll(/^ {4}def (test_\w+)\(/gm)].map((m) => m[1]);
}

/** unittest's verbose result lines (`test_x (module.Class...) ... ok`) and its summary. */
function unittestSummary(stderr: string): {
  ran: number;
  ok: boolean;
  skipped: number;
  names: string[];
} {
  const ran = /^Ran (\d+) tests? in /m.exec(stderr);
  const status = /^(OK|FAILED)(?: \((.*)\))?$/m.exec(stderr);
  const skipped = /skipped=(\d+)/.exec(status?.[2] ?? '');
  return {
    ran: ran ? Number(ran[1]) : 0,
    ok: status?.[1] === 'OK',
    skipped: skipped ? Number(skipped[1]) : 0,
    names: [...stderr.matchAll(/^(test_\w+) \(/gm)].map((m) => m[1]),
  };
}

test('unittest summaries: tests run, skips and failures are read from the output', () => {
  const ok =
    "test_a (m.A.test_a) ... ok\ntest_b (m.A.test_b) ... skipped 'no data'\n\n----\nRan 2 tests in 0.1s\n\nOK (skipped=1)\n";
  expect(unittestSummary(ok)).toEqual({ ran: 2, ok: true, skipped: 1, names: ['test_a', 'test_b'] });
  expect(unittestSummary('Ran 3 tests in 1.0s\n\nFAILED (failures=1)\n')).toMatchObject({
    ran: 3,
    ok: false,
  });
  expect(unittestSummary('')).toMatchObject({ ran: 0, ok: false });
});

test('training/test_training.py: every test it defines runs, none skipped, on a small simulator dataset', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-train-'));
  try {
    await writeDataset({ out: dir, scenes: 12, seed: 5, width: 160, height: 128, split: [100, 0, 0] });
    const { stderr } = runPythonWithStderr(['test_training.py', '-v'], { GP_TEST_DATA: dir });
    const defined = definedTests(path.join(TRAINING_DIR, 'test_training.py'));
    expect(defined.length).toBeGreaterThanOrEqual(14);
    const summary = unittestSummary(stderr);
    expect(summary).toMatchObject({ ok: true, skipped: 0 });
    expect([...summary.names].sort()).toEqual([...defined].sort());
    expect(summary.ran).toBe(defined.length);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
