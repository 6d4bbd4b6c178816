// perception_node fed what launch/gazebo.launch.py wires up, without Gazebo: ros_gz_bridge-shaped
// messages (rgb8 colour, 32FC1 depth in metres with ±inf and NaN where there is no reading, CameraInfo
// as gz-sensors fills it, headers in the sensor's gz_frame_id, simulated time on /clock) and the two
// static transforms the launch reads from the world file. The images are rendered by src/sim from the
// Gazebo camera's pose and field of view, so the grasps can be checked against the scene.
import { InProcessBus, LogConfig, type LogRecord, QOS_CLOCK, QOS_DEFAULT } from '../../src/bus';
import {
  angleBetweenQuaternions,
  composeTransforms,
  quaternionFromMatrix,
  rotateVector,
} from '../../src/geometry';
import { cameraInfoFromModel } from '../../src/image';
import { type Header, type Image, type SuctionGraspArray, type Time } from '../../src/msg';
import { nodeEntry, type RunningNode } from '../../src/nodes';
import {
  BACKGROUND_CLASS,
  BIN_CLASS,
  createCamera,
  DEFAULT_BIN,
  DEFAULT_LOOK_AT,
  emptyScene,
  makeObject,
  pixelDirection,
  projectPoint,
  renderFrame,
  SEMANTIC_CLASSES,
} from '../../src/sim';
import { StaticTransformBroadcaster } from '../../src/tf';
import { focalFromFov, launchCameraFrames, toRigidTransform, worldFromOptical } from './gazebo-files';

jest.setTimeout(120_000);

const frames = launchCameraFrames();
const cam = frames.camera;
/** gz-sensors' camera_info (gz-rendering projectionToCameraIntrinsic): fx = fy from the FOV, centre W/2, H/2. */
const gzInfo = {
  width: cam.width,
  height: cam.height,
  fx: focalFromFov(cam.width, cam.horizontal_fov),
  fy: focalFromFov(cam.width, cam.horizontal_fov),
  cx: cam.width / 2,
  cy: cam.height / 2,
};
/**
 * Where Gazebo renders from: the sensor's world pose (the launch's world -> camera link, which
 * sdf.test.ts checks against SDFormat) in Gazebo's camera convention, written out here rather than
 * taken from the launch so that a wrong camera link -> optical transform there fails this test. The
 * link looks along +x with +z up; image right is −y, image down is −z (columns: optical x, y, z).
 */
const GZ_LINK_TO_OPTICAL = quaternionFromMatrix([0, 0, 1, -1, 0, 0, 0, -1, 0]);
const renderPose = composeTransforms(toRigidTransform(frames.transforms[0]), {
  translation: { x: 0, y: 0, z: 0 },
  rotation: GZ_LINK_TO_OPTICAL,
});
/**
 * OGRE renders a symmetric frustum whose axis passes between the two middle pixels, i.e. at
 * ((W−1)/2, (H−1)/2) with pixel centres at integers. gz's camera_info says (W/2, H/2): half a pixel
 * (0.5 mm at the bin) that the node, reading camera_info, inherits.
 */
const renderCamera = createCamera({
  width: cam.width,
  height: cam.height,
  fx: gzInfo.fx,
  fy: gzInfo.fy,
  pose: { position: renderPose.translation, orientation: renderPose.rotation },
});
const eye = renderPose.translation;
const opticalAxis = rotateVector(renderPose.rotation, { x: 0, y: 0, z: 1 });
/** Rows the test blanks as "no return" (+inf, as Gazebo publishes beyond the far clip). */
const NO_RETURN_ROWS = 12;
const BOX_TOP = 0.04;

function until(done: () => boolean, ms = 60_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (done()) resolve();
      else if (Date.now() - start > ms) reject(new Error(`nothing within ${ms} ms`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

/** The bin with one spawnable model per family; a box (worlds/models/box) under the image centre. */
function gazeboScene() {
  const scene = emptyScene(11);
  const look = (color: [number, number, number]) => ({
    appearance: {
      color,
      secondaryColor: color.map((c) => c * 0.8) as typeof color,
      pattern: 'solid' as const,
      scale: 0.02,
    },
  });
  scene.objects.push(
    makeObject(
      1,
      { kind: 'box', size: [0.08, 0.06, 0.04] },
      { x: 0, y: 0, z: BOX_TOP / 2 },
      look([0.8, 0.3, 0.2]),
    ),
    makeObject(
      2,
      { kind: 'cylinder', radius: 0.03, length: 0.08 },
      { x: 0.13, y: 0.11, z: 0.04 },
      look([0.2, 0.6, 0.8]),
    ),
    makeObject(3, { kind: 'sphere', radius: 0.03 }, { x: -0.13, y: 0.1, z: 0.03 }, look([0.9, 0.8, 0.2])),
    makeObject(
      4,
      { kind: 'capsule', radius: 0.02, length: 0.09 },
      { x: 0.12, y: -0.12, z: 0.02 },
      {
        ...look([0.5, 0.8, 0.3]),
        orientation: { x: Math.SQRT1_2, y: 0, z: 0, w: Math.SQRT1_2 },
      },
    ),
    makeObject(
      5,
      { kind: 'l_block', length: 0.09, legLength: 0.07, width: 0.03, thickness: 0.03 },
      { x: -0.13, y: -0.12, z: 0.015 },
      look([0.7, 0.4, 0.8]),
    ),
  );
  return scene;
}

/** One rendered frame as ros_gz_bridge publishes the sensor's three topics. */
function bridgeMessages(stamp: Time) {
  const frame = renderFrame(gazeboScene(), renderCamera, { realism: false, suction: false });
  const header: Header = { stamp, frame_id: frames.optical_frame };
  const { width: w, height: h } = frame;
  const depth = new Float32Array(w * h);
  for (let i = 0; i < depth.length; i++) {
    const d = frame.depthExact[i];
    // gz-sensors: ≥ far → +inf, ≤ near → −inf (REP 117); nothing hit reads beyond the far clip.
    depth[i] = d === 0 || d >= cam.depth_far ? Infinity : d <= cam.depth_near ? -Infinity : d;
    if (Math.floor(i / w) < NO_RETURN_ROWS) depth[i] = Infinity;
    else if (i % 101 === 0) depth[i] = NaN;
  }
  const color: Image = {
    header,
    height: h,
    width: w,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: w * 3,
    data: frame.rgb,
  };
  const depthImage: Image = {
    header,
    height: h,
    width: w,
    encoding: '32FC1',
    is_bigendian: 0,
    step: w * 4,
    data: new Uint8Array(depth.buffer),
  };
  return { color, depth: depthImage, info: cameraInfoFromModel(gzInfo, header) };
}

describe('the Gazebo camera geometry (launch TF from the world file)', () => {
  it("the image-centre ray hits the bin floor at the bin centre, the sim camera's look-at point", () => {
    const t = -eye.z / opticalAxis.z;
    expect(eye.x + t * opticalAxis.x).toBeCloseTo(DEFAULT_LOOK_AT.target.x, 6);
    expect(eye.y + t * opticalAxis.y).toBeCloseTo(DEFAULT_LOOK_AT.target.y, 6);
    // The pixel gz's camera_info calls the centre is off by half a pixel: under a millimetre at the floor.
    const ray = pixelDirection(renderCamera, gzInfo.cx, gzInfo.cy);
    const s = -eye.z / ray.z;
    expect(Math.hypot(eye.x + s * ray.x, eye.y + s * ray.y)).toBeLessThan(0.001);
    // Image right is world +x and image up is world +y, as in the sim.
    expect(rotateVector(renderPose.rotation, { x: 1, y: 0, z: 0 }).x).toBeCloseTo(1, 9);
    expect(rotateVector(renderPose.rotation, { x: 0, y: -1, z: 0 }).y).toBeGreaterThan(0.98);
    // The chain the launch publishes is that camera.
    const launched = worldFromOptical(frames);
    expect(angleBetweenQuaternions(launched.rotation, renderPose.rotation)).toBeLessThan(1e-6);
  });
});

describe('our nodes on ros_gz_bridge-shaped messages', () => {
  let bus: InProcessBus | undefined;
  const running: RunningNode[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    await bus?.shutdown();
    bus = undefined;
  });

  it('publishes grasps in the world frame; the one at the image centre lands on the box under it', async () => {
    const logs: LogRecord[] = [];
    bus = new InProcessBus({
      argv: ['--ros-args', '-p', `grasp_frame_id:=${frames.world_frame}`, '-p', 'use_sim_time:=true'],
      logConfig: new LogConfig('info', (r) => logs.push(r)),
    });
    running.push(await nodeEntry('perception_node').start(bus, { namespace: '/camera' }));
    // tf2_ros static_transform_publisher ×2, as the launch runs them.
    const tfStatic = new StaticTransformBroadcaster(bus.createNode('tf_static_publishers'));
    const origin: Time = { sec: 0, nanosec: 0 };
    tfStatic.send(
      ...frames.transforms.map((t) => {
        const r = toRigidTransform(t);
        return {
          header: { stamp: origin, frame_id: t.frame_id },
          child_frame_id: t.child_frame_id,
          transform: { translation: r.translation, rotation: r.rotation },
        };
      }),
    );
    // ros_gz_bridge: gz topics remapped onto the names the launch gives (camera namespace /camera).
    const bridge = bus.createNode('gz_camera_bridge');
    const pub = {
      color: bridge.createPublisher('sensor_msgs/msg/Image', '/camera/color/image_raw', QOS_DEFAULT),
      depth: bridge.createPublisher('sensor_msgs/msg/Image', '/camera/aligned_depth/image_raw', QOS_DEFAULT),
      info: bridge.createPublisher('sensor_msgs/msg/CameraInfo', '/camera/color/camera_info', QOS_DEFAULT),
      clock: bridge.createPublisher('rosgraph_msgs/msg/Clock', '/clock', QOS_CLOCK),
    };
    const got: SuctionGraspArray[] = [];
    bus
      .createNode('planner')
      .createSubscription(
        'grasp_perception/msg/SuctionGraspArray',
        '/camera/perception_node/suction_grasps',
        QOS_DEFAULT,
        (m) => void got.push(m),
      );
    // Simulated time well away from the wall clock; the scene is static, so one render serves every frame.
    let frameIndex = 0;
    const first = bridgeMessages({ sec: 42, nanosec: 0 });
    const stampOf = (i: number): Time => ({
      sec: 42 + Math.floor(i / 15),
      nanosec: Math.round(((i % 15) / 15) * 1e9),
    });
    const publishFrame = () => {
      const header: Header = { stamp: stampOf(frameIndex++), frame_id: frames.optical_frame };
      pub.clock.publish({ clock: header.stamp });
      pub.color.publish({ ...first.color, header });
      pub.depth.publish({ ...first.depth, header });
      pub.info.publish({ ...first.info, header });
    };
    const timer = setInterval(publishFrame, 200);
    try {
      publishFrame();
      await until(() => got.length > 0);
    } finally {
      clearInterval(timer);
    }

    const msg = got[0];
    expect(msg.header.frame_id).toBe('world');
    // Stamped with a frame's simulated time (not the wall clock).
    const published = Array.from({ length: frameIndex }, (_, i) => stampOf(i));
    expect(published).toContainEqual(msg.header.stamp);
    expect(msg.grasps.length).toBeGreaterThan(0);
    for (const g of msg.grasps) {
      const p = g.pose.position;
      expect(g.v).toBeGreaterThanOrEqual(NO_RETURN_ROWS); // nothing where depth had no return
      expect(Math.abs(p.x)).toBeLessThan(0.224);
      expect(Math.abs(p.y)).toBeLessThan(0.224);
      expect(p.z).toBeGreaterThan(-0.005);
      expect(p.z).toBeLessThan(0.1);
    }
    // The grasp nearest the image centre: on the box top, where that pixel's ray meets it.
    const centre = [...msg.grasps].sort(
      (a, b) => Math.hypot(a.u - gzInfo.cx, a.v - gzInfo.cy) - Math.hypot(b.u - gzInfo.cx, b.v - gzInfo.cy),
    )[0];
    expect(Math.hypot(centre.u - gzInfo.cx, centre.v - gzInfo.cy)).toBeLessThan(40);
    const ray = pixelDirection(renderCamera, centre.u, centre.v);
    const t = (BOX_TOP - eye.z) / ray.z;
    const expected = { x: eye.x + t * ray.x, y: eye.y + t * ray.y, z: BOX_TOP };
    const p = centre.pose.position;
    const errorMm = 1000 * Math.hypot(p.x - expected.x, p.y - expected.y, p.z - expected.z);
    expect(errorMm).toBeLessThan(3);
    // On the box (0.08 × 0.06 at the bin centre), near the point the optical axis meets its top.
    expect(Math.abs(p.x)).toBeLessThan(0.04);
    expect(Math.abs(p.y)).toBeLessThan(0.03);
    const s = (BOX_TOP - eye.z) / opticalAxis.z;
    const axisHit = { x: eye.x + s * opticalAxis.x, y: eye.y + s * opticalAxis.y };
    expect(Math.hypot(p.x - axisHit.x, p.y - axisHit.y)).toBeLessThan(0.03);
    // Approach (pose z axis) straight down into the flat top.
    const approach = rotateVector(centre.pose.orientation, { x: 0, y: 0, z: 1 });
    expect(approach.z).toBeLessThan(-Math.cos((15 * Math.PI) / 180));
    expect(logs.filter((r) => r.level === 'error' || r.level === 'fatal').map((r) => r.message)).toEqual([]);
  });
  it('segmentation_node labels the bridged rgb8 image: box under the centre, bin floor, table', async () => {
    bus = new InProcessBus({ argv: ['--ros-args', '-p', 'use_sim_time:=true'] });
    running.push(await nodeEntry('segmentation_node').start(bus, { namespace: '/camera' }));
    const bridge = bus.createNode('gz_camera_bridge');
    const color = bridge.createPublisher('sensor_msgs/msg/Image', '/camera/color/image_raw', QOS_DEFAULT);
    const labels: Image[] = [];
    bus
      .createNode('viewer')
      .createSubscription(
        'sensor_msgs/msg/Image',
        '/camera/segmentation_node/labels',
        QOS_DEFAULT,
        (m) => void labels.push(m),
      );
    const stamp: Time = { sec: 42, nanosec: 0 };
    const { color: image } = bridgeMessages(stamp);
    const timer = setInterval(() => color.publish(image), 200);
    try {
      color.publish(image);
      await until(() => labels.length > 0);
    } finally {
      clearInterval(timer);
    }
    const out = labels[0];
    expect([out.width, out.height, out.encoding]).toEqual([cam.width, cam.height, 'mono8']);
    expect(out.header).toEqual(image.header);
    /** Most frequent label in a 9×9 patch around the world point's pixel. */
    const labelAt = (p: { x: number; y: number; z: number }): number => {
      const { u, v } = projectPoint(renderCamera, p);
      const counts = new Map<number, number>();
      for (let dv = -4; dv <= 4; dv++)
        for (let du = -4; du <= 4; du++) {
          const k = out.data[(Math.round(v) + dv) * out.step + Math.round(u) + du];
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
      return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    };
    // An object class on the box (which family is the model's accuracy, not the wiring: the shipped
    // AttendSeg calls this plain box an l_block), the bin's floor beside it, the table outside the bin.
    const objectClasses = SEMANTIC_CLASSES.filter((c) => c.id !== BACKGROUND_CLASS && c.id !== BIN_CLASS).map(
      (c) => c.id,
    );
    expect(objectClasses).toContain(labelAt({ x: 0, y: 0, z: BOX_TOP }));
    expect(labelAt({ x: 0, y: 0.15, z: 0 })).toBe(BIN_CLASS);
    expect(labelAt({ x: 0.3, y: 0, z: -DEFAULT_BIN.floorThickness })).toBe(BACKGROUND_CLASS);
  });
});
