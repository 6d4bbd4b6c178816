import { type Bus, type CreateNodeOptions, param } from '../../bus';
import { Diagnostics } from '../diagnostics';
import { type RunningNode } from '../registry';
import {
  checkRgbdInputParameters,
  RGBD_INPUT_PARAMETERS,
  type RgbdFault,
  type RgbdFrame,
  RgbdInput,
  rgbdInputOptions,
  reportRgbdFault,
  reportRgbdFrame,
} from '../rgbd-input';

export const CAMERA_CHECK_PARAMETERS = {
  ...RGBD_INPUT_PARAMETERS,
  diagnostics_period: param.double(1.0, 'Seconds between /diagnostics messages', {
    range: { from: 0.1, to: 10 },
  }),
};

/** Per-frame facts camera_check reports: pure, so they are tested without a bus. */
export function describeFrame(frame: RgbdFrame): {
  validDepthFraction: number;
  depthMin: number;
  depthMax: number;
} {
  const m = frame.depth.metres;
  let valid = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < m.length; i++) {
    const d = m[i];
    if (d > 0) {
      valid++;
      if (d < min) min = d;
      if (d > max) max = d;
    }
  }
  return {
    validDepthFraction: m.length ? valid / m.length : 0,
    depthMin: valid ? min : 0,
    depthMax: valid ? max : 0,
  };
}

/**
 * camera_check_node: is the RGB-D camera wired right? Synchronises colour, aligned depth and camera
 * info, decodes and validates every frame, and reports rates, sync, depth validity and intrinsics on
 * /diagnostics. Every malformed input becomes a WARN naming the fault; the node keeps running.
 */
export async function startCameraCheck(bus: Bus, options: CreateNodeOptions): Promise<RunningNode> {
  const node = bus.createNode('camera_check_node', options);
  const p = node.declareParameters(CAMERA_CHECK_PARAMETERS);
  checkRgbdInputParameters(node, p);
  const diagnostics = new Diagnostics(node, 'rgbd_camera', p.diagnostics_period);
  const started = Date.now();
  let frames = 0;
  let faults = 0;

  const onFrame = (frame: RgbdFrame): void => {
    frames++;
    const facts = describeFrame(frame);
    const elapsed = (Date.now() - started) / 1000;
    const values = {
      frames,
      faults,
      'frame rate (Hz)': (frames / Math.max(elapsed, 1e-3)).toFixed(2),
      resolution: `${frame.camera.width}x${frame.camera.height}`,
      'fx, fy, cx, cy': [frame.camera.fx, frame.camera.fy, frame.camera.cx, frame.camera.cy]
        .map((v) => v.toFixed(1))
        .join(', '),
      'valid depth fraction': facts.validDepthFraction.toFixed(3),
      'depth range (m)': `${facts.depthMin.toFixed(3)} – ${facts.depthMax.toFixed(3)}`,
      'frame id': frame.header.frame_id,
      ...input.counters(),
    };
    if (frame.warnings.length > 0) faults++;
    reportRgbdFrame(
      node,
      diagnostics,
      frame,
      { level: 'ok', message: 'synchronised RGB-D frames decode and validate', values },
      { ...values, faults },
    );
  };

  const onFault = (fault: RgbdFault): void => {
    faults++;
    reportRgbdFault(node, diagnostics, fault, { frames, faults, ...input.counters() });
  };

  const input = new RgbdInput(node, rgbdInputOptions(p), onFrame, onFault);
  diagnostics.report('rgbd input', {
    level: 'warn',
    message: 'waiting for synchronised colour, depth and camera_info',
    values: { frames: 0, faults: 0, ...input.topics() },
  });

  return {
    node,
    diagnostics,
    stop: async () => {
      diagnostics.stop();
      input.destroy();
      node.destroy();
    },
  };
}
