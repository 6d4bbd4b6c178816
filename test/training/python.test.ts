// The Python unit tests of training/ (output shapes, losses falling when over-fitting, flips, resume).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDataset } from '../../src/dataset';
import { runPython } from './python-tools';

jest.setTimeout(900_000);

test('training/test_training.py passes on a small simulator dataset', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-train-'));
  try {
    await writeDataset({ out: dir, scenes: 12, seed: 5, width: 160, height: 128, split: [100, 0, 0] });
    const out = runPython(['-m', 'unittest', 'test_training'], { GP_TEST_DATA: dir });
    expect(out).toBeDefined();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
