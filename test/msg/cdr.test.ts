import * as fs from 'node:fs';
import * as path from 'node:path';
import { cameraInfoFromModel } from '../../src/image';
import { generateInterfacesSource, GENERATED_FILE } from '../../src/msg/codegen';
import {
  type Image,
  MessageCodecError,
  MessageRegistry,
  PACKAGE_ROOT,
  STANDARD_MESSAGES,
  type TFMessage,
  UnknownMessageTypeError,
} from '../../src/msg';
import { sampleMessage } from './sample-messages';

const registry = new MessageRegistry(undefined, 'jazzy');

const ownInterfaces = [
  ...fs
    .readdirSync(path.join(PACKAGE_ROOT, 'msg'))
    .map((f) => `grasp_perception/msg/${path.basename(f, '.msg')}`),
  ...fs
    .readdirSync(path.join(PACKAGE_ROOT, 'srv'))
    .flatMap((f) =>
      ['Request', 'Response'].map((s) => `grasp_perception/srv/${path.basename(f, '.srv')}_${s}`),
    ),
];

describe('CDR round trip', () => {
  it('covers every interface of msg/ and srv/', () => {
    expect(ownInterfaces.sort()).toEqual([
      'grasp_perception/msg/ObjectInstance',
      'grasp_perception/msg/ObjectInstanceArray',
      'grasp_perception/msg/PushGraspAction',
      'grasp_perception/msg/SimStatus',
      'grasp_perception/msg/SuctionGrasp',
      'grasp_perception/msg/SuctionGraspArray',
      'grasp_perception/srv/DecideAction_Request',
      'grasp_perception/srv/DecideAction_Response',
      'grasp_perception/srv/DetectGrasps_Request',
      'grasp_perception/srv/DetectGrasps_Response',
      'grasp_perception/srv/ResetSim_Request',
      'grasp_perception/srv/ResetSim_Response',
    ]);
  });

  it.each([...ownInterfaces, ...STANDARD_MESSAGES])('%s survives serialize → deserialize', (type) => {
    for (const seed of [1, 2, 3]) {
      const msg = sampleMessage(registry, type, seed);
      const bytes = registry.serialize(type, msg);
      expect(bytes.byteLength).toBeGreaterThan(0);
      expect(registry.deserialize(type, bytes)).toEqual(msg);
    }
  });

  it('a 640×480 rgb8 Image round-trips byte-exactly', () => {
    const data = new Uint8Array(640 * 480 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 7)) & 255;
    const img: Image = {
      header: { stamp: { sec: 1700000000, nanosec: 123456789 }, frame_id: 'camera_color_optical_frame' },
      height: 480,
      width: 640,
      encoding: 'rgb8',
      is_bigendian: 0,
      step: 1920,
      data,
    };
    const bytes = registry.serialize('sensor_msgs/msg/Image', img);
    expect(bytes.byteLength).toBeGreaterThan(data.length);
    const back = registry.deserialize<Image>('sensor_msgs/msg/Image', bytes);
    expect(back.header).toEqual(img.header);
    expect([back.width, back.height, back.step, back.encoding]).toEqual([640, 480, 1920, 'rgb8']);
    expect(Buffer.compare(Buffer.from(back.data), Buffer.from(data))).toBe(0);
  });

  it('CameraInfo keeps its fixed-size K, R, P and variable D', () => {
    const info = cameraInfoFromModel(
      { width: 640, height: 480, fx: 615, fy: 615, cx: 320, cy: 240, d: [0.1, -0.2, 0.001, 0.002, 0] },
      { stamp: { sec: 1, nanosec: 2 }, frame_id: 'cam' },
    );
    expect(
      registry.deserialize(
        'sensor_msgs/msg/CameraInfo',
        registry.serialize('sensor_msgs/msg/CameraInfo', info),
      ),
    ).toEqual(info);
  });

  it('TFMessage with several transforms', () => {
    const tf: TFMessage = {
      transforms: [0, 1].map((i) => ({
        header: { stamp: { sec: 10 + i, nanosec: 0 }, frame_id: 'world' },
        child_frame_id: `frame_${i}`,
        transform: {
          translation: { x: i, y: 2, z: 3 },
          rotation: { x: 0, y: 0, z: Math.SQRT1_2, w: Math.SQRT1_2 },
        },
      })),
    };
    expect(
      registry.deserialize('tf2_msgs/msg/TFMessage', registry.serialize('tf2_msgs/msg/TFMessage', tf)),
    ).toEqual(tf);
  });

  it('unknown types and malformed payloads are typed errors', () => {
    expect(() => registry.serialize('nope/msg/Nothing', {})).toThrow(UnknownMessageTypeError);
    expect(() => registry.deserialize('sensor_msgs/msg/Image', new Uint8Array([0, 1, 0, 0, 9]))).toThrow(
      MessageCodecError,
    );
    const full = registry.serialize(
      'sensor_msgs/msg/Image',
      sampleMessage(registry, 'sensor_msgs/msg/Image'),
    );
    expect(() => registry.deserialize('sensor_msgs/msg/Image', full.subarray(0, full.length - 3))).toThrow(
      /cannot deserialize sensor_msgs\/msg\/Image/,
    );
  });

  it('writes ros2msg schema text with dependencies, as MCAP stores it', () => {
    const schema = registry.schemaText('grasp_perception/msg/SuctionGraspArray');
    expect(schema.split('\n')[0]).toBe('std_msgs/Header header');
    expect(schema).toContain('grasp_perception/SuctionGrasp[] grasps');
    expect(schema).toContain('MSG: grasp_perception/SuctionGrasp');
    expect(schema).toContain('MSG: geometry_msgs/Pose');
    expect(schema).toContain('MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec');
  });
});

describe('generated TypeScript interfaces', () => {
  it('are up to date with msg/ and srv/ (run `npm run gen:msgs` after editing them)', () => {
    expect(fs.readFileSync(GENERATED_FILE, 'utf8')).toBe(generateInterfacesSource());
  });

  it('carry message constants', () => {
    const src = generateInterfacesSource();
    expect(src).toContain('export const PushGraspActionConstants = {\n  PUSH: 0,\n  GRASP: 1,\n} as const;');
    expect(src).toMatch(
      /export interface ObjectInstance \{[^}]*visible_mask: Image;[^}]*occlusion_ratio: number;/,
    );
  });
});
