import { cameraInfoFromModel, encodeDepth16 } from '../../image';
import { type CameraInfo, type Header, type Image, type Time, type TransformStamped } from '../../msg';
import { type SimFrame } from '../../sim';

/** Frame names the simulator publishes under (REP 103/105 world, REP 103 optical camera frame). */
export const SIM_FRAMES = { world: 'world', camera: 'camera_color_optical_frame' } as const;

export interface SimRgbdMessages {
  readonly color: Image;
  /** Aligned depth, 16UC1 millimetres with 0 = missing, as a RealSense driver publishes it. */
  readonly depth: Image;
  readonly info: CameraInfo;
}

/** A rendered frame as the three camera topics (pure, so the sim node and the demo share it). */
export function simFrameToMessages(
  frame: SimFrame,
  stamp: Time,
  frameId: string = SIM_FRAMES.camera,
): SimRgbdMessages {
  const header: Header = { stamp, frame_id: frameId };
  const { width, height, fx, fy, cx, cy } = frame.intrinsics;
  return {
    color: { header, height, width, encoding: 'rgb8', is_bigendian: 0, step: width * 3, data: frame.rgb },
    depth: encodeDepth16(frame.depth, width, height, header),
    info: cameraInfoFromModel({ width, height, fx, fy, cx, cy }, header),
  };
}

/** world → camera optical frame, for /tf_static. */
export function simCameraTransform(
  frame: SimFrame,
  stamp: Time,
  frameId: string = SIM_FRAMES.camera,
): TransformStamped {
  const { position, orientation } = frame.cameraPose;
  return {
    header: { stamp, frame_id: SIM_FRAMES.world },
    child_frame_id: frameId,
    transform: { translation: { ...position }, rotation: { ...orientation } },
  };
}
