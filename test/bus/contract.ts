import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type Bus,
  type CreateNodeOptions,
  param,
  ParameterValidationError,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
  QOS_TRANSIENT_LOCAL,
  qos,
  ServiceTimeoutError,
} from '../../src/bus';
import { type Image, type SuctionGraspArray } from '../../src/msg';
import { afterEach, describe, expect, it } from '../support/test-api';

export type BusFactory = (argv?: string[]) => Promise<Bus>;

function image(seq: number): Image {
  return {
    header: { stamp: { sec: seq, nanosec: 0 }, frame_id: 'camera_color_optical_frame' },
    height: 2,
    width: 2,
    encoding: 'mono8',
    is_bigendian: 0,
    step: 2,
    data: new Uint8Array([seq & 255, 0, 0, 0]),
  };
}

function tmpParams(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-params-'));
  const file = path.join(dir, 'params.yaml');
  fs.writeFileSync(file, text);
  return file;
}

/**
 * The behaviour every Bus implementation must show. Runs against the in-process bus under jest and
 * against rclnodejs over DDS in the ROS 2 tier (test/ros, under node's test runner).
 */
export function busContract(name: string, makeBus: BusFactory): void {
  describe(`bus contract: ${name}`, () => {
    let bus: Bus;
    const node = (n: string, o?: CreateNodeOptions) => bus.createNode(n, o);
    afterEach(async () => {
      await bus?.shutdown();
    });

    it('delivers messages in publish order with their content', async () => {
      bus = await makeBus();
      const got: number[] = [];
      node('listener').createSubscription('sensor_msgs/msg/Image', '/images', QOS_DEFAULT, (m) => {
        got.push(m.header.stamp.sec);
      });
      const pub = node('talker').createPublisher('sensor_msgs/msg/Image', '/images', QOS_DEFAULT);
      for (let i = 0; i < 5; i++) pub.publish(image(i));
      await bus.settle();
      expect(got).toEqual([0, 1, 2, 3, 4]);
    });

    it('a burst of 100 images to a depth-1 best-effort subscription delivers the newest', async () => {
      bus = await makeBus();
      const got: number[] = [];
      const sub = node('listener').createSubscription(
        'sensor_msgs/msg/Image',
        'burst',
        qos({ reliability: 'best_effort', depth: 1 }),
        (m) => {
          got.push(m.data[0]);
        },
      );
      const pub = node('camera').createPublisher('sensor_msgs/msg/Image', 'burst', QOS_SENSOR_DATA);
      for (let i = 0; i < 100; i++) pub.publish(image(i));
      await bus.settle();
      expect(got[got.length - 1]).toBe(99);
      expect(got.length).toBeLessThan(100);
      if (bus.kind === 'inprocess') expect(sub.stats()).toEqual({ received: 1, dropped: 99 });
    });

    it('a transient-local publisher’s last message reaches a late subscriber', async () => {
      bus = await makeBus();
      const pub = node('status').createPublisher('sensor_msgs/msg/Image', '/latched', QOS_TRANSIENT_LOCAL);
      pub.publish(image(1));
      pub.publish(image(2));
      await bus.settle();
      const got: number[] = [];
      node('late').createSubscription('sensor_msgs/msg/Image', '/latched', QOS_TRANSIENT_LOCAL, (m) => {
        got.push(m.data[0]);
      });
      await bus.settle();
      expect(got).toEqual([2]);
    });

    it('a volatile late subscriber gets no history', async () => {
      bus = await makeBus();
      const pub = node('status').createPublisher('sensor_msgs/msg/Image', '/latched', QOS_TRANSIENT_LOCAL);
      pub.publish(image(1));
      await bus.settle();
      const got: number[] = [];
      node('late').createSubscription('sensor_msgs/msg/Image', '/latched', QOS_DEFAULT, (m) => {
        got.push(m.data[0]);
      });
      await bus.settle();
      expect(got).toEqual([]);
    });

    it('a reliable subscription does not match a best-effort publisher', async () => {
      bus = await makeBus();
      const got: number[] = [];
      const sub = node('listener').createSubscription('sensor_msgs/msg/Image', '/x', QOS_DEFAULT, (m) => {
        got.push(m.data[0]);
      });
      const pub = node('camera').createPublisher('sensor_msgs/msg/Image', '/x', QOS_SENSOR_DATA);
      await bus.settle();
      pub.publish(image(7));
      await bus.settle();
      expect(got).toEqual([]);
      expect(pub.subscriptionCount()).toBe(0);
      expect(sub.publisherCount()).toBe(0);
    });

    it('resolves relative, private and absolute names in namespaces as ROS 2 does', async () => {
      bus = await makeBus();
      const n = node('detector', { namespace: '/robot1' });
      expect(n.fullyQualifiedName).toBe('/robot1/detector');
      expect(n.resolveTopicName('camera/image_raw')).toBe('/robot1/camera/image_raw');
      expect(n.resolveTopicName('~/suction_grasps')).toBe('/robot1/detector/suction_grasps');
      expect(n.resolveTopicName('/diagnostics')).toBe('/diagnostics');
      expect(n.resolveTopicName('{node}/debug')).toBe('/robot1/detector/debug');
    });

    it('applies process-wide and node-local remaps to names and to delivery', async () => {
      bus = await makeBus([
        '--ros-args',
        '-r',
        '/camera/color/image_raw:=/cam/rgb',
        '-r',
        'listener:out:=/remapped',
      ]);
      const listener = node('listener');
      const camera = node('camera');
      expect(listener.resolveTopicName('/camera/color/image_raw')).toBe('/cam/rgb');
      expect(listener.resolveTopicName('out')).toBe('/remapped');
      expect(camera.resolveTopicName('out')).toBe('/out');
      const local = node('viewer', { namespace: 'ns', arguments: ['-r', 'image:=/cam/rgb'] });
      expect(local.resolveTopicName('image')).toBe('/cam/rgb');
      const got: number[] = [];
      local.createSubscription('sensor_msgs/msg/Image', 'image', QOS_DEFAULT, (m) => {
        got.push(m.data[0]);
      });
      camera
        .createPublisher('sensor_msgs/msg/Image', '/camera/color/image_raw', QOS_DEFAULT)
        .publish(image(5));
      await bus.settle();
      expect(got).toEqual([5]);
    });

    it('renames a node and its namespace with __node and __ns', async () => {
      bus = await makeBus(['--ros-args', '-r', '__ns:=/cell2', '-r', 'perception_node:__node:=vision']);
      const n = node('perception_node');
      expect(n.fullyQualifiedName).toBe('/cell2/vision');
      expect(n.resolveTopicName('~/grasps')).toBe('/cell2/vision/grasps');
    });

    it('serves and calls services; a missing service times out with a clear error', async () => {
      bus = await makeBus();
      const server = node('perception_node');
      server.createService('grasp_perception/srv/DetectGrasps', '~/detect', (req) => ({
        success: true,
        message: `timeout was ${req.timeout}`,
        grasps: {
          header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'cam' },
          grasps: [],
        } as SuctionGraspArray,
        instances: { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'cam' }, instances: [] },
      }));
      const client = node('planner').createClient(
        'grasp_perception/srv/DetectGrasps',
        '/perception_node/detect',
      );
      const res = await client.call({ timeout: 1.5 }, 2000);
      expect(res.success).toBe(true);
      expect(res.message).toBe('timeout was 1.5');
      const missing = node('planner2').createClient('grasp_perception/srv/DetectGrasps', '/nobody/detect');
      await expect(missing.call({ timeout: 0 }, 100)).rejects.toThrow(ServiceTimeoutError);
      await expect(missing.call({ timeout: 0 }, 100)).rejects.toThrow(
        "service '/nobody/detect' is not available",
      );
    });

    it('declares parameters with overrides from params files (wildcards, nesting) and -p', async () => {
      const file = tmpParams(
        [
          '/**:',
          '  ros__parameters:',
          '    score_threshold: 0.4',
          '/robot/perception_node:',
          '  ros__parameters:',
          '    max_grasps: 7',
          '    model:',
          '      path: models/fast.json',
        ].join('\n'),
      );
      bus = await makeBus(['--ros-args', '--params-file', file, '-p', 'perception_node:mode:=triggered']);
      const n = node('perception_node', { namespace: '/robot' });
      const p = n.declareParameters({
        score_threshold: param.double(0.5, 'Minimum score', { range: { from: 0, to: 1 } }),
        max_grasps: param.integer(10, 'Grasps per frame', { range: { from: 1, to: 100 } }),
        'model.path': param.string('', 'Manifest'),
        mode: param.string('continuous', 'Mode', { choices: ['continuous', 'triggered'] }),
        frame: param.string('camera', 'Frame'),
      });
      expect(p).toEqual({
        score_threshold: 0.4,
        max_grasps: 7,
        'model.path': 'models/fast.json',
        mode: 'triggered',
        frame: 'camera',
      });
      expect(n.getParameter('max_grasps')).toBe(7);
      expect(n.describeParameter('score_threshold').range).toEqual({ from: 0, to: 1 });
    });

    it('a wrong type or out-of-range value in a params file is one error naming the parameter and the file', async () => {
      const file = tmpParams(
        'perception_node:\n  ros__parameters:\n    score_threshold: 1.5\n    max_grasps: "ten"\n',
      );
      bus = await makeBus(['--ros-args', '--params-file', file]);
      const n = node('perception_node');
      let err: unknown;
      try {
        n.declareParameter(
          'score_threshold',
          param.double(0.5, 'Minimum score', { range: { from: 0, to: 1 } }),
        );
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ParameterValidationError);
      expect((err as Error).message).toContain("parameter 'score_threshold'");
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toContain('double in [0, 1], got 1.5');
      expect(() => n.declareParameter('max_grasps', param.integer(10, 'n'))).toThrow(
        /parameter 'max_grasps' of node '\/perception_node' \(.*params\.yaml\): expected integer, got "ten"/,
      );
    });

    it('set_parameters validates ranges, protects read-only parameters and honours on-set vetoes', async () => {
      bus = await makeBus();
      const n = node('perception_node');
      n.declareParameter('threshold', param.double(0.5, 'Threshold', { range: { from: 0, to: 1 } }));
      n.declareParameter('model_file_path', param.string('a.json', 'Model', { readOnly: true }));
      n.declareParameter('max_grasps', param.integer(5, 'Max'));
      const changed: string[] = [];
      n.onParametersChanged((c) => changed.push(...c.keys()));
      n.addOnSetParametersCallback((c) =>
        c.get('max_grasps') === 13
          ? { successful: false, reason: 'unlucky' }
          : { successful: true, reason: '' },
      );
      expect(n.setParameters({ threshold: 0.7 })).toEqual({ successful: true, reason: '' });
      expect(n.getParameter('threshold')).toBe(0.7);
      const bad = n.setParameters({ threshold: 2 });
      expect(bad.successful).toBe(false);
      expect(bad.reason).toContain("'threshold'");
      expect(n.setParameters({ model_file_path: 'b.json' }).reason).toContain('read-only');
      expect(n.setParameters({ max_grasps: 13 })).toEqual({ successful: false, reason: 'unlucky' });
      expect(n.setParameters({ max_grasps: 2.5 }).successful).toBe(false);
      expect(n.getParameter('max_grasps')).toBe(5);
      expect(changed).toEqual(['threshold']);
    });

    it('the node clock follows /clock when use_sim_time is true', async () => {
      bus = await makeBus(['--ros-args', '-p', 'use_sim_time:=true']);
      const n = node('perception_node');
      expect(n.clock.isSimTime()).toBe(true);
      const clockPub = node('sim').createPublisher(
        'rosgraph_msgs/msg/Clock',
        '/clock',
        qos({ reliability: 'best_effort', depth: 1 }),
      );
      clockPub.publish({ clock: { sec: 42, nanosec: 5 } });
      await bus.settle();
      expect(n.clock.now()).toEqual({ sec: 42, nanosec: 5 });
      expect(n.setParameters({ use_sim_time: false }).successful).toBe(true);
      expect(n.clock.isSimTime()).toBe(false);
      expect(n.clock.now().sec).toBeGreaterThan(1_600_000_000);
    });

    it('applies the first matching remap rule once, never chaining rules', async () => {
      bus = await makeBus(['--ros-args', '-r', 'a:=b', '-r', 'b:=c']);
      const n = node('chain');
      expect(n.resolveTopicName('a')).toBe('/b');
      expect(n.resolveTopicName('b')).toBe('/c');
      const atB: number[] = [];
      const atC: number[] = [];
      const listener = node('listener');
      // Absolute names are remapped too; '/c' has no rule, so this subscription sits on /c exactly.
      listener.createSubscription('sensor_msgs/msg/Image', '/c', QOS_DEFAULT, (m) => {
        atC.push(m.data[0]);
      });
      const other = node('other', { arguments: ['-r', '/b:=/b_exact'] });
      other.createSubscription('sensor_msgs/msg/Image', '/b', QOS_DEFAULT, (m) => {
        atB.push(m.data[0]);
      });
      n.createPublisher('sensor_msgs/msg/Image', 'a', QOS_DEFAULT).publish(image(3));
      await bus.settle();
      // 'a' → '/b' (not on to '/c'); 'other' listens on /b_exact, so nobody hears it on /b or /c.
      expect(atC).toEqual([]);
      expect(atB).toEqual([]);
      n.createPublisher('sensor_msgs/msg/Image', '/c', QOS_DEFAULT).publish(image(4));
      await bus.settle();
      expect(atC).toEqual([4]);
    });

    it('carries a camera-sized image unchanged (raw CDR on rclnodejs)', async () => {
      bus = await makeBus();
      const got: Image[] = [];
      node('listener').createSubscription(
        'sensor_msgs/msg/Image',
        '/camera/color/image_raw',
        QOS_DEFAULT,
        (m) => {
          got.push(m);
        },
      );
      const data = new Uint8Array(640 * 480 * 3);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 255;
      const sent: Image = {
        header: { stamp: { sec: 12, nanosec: 345 }, frame_id: 'camera_color_optical_frame' },
        height: 480,
        width: 640,
        encoding: 'rgb8',
        is_bigendian: 0,
        step: 640 * 3,
        data,
      };
      node('camera')
        .createPublisher('sensor_msgs/msg/Image', '/camera/color/image_raw', QOS_DEFAULT)
        .publish(sent);
      await bus.settle();
      expect(got.length).toBe(1);
      expect({ ...got[0], data: undefined }).toEqual({ ...sent, data: undefined });
      expect(Buffer.from(got[0].data).equals(Buffer.from(data))).toBe(true);
    });

    it('a read-only parameter takes its override at declaration and refuses later sets', async () => {
      bus = await makeBus(['--ros-args', '-p', 'width:=320']);
      const n = node('sim_node', { namespace: '/camera' });
      expect(n.declareParameter('width', param.integer(640, 'Image width', { readOnly: true }))).toBe(320);
      expect(n.describeParameter('width').readOnly).toBe(true);
      const r = n.setParameters({ width: 160 });
      expect(r.successful).toBe(false);
      expect(r.reason).toContain('read-only');
      expect(n.getParameter('width')).toBe(320);
    });

    it('the node clock follows a reliable /clock publisher too', async () => {
      bus = await makeBus(['--ros-args', '-p', 'use_sim_time:=true']);
      const n = node('perception_node');
      node('sim')
        .createPublisher('rosgraph_msgs/msg/Clock', '/clock', QOS_DEFAULT)
        .publish({
          clock: { sec: 7, nanosec: 9 },
        });
      await bus.settle();
      expect(n.clock.now()).toEqual({ sec: 7, nanosec: 9 });
    });

    it('timers run on wall time, also under use_sim_time with no /clock', async () => {
      bus = await makeBus(['--ros-args', '-p', 'use_sim_time:=true']);
      const n = node('watchdog');
      let ticks = 0;
      const timer = n.createTimer(0.02, () => ticks++);
      await new Promise((resolve) => setTimeout(resolve, 300));
      timer.cancel();
      const after = ticks;
      expect(after).toBeGreaterThanOrEqual(3);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(ticks).toBe(after);
    });

    it('a throwing service handler fails that call and the service keeps serving', async () => {
      bus = await makeBus();
      let calls = 0;
      node('perception_node').createService('grasp_perception/srv/DetectGrasps', '~/detect', (req) => {
        calls++;
        if (req.timeout === 13) throw new Error('handler failed');
        const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: 'cam' };
        return {
          success: true,
          message: `ok ${req.timeout}`,
          grasps: { header, grasps: [] },
          instances: { header, instances: [] },
        };
      });
      const client = node('planner').createClient(
        'grasp_perception/srv/DetectGrasps',
        '/perception_node/detect',
      );
      await expect(client.call({ timeout: 13 }, 500)).rejects.toThrow();
      const res = await client.call({ timeout: 2 }, 2000);
      expect(res.message).toBe('ok 2');
      expect(calls).toBe(2);
    });

    it('work finishing after its node stopped publishes nothing and throws nothing', async () => {
      bus = await makeBus();
      const n = node('perception_node');
      const pub = n.createPublisher('sensor_msgs/msg/Image', '/late', QOS_DEFAULT);
      const sub = n.createSubscription('sensor_msgs/msg/Image', '/late', QOS_DEFAULT, () => {});
      n.destroy();
      expect(() => pub.publish(image(1))).not.toThrow();
      expect(() => sub.destroy()).not.toThrow();
      expect(() => pub.destroy()).not.toThrow();
    });

    it('shutting down twice is harmless', async () => {
      bus = await makeBus();
      node('a').createTimer(0.01, () => {});
      await bus.shutdown();
      await bus.shutdown();
    });

    it('a throwing callback is logged and the subscription keeps running', async () => {
      bus = await makeBus();
      const got: number[] = [];
      node('listener').createSubscription('sensor_msgs/msg/Image', '/images', QOS_DEFAULT, (m) => {
        if (m.data[0] === 1) throw new Error('boom');
        got.push(m.data[0]);
      });
      const pub = node('talker').createPublisher('sensor_msgs/msg/Image', '/images', QOS_DEFAULT);
      [0, 1, 2].forEach((i) => pub.publish(image(i)));
      await bus.settle();
      expect(got).toEqual([0, 2]);
    });
  });
}
