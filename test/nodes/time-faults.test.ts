// Time faults of the RGB-D input (issue 12): a future-stamped set is reported (STAMP_IN_FUTURE) and
// dropped without blacking out the sets after it; stamps or /clock jumping back are reported
// (TIME_JUMP). Before the fix, one set 0.5 s ahead silenced the stream for 0.5 s without a word.
import { InProcessBus, QOS_CLOCK, QOS_DEFAULT, QOS_SENSOR_DATA } from '../../src/bus';
import { type DiagnosticArray, nanosToTime, type Time, timeToNanos } from '../../src/msg';
import { nodeEntry, type RunningNode } from '../../src/nodes';
import { simFrameToMessages } from '../../src/nodes/sim/messages';
import { BinPickingSim, type SimFrame } from '../../src/sim';
import { StampGuard } from '../../src/sync';

const S = 1_000_000_000n;

describe('StampGuard', () => {
  const guard = () => new StampGuard({ futureToleranceSec: 0.2, jumpBackSec: 1 });
  it('drops a lone future-stamped message and accepts the stream after it', () => {
    const g = guard();
    const now = 1000n * S;
    expect(g.check(0, now - S / 100n, now)).toEqual({ accept: true });
    const v = g.check(0, now + S / 2n, now + S / 30n);
    expect(v.accept).toBe(false);
    expect(v.fault?.code).toBe('STAMP_IN_FUTURE');
    expect(v.fault?.message).toMatch(/0\.46\d s ahead/);
    expect(g.check(0, now + S / 30n, now + S / 15n)).toEqual({ accept: true });
  });
  it('accepts stamps that are consistently ahead (a skewed clock), still reporting it', () => {
    const g = guard();
    const verdicts = [0, 1, 2, 3, 4].map((i) =>
      g.check(1, (100n + BigInt(i)) * S + S / 2n, (100n + BigInt(i)) * S),
    );
    expect(verdicts.map((v) => v.accept)).toEqual([false, false, true, true, true]);
    expect(verdicts.every((v) => v.fault?.code === 'STAMP_IN_FUTURE')).toBe(true);
  });
  it('reports stamps jumping back beyond the threshold, not a small step back', () => {
    const g = guard();
    expect(g.check(0, 50n * S, 0n).accept).toBe(true);
    expect(g.check(0, 50n * S - S / 2n, 0n)).toEqual({ accept: true });
    const v = g.check(0, 45n * S, 0n);
    expect([v.accept, v.restart, v.fault?.code]).toEqual([true, true, 'TIME_JUMP']);
    expect(v.fault?.message).toMatch(/stamps jumped back by 5\.000 s/);
  });
  it('judges nothing against a clock that may lag (use_sim_time), but still watches it for jumps', () => {
    const g = guard();
    expect(g.check(0, 105n * S, 100n * S, false)).toEqual({ accept: true });
    expect(g.check(0, 106n * S, 100n * S, false)).toEqual({ accept: true });
    expect(g.check(0, 107n * S, 50n * S, false).fault?.code).toBe('TIME_JUMP');
  });
  it('reports the clock jumping back (use_sim_time) and never judges stamps against a zero clock', () => {
    const g = guard();
    expect(g.check(0, 500n * S, 0n)).toEqual({ accept: true }); // before the first /clock
    expect(g.check(0, 501n * S, 501n * S)).toEqual({ accept: true });
    const v = g.check(0, 10n * S, 10n * S);
    expect([v.restart, v.fault?.code]).toEqual([true, 'TIME_JUMP']);
    expect(v.fault?.message).toMatch(/clock jumped back by 491\.000 s/);
  });
});

let frame: SimFrame;
beforeAll(async () => {
  const sim = await BinPickingSim.random({ count: 3, seed: 7 }, { camera: { width: 80, height: 60 } });
  frame = sim.frame({ realism: false });
  sim.dispose();
});

describe('camera_check_node time faults', () => {
  let bus: InProcessBus;
  let running: RunningNode;
  afterEach(async () => {
    await running?.stop();
    await bus?.shutdown();
  });

  const setup = async (argv: string[]) => {
    bus = new InProcessBus({ argv: ['--ros-args', ...argv] });
    running = await nodeEntry('camera_check_node').start(bus, { namespace: '/cam' });
    const cam = bus.createNode('camera');
    const pub = {
      color: cam.createPublisher('sensor_msgs/msg/Image', '/cam/color/image_raw', QOS_SENSOR_DATA),
      depth: cam.createPublisher('sensor_msgs/msg/Image', '/cam/aligned_depth/image_raw', QOS_SENSOR_DATA),
      info: cam.createPublisher('sensor_msgs/msg/CameraInfo', '/cam/color/camera_info', QOS_SENSOR_DATA),
      clock: cam.createPublisher('rosgraph_msgs/msg/Clock', '/clock', QOS_CLOCK),
    };
    const codes: string[] = [];
    cam.createSubscription(
      'diagnostic_msgs/msg/DiagnosticArray',
      '/diagnostics',
      QOS_DEFAULT,
      (m: DiagnosticArray) => {
        for (const s of m.status) {
          const code = s.values.find((v) => v.key === 'fault code');
          if (code) codes.push(code.value);
        }
      },
    );
    const send = async (stamp: Time) => {
      const m = simFrameToMessages(frame, stamp);
      pub.color.publish(m.color);
      pub.depth.publish(m.depth);
      pub.info.publish(m.info);
      await bus.settle();
    };
    const frames = () => Number(running.diagnostics?.entry('rgbd input')?.values.frames ?? 0);
    return { cam, pub, codes, send, frames };
  };

  it('a set stamped 0.5 s ahead is reported and dropped; the sets after it still come through', async () => {
    const { cam, codes, send, frames } = await setup([]);
    const at = (offsetMs: number) =>
      nanosToTime(timeToNanos(cam.clock.now()) + BigInt(offsetMs) * 1_000_000n);
    await send(at(-30));
    await send(at(-5));
    expect(frames()).toBe(2);
    await send(at(500));
    expect(codes).toContain('STAMP_IN_FUTURE');
    expect(frames()).toBe(2);
    for (let i = 0; i < 3; i++) await send(at(i));
    expect(frames()).toBe(5); // no black-out
  });

  it('stamps jumping back by 5 s are a TIME_JUMP and the new timeline is synchronised', async () => {
    const { codes, send, frames } = await setup([]);
    for (const sec of [100, 101, 102]) await send({ sec, nanosec: 0 });
    for (const sec of [97, 98]) await send({ sec, nanosec: 0 });
    expect(codes).toContain('TIME_JUMP');
    expect(frames()).toBe(5);
  });

  it('/clock jumping back under use_sim_time is a TIME_JUMP naming the clock', async () => {
    const { pub, send, frames, codes } = await setup(['-p', 'use_sim_time:=true']);
    pub.clock.publish({ clock: { sec: 200, nanosec: 0 } });
    await bus.settle();
    await send({ sec: 200, nanosec: 0 });
    pub.clock.publish({ clock: { sec: 20, nanosec: 0 } });
    await bus.settle();
    await send({ sec: 20, nanosec: 0 });
    expect(codes).toContain('TIME_JUMP');
    expect(running.diagnostics?.entry('rgbd input')?.values['time jumps']).toBe(1);
    expect(frames()).toBe(2);
  });
});
