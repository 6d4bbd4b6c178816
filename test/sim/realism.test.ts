import { createCamera, emptyScene, makeObject, renderFrame, Rng } from '../../src/sim';
import { NoiseSource } from '../../src/sim/random';
import { applyDepthRealism } from '../../src/sim/realism';
import { DEFAULT_REALISM } from '../../src/sim';

const options = { ...DEFAULT_REALISM, enabled: true };

function std(values: Float32Array, reference: number): number {
  let sum = 0;
  let n = 0;
  values.forEach((v) => {
    if (v > 0) {
      sum += (v - reference) ** 2;
      n++;
    }
  });
  return Math.sqrt(sum / n);
}

describe('sensor realism', () => {
  it('depth noise grows with distance; missing stays 0; off leaves depth exact', () => {
    const near = new Float32Array(100 * 100).fill(0.4);
    const far = new Float32Array(100 * 100).fill(1.6);
    const sNear = std(applyDepthRealism(near, 100, 100, options, new NoiseSource(1)), 0.4);
    const sFar = std(applyDepthRealism(far, 100, 100, options, new NoiseSource(1)), 1.6);
    expect(sNear).toBeCloseTo(0.0005 + 0.0025 * 0.16, 4);
    expect(sFar).toBeCloseTo(0.0005 + 0.0025 * 2.56, 3);
    const holes = near.slice();
    holes.fill(0, 0, 500);
    expect(
      applyDepthRealism(holes, 100, 100, options, new NoiseSource(2))
        .subarray(0, 500)
        .every((v) => v === 0),
    ).toBe(true);
    expect(applyDepthRealism(far, 100, 100, DEFAULT_REALISM, new NoiseSource(1))).toEqual(far);
  });

  it('drops pixels at depth edges', () => {
    const step = new Float32Array(64 * 64);
    step.forEach((_, i) => (step[i] = i % 64 < 32 ? 0.6 : 0.7));
    const out = applyDepthRealism(step, 64, 64, { ...options, randomDropout: 0 }, new NoiseSource(3));
    let edgeDrops = 0;
    let interiorDrops = 0;
    out.forEach((v, i) => {
      const u = i % 64;
      if (v !== 0) return;
      if (u === 31 || u === 32) edgeDrops++;
      else interiorDrops++;
    });
    expect(edgeDrops).toBeGreaterThan(30);
    expect(interiorDrops).toBe(0);
  });

  it('jitters colour and lighting but never the labels', () => {
    const scene = {
      ...emptyScene(5),
      objects: [makeObject(1, { kind: 'box', size: [0.06, 0.06, 0.04] }, { x: 0, y: 0, z: 0.02 })],
    };
    const camera = createCamera({ width: 80, height: 60 });
    const clean = renderFrame(scene, camera);
    const real = renderFrame(scene, camera, { realism: true });
    expect(Buffer.from(real.rgb).equals(Buffer.from(clean.rgb))).toBe(false);
    expect(real.instance).toEqual(clean.instance);
    expect(real.suction).toEqual(clean.suction);
    expect(real.depthExact).toEqual(clean.depthExact);
    expect(real.depth).not.toEqual(clean.depth);
    expect(renderFrame(scene, camera, { realism: true, frameSeed: 9 }).rgb).not.toEqual(real.rgb);
  });
});

describe('Rng', () => {
  it('is reproducible and roughly uniform / normal', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 20000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    const n = new Rng(7);
    const ns = Array.from({ length: 20000 }, () => n.normal());
    const mean = ns.reduce((s, x) => s + x, 0) / ns.length;
    expect(mean).toBeCloseTo(0, 1);
    expect(Math.sqrt(ns.reduce((s, x) => s + (x - mean) ** 2, 0) / ns.length)).toBeCloseTo(1, 1);
    // The fast per-pixel source too.
    const fast = new NoiseSource(7);
    const fs = Array.from({ length: 20000 }, () => fast.normal());
    const fastMean = fs.reduce((s, x) => s + x, 0) / fs.length;
    expect(fastMean).toBeCloseTo(0, 1);
    expect(Math.sqrt(fs.reduce((s, x) => s + (x - fastMean) ** 2, 0) / fs.length)).toBeCloseTo(1, 1);
  });
});
