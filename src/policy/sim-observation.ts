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

/** The sim camera (a RealSense colour stream's field of view, fx = 615 px at 640 wide) at width x height. */
export const simCamera = (width: number, height: number) => {
  const f = (615 * width) / 640;
  return { width, height, fx: f, fy: f };
};

/** 320 x 240: the reference view of PTQ calibration, the latency bench and the invariance measurement. */
export const POLICY_CAMERA = simCamera(320, 240);

/** sim_node's native 640 x 480: what `eval policy` and the demo run at, as the nodes deliver it. */
export const NATIVE_CAMERA = simCamera(640, 480);

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
