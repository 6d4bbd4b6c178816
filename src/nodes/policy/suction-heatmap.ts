// policy_node's second input, perception's suction heatmap, validated like depth: a map the policy
// would read as scores must be a 32FC1 image of finite values in [0, 1], the size of its frame.
import { decodeFloat32Image, ImageFormatError } from '../../image';
import { type Image } from '../../msg';

export type SuctionHeatmapFaultCode =
  | 'SUCTION_HEATMAP_INVALID'
  | 'SUCTION_HEATMAP_NOT_FINITE'
  | 'SUCTION_HEATMAP_OUT_OF_RANGE'
  | 'SUCTION_HEATMAP_SIZE_MISMATCH'
  | 'SUCTION_HEATMAP_MISSING';

export interface SuctionHeatmapFault {
  readonly code: SuctionHeatmapFaultCode;
  readonly message: string;
}

export interface SuctionHeatmap {
  readonly width: number;
  readonly height: number;
  readonly values: Float32Array;
}

/** Scores a network writes can overshoot [0, 1] by float rounding; more is not a score. */
const SCORE_SLACK = 1e-3;

/** Decodes and checks a heatmap message: the map, or the first fault found. */
export function checkSuctionHeatmap(img: Image): SuctionHeatmap | SuctionHeatmapFault {
  let map: SuctionHeatmap;
  try {
    map = decodeFloat32Image(img);
  } catch (err) {
    if (!(err instanceof ImageFormatError)) throw err;
    return { code: 'SUCTION_HEATMAP_INVALID', message: `~/suction_heatmap: ${err.message}` };
  }
  let nonFinite = 0;
  let outside = 0;
  let worst = 0;
  for (const v of map.values) {
    if (!Number.isFinite(v)) nonFinite++;
    else if (v < -SCORE_SLACK || v > 1 + SCORE_SLACK) {
      outside++;
      if (Math.abs(v) > Math.abs(worst)) worst = v;
    }
  }
  const pct = (n: number) => `${((100 * n) / Math.max(1, map.values.length)).toFixed(1)} %`;
  if (nonFinite > 0) {
    return {
      code: 'SUCTION_HEATMAP_NOT_FINITE',
      message: `~/suction_heatmap: ${pct(nonFinite)} of its values are NaN or infinite (scores must be finite)`,
    };
  }
  if (outside > 0) {
    return {
      code: 'SUCTION_HEATMAP_OUT_OF_RANGE',
      message: `~/suction_heatmap: ${pct(outside)} of its values lie outside [0, 1] (e.g. ${worst}); it is not a score map`,
    };
  }
  return map;
}

/** The heatmap must cover its frame pixel for pixel. */
export function checkHeatmapSize(
  map: SuctionHeatmap,
  width: number,
  height: number,
): SuctionHeatmapFault | null {
  if (map.width === width && map.height === height) return null;
  return {
    code: 'SUCTION_HEATMAP_SIZE_MISMATCH',
    message: `~/suction_heatmap is ${map.width}x${map.height} but its frame is ${width}x${height} (remap it to the heatmap of this camera's perception_node)`,
  };
}
