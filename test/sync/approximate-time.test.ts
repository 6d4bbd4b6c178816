import fc from 'fast-check';
import { type CameraInfo, type Header, type Image } from '../../src/msg';
import {
  type ApproximateTimeOptions,
  ApproximateTimeSynchronizer,
  createRgbdSynchronizer,
  RGBD_INPUT,
} from '../../src/sync';

interface Msg {
  header: Header;
  /** Unique per message, to check each is used at most once. */
  id: string;
}

/** A message on `input` stamped `ms` milliseconds after zero. */
const msg = (input: number, ms: number): Msg => ({
  header: {
    stamp: { sec: Math.floor(ms / 1000), nanosec: Math.round((ms % 1000) * 1e6) },
    frame_id: `in${input}`,
  },
  id: `${input}@${ms}`,
});
const stampMs = (m: Msg) => m.header.stamp.sec * 1000 + m.header.stamp.nanosec / 1e6;

/** Feeds [stampMs, input] events and returns the emitted sets as stamp lists. */
function run(
  events: readonly (readonly [number, number])[],
  options: Omit<ApproximateTimeOptions, 'inputs'>,
  inputs = 2,
) {
  const sets: number[][] = [];
  const sync = new ApproximateTimeSynchronizer<Msg[]>({ ...options, inputs }, (...set) =>
    sets.push(set.map(stampMs)),
  );
  for (const [ms, input] of events) sync.add(input, msg(input, ms));
  return { sets, sync };
}

// The cases of message_filters' test/test_approximate_time_policy.cpp (stamps in seconds there,
// ms here), run with the upstream defaults (age penalty 0.1): same inputs, same expected sets.
describe('ApproximateTime: upstream message_filters test cases', () => {
  const s = 1000;
  it('ExactMatch', () => {
    const { sets } = run(
      [
        [0, 0],
        [0, 1],
        [3 * s, 0],
        [3 * s, 1],
        [6 * s, 0],
        [6 * s, 1],
      ],
      { queueSize: 10 },
    );
    expect(sets).toEqual([
      [0, 0],
      [3 * s, 3 * s],
      [6 * s, 6 * s],
    ]);
  });

  it('PerfectMatch', () => {
    const { sets } = run(
      [
        [0, 0],
        [s, 1],
        [3 * s, 0],
        [4 * s, 1],
        [6 * s, 0],
        [7 * s, 1],
      ],
      { queueSize: 10 },
    );
    expect(sets).toEqual([
      [0, s],
      [3 * s, 4 * s],
    ]);
  });

  it('ImperfectMatch', () => {
    const { sets } = run(
      [
        [0, 0],
        [s, 1],
        [2 * s, 0],
        [3 * s, 0],
        [5 * s, 1],
        [6 * s, 0],
        [7 * s, 1],
      ],
      { queueSize: 10 },
    );
    expect(sets).toEqual([
      [0, s],
      [6 * s, 5 * s],
    ]);
  });

  it('Acceleration', () => {
    const { sets } = run(
      [
        [0, 0],
        [7 * s, 1],
        [12 * s, 0],
        [15 * s, 1],
        [17 * s, 0],
        [18 * s, 1],
      ],
      { queueSize: 10 },
    );
    expect(sets).toEqual([
      [12 * s, 7 * s],
      [17 * s, 18 * s],
    ]);
  });

  it('DroppedMessages (queue size 1 too small, 2 just enough)', () => {
    const input: [number, number][] = [
      [0, 0],
      [s, 1],
      [3 * s, 1],
      [4 * s, 0],
      [7 * s, 1],
      [8 * s, 0],
      [10 * s, 0],
      [11 * s, 1],
      [13 * s, 0],
      [14 * s, 1],
    ];
    expect(run(input, { queueSize: 1 }).sets).toEqual([
      [4 * s, 3 * s],
      [10 * s, 11 * s],
    ]);
    expect(run(input, { queueSize: 2 }).sets).toEqual([
      [0, s],
      [4 * s, 3 * s],
      [8 * s, 7 * s],
      [10 * s, 11 * s],
    ]);
  });

  it('LongQueue', () => {
    const a = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k): [number, number] => [k * s, 0]);
    const input: [number, number][] = [
      ...a,
      [3 * s, 1],
      [9 * s, 0],
      [10 * s, 0],
      [11 * s, 0],
      [12 * s, 0],
      [10 * s, 1],
      [13 * s, 0],
    ];
    expect(run(input, { queueSize: 5 }).sets).toEqual([[10 * s, 10 * s]]);
  });

  it('DoublePublish', () => {
    const { sets } = run(
      [
        [0, 0],
        [s, 1],
        [3 * s, 1],
        [3 * s, 0],
      ],
      { queueSize: 10 },
    );
    expect(sets).toEqual([
      [0, s],
      [3 * s, 3 * s],
    ]);
  });

  it('FourTopics', () => {
    const input: [number, number][] = [
      [0, 0],
      [s, 1],
      [2 * s, 2],
      [3 * s, 3],
      [5 * s, 0],
      [5 * s, 3],
      [6 * s, 1],
      [6 * s, 2],
      [8 * s, 0],
      [9 * s, 1],
      [10 * s, 2],
      [11 * s, 3],
      [10 * s, 0],
      [13 * s, 0],
      [14 * s, 1],
    ];
    expect(run(input, { queueSize: 10 }, 4).sets).toEqual([
      [0, s, 2 * s, 3 * s],
      [5 * s, 6 * s, 6 * s, 5 * s],
      [10 * s, 9 * s, 10 * s, 11 * s],
    ]);
  });

  it('EarlyPublish', () => {
    const { sets } = run(
      [
        [0, 0],
        [s, 1],
        [2 * s, 2],
        [3 * s, 3],
        [7 * s, 0],
      ],
      { queueSize: 10 },
      4,
    );
    expect(sets).toEqual([[0, s, 2 * s, 3 * s]]);
  });

  it('RateBound: the inter-message lower bound proves sets optimal before the next message', () => {
    const input: [number, number][] = [
      [0, 0],
      [s, 1],
      [3 * s, 0],
      [4 * s, 1],
      [6 * s, 0],
      [7 * s, 1],
    ];
    expect(run(input, { queueSize: 10, interMessageLowerBoundSec: [1.5] }).sets).toEqual([
      [0, s],
      [3 * s, 4 * s],
    ]);
    expect(run(input, { queueSize: 10, interMessageLowerBoundSec: [2] }).sets).toEqual([
      [0, s],
      [3 * s, 4 * s],
      [6 * s, 7 * s],
    ]);
  });
});

describe('ApproximateTime synchronizer', () => {
  it('pairs RGB-D streams with small jitter into the matching sets', () => {
    const { sets, sync } = run([], { queueSize: 5 }, 3);
    for (let k = 0; k < 10; k++) {
      const t = 1000 + k * 33;
      sync.add(0, msg(0, t));
      sync.add(2, msg(2, t));
      sync.add(1, msg(1, t + (k % 3) * 2 + 1));
    }
    // The newest set is held back until a later message proves no tighter one can follow.
    expect(sets).toEqual(
      Array.from({ length: 9 }, (_, k) => [1000 + k * 33, 1000 + k * 33 + (k % 3) * 2 + 1, 1000 + k * 33]),
    );
    expect(sync.stats()).toEqual({
      emitted: 9,
      dropped: 0,
      droppedPerInput: [0, 0, 0],
      outOfOrder: 0,
      reordered: 0,
      timeJumps: 0,
      queued: 3,
    });
  });

  it('an input that stops does not hold the others beyond their queue size, and recovers', () => {
    const { sets, sync } = run([], { queueSize: 4 }, 3);
    for (let k = 0; k < 50; k++) {
      sync.add(0, msg(0, k * 10));
      sync.add(1, msg(1, k * 10 + 1));
    }
    expect(sets).toEqual([]);
    const stats = sync.stats();
    expect(stats.queued).toBe(8);
    expect(stats.droppedPerInput).toEqual([46, 46, 0]);
    sync.add(2, msg(2, 495));
    for (let k = 50; k < 53; k++) {
      sync.add(0, msg(0, k * 10));
      sync.add(1, msg(1, k * 10 + 1));
      sync.add(2, msg(2, k * 10 + 2));
    }
    expect(sets[0]).toEqual([490, 491, 495]);
    expect(sets.slice(1)).toEqual([
      [500, 501, 502],
      [510, 511, 512],
    ]);
  });

  it('age penalty (default 0.1) settles for an older set unless a newer one is tighter by that margin', () => {
    const events: [number, number][] = [
      [0, 0],
      [10, 1],
      [19.5, 0],
      [30, 1],
      [40, 0],
    ];
    // (19.5, 10) spans 9.5 ms against 10 ms, but 9.5 × 1.1 > 10.
    expect(run(events, { queueSize: 10 }).sets[0]).toEqual([0, 10]);
    expect(run(events, { queueSize: 10, agePenalty: 0 }).sets[0]).toEqual([19.5, 10]);
  });

  it('breaks ties for the latest head towards the highest input, as upstream', () => {
    // Input 0 overflowed (queue size 2), so it may not be the pivot; input 1 ties with it and is.
    const { sets } = run(
      [
        [0, 0],
        [10, 0],
        [20, 0],
        [10, 1],
      ],
      { queueSize: 2 },
    );
    expect(sets).toEqual([[10, 10]]);
  });

  it('never emits a set wider than the max interval', () => {
    const { sets, sync } = run(
      [
        [0, 0],
        [50, 1],
        [100, 2],
        [200, 0],
        [201, 1],
        [203, 2],
        [300, 0],
        [300, 1],
        [300, 2],
        [400, 0],
        [400, 1],
        [400, 2],
      ],
      { queueSize: 10, maxIntervalSec: 0.01 },
      3,
    );
    // (0, 50, 100) spans 100 ms: its messages are dropped instead. Exact matches go out at once.
    expect(sets).toEqual([
      [200, 201, 203],
      [300, 300, 300],
      [400, 400, 400],
    ]);
    expect(sync.stats().droppedPerInput).toEqual([1, 1, 1]);
  });

  it('gives the same sets whatever the arrival order across inputs (messages late by several frames)', () => {
    const stamps = [
      [0, 33, 66, 100, 133, 166, 200, 233],
      [2, 36, 65, 101, 135, 170, 199, 236],
      [1, 30, 70, 98, 134, 168, 203, 230],
    ];
    const inOrder = stamps
      .flatMap((row, input) => row.map((ms): [number, number] => [ms, input]))
      .sort((a, b) => a[0] - b[0]);
    // Depth three frames late, camera info in a burst at the end.
    const late: [number, number][] = [
      ...stamps[0].map((ms): [number, number] => [ms, 0]),
      ...stamps[1].map((ms): [number, number] => [ms, 1]),
      ...stamps[2].map((ms): [number, number] => [ms, 2]),
    ];
    const expected = run(inOrder, { queueSize: 10 }, 3).sets;
    expect(expected).toHaveLength(7);
    expect(run(late, { queueSize: 10 }, 3).sets).toEqual(expected);
  });

  it('puts a late message of one input in stamp order while it can still form a set', () => {
    // Colour 66 arrives after colour 100 (a multi-threaded driver), before depth 66 and 100.
    const { sets, sync } = run(
      [
        [0, 0],
        [1, 1],
        [100, 0],
        [66, 0],
        [67, 1],
        [101, 1],
        [133, 0],
        [134, 1],
      ],
      { queueSize: 10 },
    );
    expect(sets).toEqual([
      [0, 1],
      [66, 67],
      [100, 101],
    ]);
    expect(sync.stats()).toMatchObject({ reordered: 1, outOfOrder: 0, dropped: 0 });
  });

  it("refuses messages not newer than their input's last message in a set, and repeated stamps", () => {
    const { sets, sync } = run(
      [
        [100, 0],
        [100, 1],
        [90, 0], // its input already gave 100 to a set
        [200, 0],
        [200, 0], // repeated
        [150, 0],
        [150, 0], // repeated while late
        [150, 1],
        [300, 0],
        [300, 1],
      ],
      { queueSize: 10 },
    );
    expect(sets).toEqual([
      [100, 100],
      [150, 150],
      [300, 300],
    ]);
    expect(sync.stats()).toMatchObject({ outOfOrder: 3, reordered: 1, dropped: 4, droppedPerInput: [4, 0] });
  });

  it('a stray future stamp on one input does not block it', () => {
    const emitted: number[][] = [];
    const s = new ApproximateTimeSynchronizer<Msg[]>(
      { queueSize: 5, maxIntervalSec: 0.01, inputs: 3 },
      (...set) => emitted.push(set.map(stampMs)),
    );
    const frame = (t: number) => [0, 1, 2].forEach((input) => s.add(input, msg(input, t + input)));
    frame(0);
    frame(33);
    s.add(0, msg(0, 100_000)); // a bad stamp, 100 s ahead
    for (const t of [66, 100, 133, 166]) frame(t);
    // Each later colour frame goes before the stray one; the stray proves each set final at once.
    expect(emitted.map((set) => set[0])).toEqual([0, 33, 66, 100, 133, 166]);
    expect(s.stats()).toMatchObject({ reordered: 4, queued: 1, dropped: 0 });
  });

  it('starts afresh when time jumps back (a bag loops), or on reset()', () => {
    const { sets, sync } = run(
      [
        [5000, 0],
        [5000, 1],
        [5033, 0],
        [5033, 1],
        [10, 0], // 5 s back: the bag restarted
        [10, 1],
        [43, 0],
        [43, 1],
      ],
      { queueSize: 10 },
    );
    expect(sets).toEqual([
      [5000, 5000],
      [5033, 5033],
      [10, 10],
      [43, 43],
    ]);
    expect(sync.stats()).toMatchObject({ timeJumps: 1, dropped: 0, queued: 0 });
    sync.add(0, msg(0, 60));
    sync.reset();
    expect(sync.stats()).toMatchObject({ queued: 0, dropped: 1 });
    sync.add(0, msg(0, 20));
    sync.add(1, msg(1, 20));
    expect(sets.at(-1)).toEqual([20, 20]);
    // With the jump detection off, the older stamps are refused.
    const off = run(
      [
        [5000, 0],
        [5000, 1],
        [10, 0],
        [10, 1],
      ],
      { queueSize: 10, timeJumpBackSec: Infinity },
    );
    expect(off.sets).toEqual([[5000, 5000]]);
    expect(off.sync.stats()).toMatchObject({ outOfOrder: 2, timeJumps: 0 });
  });

  it('hands sets to the callback only after its own state is consistent (re-entrant add, throwing callback)', () => {
    const seen: number[][] = [];
    const sync: ApproximateTimeSynchronizer<Msg[]> = new ApproximateTimeSynchronizer<Msg[]>(
      { queueSize: 5, inputs: 2 },
      (a, b) => {
        seen.push([stampMs(a), stampMs(b)]);
        if (stampMs(a) === 0) sync.add(1, msg(1, 150));
        if (stampMs(a) === 100) throw new Error('consumer failed');
      },
    );
    sync.add(0, msg(0, 0));
    sync.add(1, msg(1, 0)); // emits (0, 0), whose callback adds 150 on input 1
    sync.add(0, msg(0, 100));
    expect(() => sync.add(0, msg(0, 200))).toThrow('consumer failed');
    sync.add(1, msg(1, 200));
    sync.add(0, msg(0, 300));
    sync.add(1, msg(1, 300));
    expect(seen).toEqual([
      [0, 0],
      [100, 150],
      [200, 200],
      [300, 300],
    ]);
    expect(sync.stats().dropped).toBe(0);
  });

  it('validates options and input indices', () => {
    const noop = () => undefined;
    expect(() => new ApproximateTimeSynchronizer<Msg[]>({ queueSize: 0, inputs: 2 }, noop)).toThrow(
      'queueSize must be a positive integer, got 0',
    );
    expect(() => new ApproximateTimeSynchronizer<Msg[]>({ queueSize: 1 }, noop)).toThrow(
      'inputs must be an integer >= 2',
    );
    expect(
      () => new ApproximateTimeSynchronizer<Msg[]>({ queueSize: 1, inputs: 2, agePenalty: -1 }, noop),
    ).toThrow('agePenalty');
    expect(
      () => new ApproximateTimeSynchronizer<Msg[]>({ queueSize: 1, inputs: 2, maxIntervalSec: NaN }, noop),
    ).toThrow('maxIntervalSec');
    const sync = new ApproximateTimeSynchronizer<[Msg, Msg]>({ queueSize: 1 }, (a, b) => void [a, b]);
    expect(sync.inputCount).toBe(2); // taken from the callback's parameters
    // @ts-expect-error index 2 is not an input of a pair
    expect(() => sync.add(2, msg(2, 0))).toThrow('input index 2 out of range 0..1');
  });

  it('the RGB-D convenience is typed for (colour Image, depth Image, CameraInfo)', () => {
    const header = (ms: number): Header => ({
      stamp: { sec: 0, nanosec: ms * 1e6 },
      frame_id: 'camera_color_optical_frame',
    });
    const image = (ms: number, encoding: string) => ({ header: header(ms), encoding }) as unknown as Image;
    const info = (ms: number) => ({ header: header(ms) }) as unknown as CameraInfo;
    const got: string[] = [];
    const sync = createRgbdSynchronizer({ queueSize: 5, maxIntervalSec: 0.02 }, (color, depth, cameraInfo) =>
      got.push(`${color.encoding}/${depth.encoding}@${cameraInfo.header.stamp.nanosec / 1e6}`),
    );
    for (const t of [0, 33, 66]) {
      sync.add(RGBD_INPUT.color, image(t, 'rgb8'));
      sync.add(RGBD_INPUT.depth, image(t + 4, '16UC1'));
      sync.add(RGBD_INPUT.cameraInfo, info(t));
    }
    expect(got).toEqual(['rgb8/16UC1@0', 'rgb8/16UC1@33']);
    sync.add(RGBD_INPUT.color, image(100, 'rgb8'));
    sync.add(RGBD_INPUT.depth, image(104, '16UC1'));
    expect(got).toEqual(['rgb8/16UC1@0', 'rgb8/16UC1@33', 'rgb8/16UC1@66']);
    // @ts-expect-error input 2 takes a CameraInfo, not an Image
    const wronglyTyped = () => sync.add(RGBD_INPUT.cameraInfo, image(100, 'rgb8'));
    expect(wronglyTyped).toBeInstanceOf(Function);
  });

  it('property: spans within the max interval, each message used once, strictly increasing per input, and every message accounted for', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 0, max: 15 }), fc.integer({ min: -40, max: 8 })), {
          maxLength: 200,
          size: 'max',
        }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 50 }),
        fc.constantFrom(0, 0.1, 1),
        fc.constantFrom(Infinity, 1, 0.02),
        (inputs, events, queueSize, maxIntervalMs, agePenalty, timeJumpBackSec) => {
          // Stamps follow one clock with jitter; a large negative jitter is a late message, possibly
          // repeating a stamp. Arrival order across inputs is arbitrary.
          let clock = 0;
          const sets: { set: Msg[]; epoch: number }[] = [];
          const sync: ApproximateTimeSynchronizer<Msg[]> = new ApproximateTimeSynchronizer<Msg[]>(
            { inputs, queueSize, maxIntervalSec: maxIntervalMs / 1000, agePenalty, timeJumpBackSec },
            (...set) => sets.push({ set, epoch: sync.stats().timeJumps }),
          );
          let sent = 0;
          for (const [rawInput, gap, jitter] of events) {
            const input = rawInput % inputs;
            clock += gap;
            const m = msg(input, Math.max(0, clock + jitter));
            sync.add(input, { ...m, id: `#${sent++}` });
          }
          const used = new Set<string>();
          const previous = new Array<number>(inputs).fill(-Infinity);
          let epoch = 0;
          for (const { set, epoch: e } of sets) {
            if (e !== epoch) previous.fill(-Infinity); // time jumped back: order starts afresh
            epoch = e;
            expect(set).toHaveLength(inputs);
            const ms = set.map(stampMs);
            expect(Math.max(...ms) - Math.min(...ms)).toBeLessThanOrEqual(maxIntervalMs + 1e-6);
            set.forEach((m, i) => {
              expect(m.header.frame_id).toBe(`in${i}`);
              expect(used.has(m.id)).toBe(false);
              used.add(m.id);
              expect(ms[i]).toBeGreaterThan(previous[i]);
              previous[i] = ms[i];
            });
          }
          const st = sync.stats();
          expect(st.emitted).toBe(sets.length);
          expect(st.emitted * inputs + st.dropped + st.queued).toBe(sent);
          expect(st.queued).toBeLessThanOrEqual(inputs * queueSize);
          if (timeJumpBackSec === Infinity) expect(st.timeJumps).toBe(0);
        },
      ),
      { seed: 424242, numRuns: 200 },
    );
  });

  it('property: with long enough queues the sets depend only on the stamps, not on arrival order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 12 }), {
          minLength: 3,
          maxLength: 3,
        }),
        fc.infiniteStream(fc.nat(2)),
        (gapsPerInput, picks) => {
          const streams = gapsPerInput.map((gaps) =>
            gaps.reduce<number[]>((acc, g) => [...acc, (acc.at(-1) ?? 0) + g], []),
          );
          const byStamp = streams
            .flatMap((st, input) => st.map((ms): [number, number] => [ms, input]))
            .sort((a, b) => a[0] - b[0]);
          // A random interleaving that keeps each input's own order.
          const cursors = [0, 0, 0];
          const shuffled: [number, number][] = [];
          const it = picks[Symbol.iterator]();
          while (shuffled.length < byStamp.length) {
            const input = it.next().value as number;
            if (cursors[input] < streams[input].length)
              shuffled.push([streams[input][cursors[input]++], input]);
          }
          expect(run(shuffled, { queueSize: 100 }, 3).sets).toEqual(run(byStamp, { queueSize: 100 }, 3).sets);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});
