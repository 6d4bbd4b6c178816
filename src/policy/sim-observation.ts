// A simulator frame as the policy sees it: rendered RGB-D with sensor realism → heightmap (plus the
// suction channel when the policy takes one). Shared by training (sim serve), evaluation and calibration.
import { poseToTransform } from '../geometry';
import { type CameraModel } from '../image';
import { type BinPickingSim, type SimFrame } from '../sim';
import { computeHeightmap, type Heightmap, type HeightmapGrid } from './heightmap';
import { type SuctionSource } from './suction';

export const simCameraModel = (f: SimFrame): CameraModel => ({
  ...f.intrinsics,
  distortionModel: 'plumb_bob',
  d: [0, 0, 0, 0, 0],
});

/** 320 x 240 at the sim camera's field of view: the resolution policies train and are evaluated at. */
export const POLICY_CAMERA = { width: 320, height: 240, fx: 307.5, fy: 307.5 };

export async function observeSim(
  sim: BinPickingSim,
  grid: HeightmapGrid,
  o: { realism?: boolean; suction?: SuctionSource } = {},
): Promise<{ frame: SimFrame; heightmap: Heightmap }> {
  const frame = sim.frame({ realism: o.realism ?? true, suction: false });
  const camera = simCameraModel(frame);
  const heat = o.suction ? await o.suction(frame.rgb, frame.depth, camera) : undefined;
  const heightmap = computeHeightmap(
    frame.rgb,
    frame.depth,
    camera,
    poseToTransform(frame.cameraPose),
    grid,
    heat,
  );
  return { frame, heightmap };
}
