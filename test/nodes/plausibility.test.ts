// The RGB-D input's plausibility stage (issue 12): depth outside the configured range is invalid and
// reported (with a millimetres hint for 32FC1), absurd but finite intrinsics are refused, and a frame_id
// disagreement between colour, depth and camera_info is a WARN. Each case failed on the code before.
import { encodeDepth16, encodeFloat32Image } from '../../src/image';
import { type CameraInfo, type Image } from '../../src/msg';
import { decodeRgbdFrame, type RgbdFault, type RgbdFrame } from '../../src/nodes';
import { simFrameToMessages } from '../../src/nodes/sim/messages';
import { BinPickingSim, type SimFrame } from '../../src/sim';

let sim: SimFrame;
let good: { color: Image; depth: Image; info: CameraInfo };
beforeAll(async () => {
  const s = await BinPickingSim.random({ count: 4, seed: 5 }, { camera: { width: 80, height: 60 } });
  sim = s.frame({ realism: false });
  s.dispose();
  good = simFrameToMessages(sim, { sec: 10, nanosec: 0 });
});

const isFault = (r: RgbdFrame | RgbdFault): r is RgbdFault => 'stream' in r;
const depth32 = (scale: number | ((d: number) => number)) =>
  encodeFloat32Image(
    sim.depth.map((d) => (typeof scale === 'number' ? d * scale : scale(d))),
    sim.width,
    sim.height,
    good.depth.header,
  );

describe('depth range', () => {
  it('a good frame has no warnings and all its depth in range', () => {
    const r = decodeRgbdFrame(good.color, good.depth, good.info);
    if (isFault(r)) throw new Error(r.message);
    expect(r.warnings).toEqual([]);
    expect(r.depthStats.outOfRange).toBe(0);
    expect(r.depthStats.valid / r.depthStats.total).toBeGreaterThan(0.95);
  });

  it('32FC1 holding millimetres: DEPTH_OUT_OF_RANGE with a millimetres hint, no depth left', () => {
    const r = decodeRgbdFrame(good.color, depth32(1000), good.info);
    if (isFault(r)) throw new Error(r.message);
    expect(r.warnings.map((w) => w.code)).toEqual(['DEPTH_OUT_OF_RANGE']);
    expect(r.warnings[0].message).toMatch(/millimetres/);
    expect(r.depthStats.valid).toBe(0);
    expect(Array.from(r.depth.metres).every((d) => Number.isNaN(d))).toBe(true);
  });

  it.each([
    ['1e30 m', 1e30],
    ['3e38 m', 3e38],
  ])('32FC1 of %s: DEPTH_OUT_OF_RANGE without the millimetres hint', (_w, v) => {
    const r = decodeRgbdFrame(
      good.color,
      depth32(() => v),
      good.info,
    );
    if (isFault(r)) throw new Error(r.message);
    expect(r.warnings.map((w) => w.code)).toEqual(['DEPTH_OUT_OF_RANGE']);
    expect(r.warnings[0].message).not.toMatch(/millimetres/);
  });

  it('saturated 16UC1 (65535 mm everywhere): DEPTH_OUT_OF_RANGE naming the saturation', () => {
    const d = encodeDepth16(
      new Float32Array(sim.width * sim.height).fill(65.535),
      sim.width,
      sim.height,
      good.depth.header,
    );
    const r = decodeRgbdFrame(good.color, d, good.info);
    if (isFault(r)) throw new Error(r.message);
    expect(r.warnings.map((w) => w.code)).toEqual(['DEPTH_OUT_OF_RANGE']);
    expect(r.warnings[0].message).toMatch(/65535/);
  });

  it('a few out-of-range pixels are invalid and counted but raise nothing', () => {
    const r = decodeRgbdFrame(
      good.color,
      depth32((d) => d),
      good.info,
      { minDepth: 0.1, maxDepth: 0.75, minValidFraction: 0.5 },
    );
    if (isFault(r)) throw new Error(r.message);
    const far = sim.depth.filter((d) => d > 0.75).length;
    expect(far).toBeGreaterThan(0);
    expect(far / sim.depth.length).toBeLessThan(0.5);
    expect(r.depthStats.outOfRange).toBe(far);
    expect(r.warnings).toEqual([]);
  });

  it('all-zero depth is DEPTH_MOSTLY_INVALID (missing, not out of range)', () => {
    const d = encodeDepth16(
      new Float32Array(sim.width * sim.height),
      sim.width,
      sim.height,
      good.depth.header,
    );
    const r = decodeRgbdFrame(good.color, d, good.info);
    if (isFault(r)) throw new Error(r.message);
    expect(r.warnings.map((w) => w.code)).toEqual(['DEPTH_MOSTLY_INVALID']);
  });
});

describe('intrinsics plausibility', () => {
  const k = (fx: number, fy: number, cx: number, cy: number) =>
    Float64Array.from([fx, 0, cx, 0, fy, cy, 0, 0, 1]);
  it.each([
    ['cx = 1e12', k(61, 61, 1e12, 30)],
    ['cy = -5', k(61, 61, 40, -5)],
    ['fx = 1e-12', k(1e-12, 61, 40, 30)],
    ['fy = 1e9', k(61, 1e9, 40, 30)],
  ])('%s is BAD_INTRINSICS', (_w, kk) => {
    const r = decodeRgbdFrame(good.color, good.depth, { ...good.info, k: kk });
    expect(isFault(r) && [r.stream, r.code]).toEqual(['camera_info', 'BAD_INTRINSICS']);
  });
  it('ordinary intrinsics pass', () => {
    const r = decodeRgbdFrame(good.color, good.depth, { ...good.info, k: k(40, 40, 45, 28) });
    expect(isFault(r)).toBe(false);
  });
});

describe('frame_id agreement', () => {
  it('depth or camera_info in another frame is a FRAME_ID_MISMATCH warning naming both', () => {
    const depth = { ...good.depth, header: { ...good.depth.header, frame_id: 'camera_depth_optical_frame' } };
    const r = decodeRgbdFrame(good.color, depth, good.info);
    if (isFault(r)) throw new Error(r.message);
    expect(r.warnings.map((w) => w.code)).toEqual(['FRAME_ID_MISMATCH']);
    expect(r.warnings[0].message).toContain('camera_depth_optical_frame');
    expect(r.warnings[0].message).toContain(good.color.header.frame_id);
  });
});

describe('depth range parameters', () => {
  it('min_depth >= max_depth stops the node at start with one line naming both', async () => {
    const { InProcessBus } = await import('../../src/bus');
    const { nodeEntry } = await import('../../src/nodes');
    const bus = new InProcessBus({ argv: ['--ros-args', '-p', 'min_depth:=2.0', '-p', 'max_depth:=1.0'] });
    await expect(nodeEntry('camera_check_node').start(bus, {})).rejects.toThrow(
      "camera_check_node: parameter 'min_depth' (2 m) must be less than 'max_depth' (1 m)",
    );
    await bus.shutdown();
  });
});
