import { InProcessBus, LogConfig, type LogRecord } from '../../src/bus';
import { quaternionFromYaw, vec3 } from '../../src/geometry';
import { type TransformStamped } from '../../src/msg';
import { QOS_TF, QOS_TF_STATIC, StaticTransformBroadcaster, TfListener } from '../../src/tf';

const tf = (parent: string, child: string, sec: number, x: number): TransformStamped => ({
  header: { stamp: { sec, nanosec: 0 }, frame_id: parent },
  child_frame_id: child,
  transform: { translation: vec3(x, 0, 0), rotation: quaternionFromYaw(0) },
});

describe('TfListener on the in-process bus', () => {
  it('fills its buffer from /tf_static (also for late joiners) and /tf, logging bad transforms', async () => {
    const logs: LogRecord[] = [];
    const bus = new InProcessBus({ logConfig: new LogConfig('info', (r) => logs.push(r)) });
    const publisher = bus.createNode('robot_state_publisher');
    new StaticTransformBroadcaster(publisher).send(tf('world', 'camera_link', 0, 1));
    await bus.settle();
    // Subscribed after the static transform went out: transient-local delivers it anyway.
    const listener = new TfListener(bus.createNode('listener'));
    const dynamic = publisher.createPublisher('tf2_msgs/msg/TFMessage', '/tf', QOS_TF);
    dynamic.publish({ transforms: [tf('world', 'base', 10, 0), tf('base', 'base', 10, 0)] });
    dynamic.publish({ transforms: [tf('world', 'base', 12, 2)] });
    await bus.settle();
    expect(QOS_TF_STATIC.depth).toBe(100);
    expect(
      listener.buffer.transformPoint('camera_link', 'base', vec3(0, 0, 0), { sec: 11, nanosec: 0 }),
    ).toEqual(vec3(0, 0, 0));
    expect(logs.some((l) => l.level === 'warn' && l.message.startsWith('TF_SELF_TRANSFORM'))).toBe(true);
    listener.destroy();
    await bus.shutdown();
  });
});
