import { type CameraInfo, type Image } from '../msg';
import { type ApproximateTimeOptions, ApproximateTimeSynchronizer } from './approximate-time';

/** A colour image, the depth image aligned to it, and the colour camera's calibration. */
export type RgbdSet = [color: Image, depth: Image, cameraInfo: CameraInfo];

/** Input indices of an RGB-D synchronizer, for `add(RGBD_INPUT.depth, msg)`. */
export const RGBD_INPUT = { color: 0, depth: 1, cameraInfo: 2 } as const;

export type RgbdSynchronizer = ApproximateTimeSynchronizer<RgbdSet>;

/** ApproximateTime over (colour Image, depth Image, CameraInfo). */
export function createRgbdSynchronizer(
  options: Omit<ApproximateTimeOptions, 'inputs'>,
  onSet: (color: Image, depth: Image, cameraInfo: CameraInfo) => void,
): RgbdSynchronizer {
  return new ApproximateTimeSynchronizer<RgbdSet>({ ...options, inputs: 3 }, onSet);
}
