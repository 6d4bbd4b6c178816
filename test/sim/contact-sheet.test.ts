import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { simRender } from '../../src/cli/sim-render';
import { decodePng } from '../../src/image';
import { BinPickingSim, contactSheet } from '../../src/sim';

describe('contact sheet', () => {
  it('lays out eight labelled panels of a frame', async () => {
    const sim = await BinPickingSim.random(
      { count: 3, seed: 4 },
      { camera: { width: 320, height: 240, fx: 307.5, fy: 307.5 } },
    );
    const frame = sim.frame();
    sim.dispose();
    const sheet = contactSheet(frame);
    expect([sheet.width, sheet.height]).toEqual([4 * 320, 2 * (240 + 22)]);
    // The RGB panel (top left, below its title bar) reproduces the frame at the same size.
    const row = 22 + 120;
    const px = (x: number) =>
      Array.from(sheet.rgb.subarray((row * sheet.width + x) * 3, (row * sheet.width + x) * 3 + 3));
    const src = Array.from(frame.rgb.subarray((120 * 320 + 5) * 3, (120 * 320 + 5) * 3 + 3));
    px(5).forEach((v, k) => expect(Math.abs(v - src[k])).toBeLessThanOrEqual(2));
  });

  it('`sim render` writes a PNG', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gp-sheet-')), 'scene.png');
    const r = await simRender({ seed: 2, objects: 4, width: 320, height: 240, out });
    expect(r.objects).toBe(4);
    const img = decodePng(new Uint8Array(fs.readFileSync(out)));
    expect([img.width, img.height, img.encoding]).toEqual([1280, 524, 'rgb8']);
  });
});
