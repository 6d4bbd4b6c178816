// Replaying a good bag raises no input fault (issue 12: it began with a false "no depth, camera_info
// messages" WARN while the first frame's colour waited for its depth).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readBag } from '../../src/bag/mcap';
import { recordSim, replay } from '../../src/bag/replay';
import { type DiagnosticArray } from '../../src/msg';

jest.setTimeout(120_000);

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-bagf-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a good bag replays without any WARN or ERROR on /diagnostics', async () => {
  const input = path.join(dir, 'good.mcap');
  const out = path.join(dir, 'good-out.mcap');
  await recordSim({ out: input, frames: 2, seed: 2, objects: 6, width: 640, height: 480, compressed: false });
  const r = await replay({ input, out, segmentation: true });
  expect(r.input_messages).toBe(6);
  const faults: string[] = [];
  let statuses = 0;
  for await (const m of readBag(out, ['/diagnostics'])) {
    for (const s of (m.message as DiagnosticArray).status) {
      statuses++;
      if (s.level !== 0) faults.push(`${s.name}: ${s.message}`);
    }
  }
  expect(statuses).toBeGreaterThan(0);
  expect(faults).toEqual([]);
});
