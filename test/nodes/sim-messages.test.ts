import { decodeDepth, cameraModelFromInfo, validateColorImage } from '../../src/image';
import { SIM_FRAMES, simCameraTransform, simFrameToMessages } from '../../src/nodes/sim/messages';
import { BinPickingSim, type SimFrame } from '../../src/sim';
import { TfBuffer } from '../../src/tf';

describe('simulator frame → camera topics', () => {
  let frame: SimFrame;
  beforeAll(async () => {
    const sim = await BinPickingSim.random({ count: 4, seed: 9 });
    frame = sim.frame();
    sim.dispose();
  });

  it('publishes rgb8, 16UC1 depth within 0.5 mm, and CameraInfo with the renderer’s intrinsics', () => {
    const stamp = { sec: 5, nanosec: 6 };
    const m = simFrameToMessages(frame, stamp);
    validateColorImage(m.color);
    expect(m.color.header).toEqual({ stamp, frame_id: SIM_FRAMES.camera });
    const model = cameraModelFromInfo(m.info, m.color);
    expect(model).toMatchObject(frame.intrinsics);
    const depth = decodeDepth(m.depth).metres;
    let compared = 0;
    for (let i = 0; i < depth.length; i += 97) {
      if (frame.depth[i] > 0) {
        expect(Math.abs(depth[i] - frame.depth[i])).toBeLessThanOrEqual(0.0005 + 1e-6);
        compared++;
      } else expect(Number.isNaN(depth[i]) || depth[i] === 0).toBe(true);
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('its TF puts a deprojected pixel where the renderer put the surface', () => {
    const tf = new TfBuffer();
    tf.setTransform(simCameraTransform(frame, { sec: 0, nanosec: 0 }), 'test', true);
    const { width, fx, fy, cx, cy } = frame.intrinsics;
    const u = Math.round(cx);
    const v = Math.round(cy);
    const z = frame.depthExact[v * width + u];
    const inCamera = { x: ((u - cx) * z) / fx, y: ((v - cy) * z) / fy, z };
    const world = tf.transformPoint(SIM_FRAMES.world, SIM_FRAMES.camera, inCamera);
    // The bin floor or an object: inside the bin's footprint and below the camera.
    expect(Math.abs(world.x)).toBeLessThan(0.3);
    expect(Math.abs(world.y)).toBeLessThan(0.3);
    expect(world.z).toBeLessThan(frame.cameraPose.position.z);
  });
});
