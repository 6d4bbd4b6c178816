import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodePng } from '../image';
import { BinPickingSim, contactSheet, loadScenario } from '../sim';

export interface SimRenderOptions {
  readonly seed: number;
  readonly objects: number;
  readonly width: number;
  readonly height: number;
  readonly scenario?: string;
  readonly out: string;
}

/** Renders one simulated scene and writes its contact sheet (every label, side by side) as PNG. */
export async function simRender(o: SimRenderOptions): Promise<{ file: string; objects: number }> {
  const scale = o.width / 640;
  const camera = { width: o.width, height: o.height, fx: 615 * scale, fy: 615 * scale };
  const sim = o.scenario
    ? await BinPickingSim.fromScenario(loadScenario(o.scenario), { camera }, o.seed)
    : await BinPickingSim.random({ count: o.objects, seed: o.seed }, { camera });
  try {
    const sheet = contactSheet(sim.frame());
    const png = encodePng({
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
      width: sheet.width,
      height: sheet.height,
      encoding: 'rgb8',
      is_bigendian: 0,
      step: sheet.width * 3,
      data: sheet.rgb,
    });
    fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
    fs.writeFileSync(o.out, png);
    return { file: o.out, objects: sim.objectsRemaining };
  } finally {
    sim.dispose();
  }
}
