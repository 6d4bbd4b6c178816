import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodePng } from '../image';
import {
  BinPickingSim,
  contactSheet,
  defaultCameraConfig,
  type FrameOptions,
  loadCell,
  loadScenario,
} from '../sim';

export interface SimRenderOptions {
  readonly seed: number;
  readonly objects: number;
  readonly width: number;
  readonly height: number;
  readonly scenario?: string;
  /** Cell file: the scene of that cell for `seed` (its camera and resolution win over width/height). */
  readonly cell?: string;
  readonly out: string;
}

/** Renders one simulated scene and writes its contact sheet (every label, side by side) as PNG. */
export async function simRender(o: SimRenderOptions): Promise<{ file: string; objects: number }> {
  if (o.scenario && o.cell) throw new Error('give --scenario or --cell, not both');
  const camera = defaultCameraConfig(o.width, o.height);
  let sim: BinPickingSim;
  let frameOptions: FrameOptions = {};
  if (o.cell) {
    const made = await BinPickingSim.fromCell(loadCell(o.cell), o.seed, { size: o });
    sim = made.sim;
    // A cell's look includes its sensor: realism on (its depth model is the sim's frame default).
    frameOptions = { realism: true };
  } else {
    sim = o.scenario
      ? await BinPickingSim.fromScenario(loadScenario(o.scenario), { camera }, o.seed)
      : await BinPickingSim.random({ count: o.objects, seed: o.seed }, { camera });
  }
  try {
    const sheet = contactSheet(sim.frame(frameOptions));
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
