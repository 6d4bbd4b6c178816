// Calibration inputs for a policy's int8 ranges: simulator scenes from training seeds (never the
// evaluation seeds), 1–10 objects so sparse and crowded bins both count, through the node's own
// heightmap and rotation stages.
import { type ModelManifest } from '../models/manifest';
import { BinPickingSim } from '../sim';
import { rotatedInputs } from './actions';
import { policySpecs, usesSuction } from './policy';
import { observeSim, POLICY_CAMERA } from './sim-observation';
import { openSuctionSource } from './suction';

export const CALIBRATION_SEED_BASE = 200_000;

export async function* policyCalibrationInputs(
  m: ModelManifest,
  scenes: number,
): AsyncGenerator<Float32Array> {
  const specs = policySpecs(m);
  const suction = usesSuction(specs) ? await openSuctionSource() : undefined;
  try {
    for (let k = 0; k < scenes; k++) {
      const sim = await BinPickingSim.random(
        { count: 1 + (k % 10), seed: CALIBRATION_SEED_BASE + k },
        { camera: POLICY_CAMERA },
      );
      try {
        const { heightmap } = await observeSim(sim, specs.action.grid, { suction: suction?.source });
        yield rotatedInputs(heightmap, specs.input);
      } finally {
        sim.dispose();
      }
    }
  } finally {
    await suction?.release();
  }
}
