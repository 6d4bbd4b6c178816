// "Heatmaps into actions": the perception network's suction heatmap, at camera resolution, as an extra
// policy input channel. The policy node takes it from perception_node's ~/suction_heatmap; training
// (sim serve) and evaluation compute it here with the same model and pipeline.
import * as path from 'node:path';
import { type CameraModel } from '../image';
import { PACKAGE_ROOT } from '../msg';
import { openModel } from '../models/session';
import { perceive } from '../perception/pipeline';
import { rgbImage } from '../perception/preprocess';

export const DEFAULT_SUCTION_MODEL = path.join(PACKAGE_ROOT, 'models', 'fast_graspnext.json');

/**
 * The perception model used when the caller names none: $GRASP_SUCTION_MODEL if set (a model not yet
 * in models/, e.g. a retrained one being evaluated: eval policy, calibrate, policy-invariance), else
 * DEFAULT_SUCTION_MODEL.
 */
export const suctionModelPath = (): string => process.env.GRASP_SUCTION_MODEL || DEFAULT_SUCTION_MODEL;

/** Camera-resolution suction scores (0–1) for one RGB-D frame (depth in metres, 0 = missing). */
export type SuctionSource = (
  rgb: Uint8Array,
  depth: Float32Array,
  camera: CameraModel,
) => Promise<Float32Array>;

export async function openSuctionSource(
  o: { model?: string; threads?: number } = {},
): Promise<{ source: SuctionSource; release: () => Promise<void> }> {
  const session = await openModel(o.model ?? suctionModelPath(), { intraOpThreads: o.threads ?? 1 });
  if (session.manifest.task !== 'perception') {
    await session.release();
    throw new Error(
      `${session.file}: suction heatmaps need a perception model, not a ${session.manifest.task} model`,
    );
  }
  const source: SuctionSource = async (rgb, depth, camera) => {
    const { width, height } = camera;
    const out = await perceive(session, {
      color: rgbImage(width, height, rgb),
      depth: { width, height, metres: depth },
      camera,
    });
    return out.suction.data;
  };
  return { source, release: () => session.release() };
}
