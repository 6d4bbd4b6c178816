// Depth sensor models, measured on rendered frames (never by calling the noise function): σ(z) on
// flat planes against the constants in docs/simulator.md, range, triangulation shadows, flying
// pixels, quantisation, determinism.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCamera, emptyScene, makeObject, renderFrame, Rng, type Scene } from '../../src/sim';
import {
  perturbSensorModel,
  SENSOR_MODELS,
  SENSOR_PARAMETERS,
  type SensorModelName,
  sensorSigmaConstants,
} from '../../src/sim/sensors';

const DOCS = path.join(__dirname, '../../docs/simulator.md');

/** The sensor table of docs/simulator.md: σ₀ and k (metres) per model name. */
function documentedConstants(): Map<string, { base: number; quadratic: number }> {
  const lines = fs.readFileSync(DOCS, 'utf8').split('\n');
  const header = lines.findIndex((l) => l.startsWith('| model | f (px)'));
  expect(header).toBeGreaterThan(0);
  const cells = (l: string): string[] =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const names = cells(lines[header]);
  const base = names.indexOf('σ₀ (mm)');
  const quadratic = names.indexOf('k (mm at 1 m)');
  const out = new Map<string, { base: number; quadratic: number }>();
  for (let i = header + 2; i < lines.length && lines[i].startsWith('|'); i++) {
    const row = cells(lines[i]);
    out.set(row[0].replace(/`/g, ''), {
      base: Number(row[base]) / 1000,
      quadratic: Number(row[quadratic]) / 1000,
    });
  }
  return out;
}

/** Camera `height` above the bin floor, tilted 10°, seeing ~0.3 m of floor: a flat plane filling the view. */
function planeCamera(height: number): ReturnType<typeof createCamera> {
  const width = 160;
  const fx = (width * height) / 0.3;
  const tilt = (10 * Math.PI) / 180;
  return createCamera({
    width,
    height: 120,
    fx,
    fy: fx,
    lookAt: { eye: { x: 0, y: -height * Math.tan(tilt), z: height }, target: { x: 0, y: 0, z: 0 } },
  });
}

function std(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
}

/**
 * σ of sensor − exact depth over the plane's valid pixels in four frames (the matching window makes
 * neighbours err together, so one frame holds only a few hundred independent errors), and their
 * mean exact depth.
 */
function measuredSigma(sensor: SensorModelName, height: number, seed: number): { z: number; sigma: number } {
  const residuals: number[] = [];
  let zSum = 0;
  for (let frameSeed = seed; frameSeed < seed + 4; frameSeed++) {
    const frame = renderFrame(emptyScene(seed), planeCamera(height), { sensor, suction: false, frameSeed });
    let valid = 0;
    for (let i = 0; i < frame.depth.length; i++) {
      const exact = frame.depthExact[i];
      if (!(frame.depth[i] > 0) || !(exact > 0)) continue;
      residuals.push(frame.depth[i] - exact);
      zSum += exact;
      valid++;
    }
    expect(valid).toBeGreaterThan(0.9 * frame.depth.length);
  }
  return { z: zSum / residuals.length, sigma: std(residuals) };
}

/** Sensor − exact depth on the plane in one frame (same seeds as the perturbed-unit test). */
function measuredResiduals(sensor: SensorModelName, height: number, seed: number): number[] {
  const frame = renderFrame(emptyScene(seed), planeCamera(height), {
    sensor,
    suction: false,
    frameSeed: seed,
  });
  const r: number[] = [];
  frame.depth.forEach((z, i) => {
    if (z > 0) r.push(z - frame.depthExact[i]);
  });
  return r;
}

const DISTANCES: Record<SensorModelName, number[]> = {
  ideal: [0.5, 1, 1.5],
  active_stereo: [0.4, 0.8, 1.5],
  structured_light: [0.6, 1.0, 1.6],
  industrial_structured_light: [0.6, 1.0, 1.6],
};

describe('sensor σ(z) against docs/simulator.md', () => {
  const documented = documentedConstants();

  it('documents every model, with the numbers the code uses', () => {
    for (const name of SENSOR_MODELS) {
      const doc = documented.get(name);
      expect(doc).toBeDefined();
      const code = sensorSigmaConstants(SENSOR_PARAMETERS[name]);
      // Three significant digits in the docs.
      expect(Math.abs(doc!.base - code.base)).toBeLessThanOrEqual(0.005 * code.base + 1e-9);
      expect(Math.abs(doc!.quadratic - code.quadratic)).toBeLessThanOrEqual(0.005 * code.quadratic + 1e-9);
    }
  });

  it.each(SENSOR_MODELS.filter((n) => n !== 'ideal'))(
    '%s: σ fitted on planes at three distances matches the docs within 10 %%',
    (name) => {
      const doc = documented.get(name)!;
      const points = DISTANCES[name].map((h, k) => measuredSigma(name, h, 11 + 4 * k));
      // Least squares of σ² = σ₀² + k²·z⁴ (linear in σ₀² and k²).
      let sxx = 0;
      let sx = 0;
      let sy = 0;
      let sxy = 0;
      for (const { z, sigma } of points) {
        const x = z ** 4;
        sxx += x * x;
        sx += x;
        sy += sigma ** 2;
        sxy += x * sigma ** 2;
      }
      const n = points.length;
      const k2 = (n * sxy - sx * sy) / (n * sxx - sx * sx);
      const base2 = (sy - k2 * sx) / n;
      expect(Math.sqrt(k2)).toBeGreaterThan(0.9 * doc.quadratic);
      expect(Math.sqrt(k2)).toBeLessThan(1.1 * doc.quadratic);
      if (doc.base > 0) {
        expect(Math.sqrt(Math.max(0, base2))).toBeGreaterThan(0.9 * doc.base);
        expect(Math.sqrt(Math.max(0, base2))).toBeLessThan(1.1 * doc.base);
      }
      // σ at each distance (where σ₀ = 0 this is also the check that nothing range-independent is left:
      // the fitted σ₀² is too uncertain for that, being dominated by the far plane's variance).
      for (const { z, sigma } of points) {
        const expected = Math.sqrt(doc.base ** 2 + (doc.quadratic * z * z) ** 2);
        expect(sigma).toBeGreaterThan(0.9 * expected);
        expect(sigma).toBeLessThan(1.1 * expected);
      }
    },
  );

  it('neighbours err together over the matching window (stereo, Kinect), not on the PhoXi', () => {
    const correlation = (sensor: SensorModelName): number => {
      const frame = renderFrame(emptyScene(6), planeCamera(1), { sensor, suction: false, frameSeed: 6 });
      const { width } = frame;
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i + 1 < frame.depth.length; i++) {
        if ((i + 1) % width === 0 || !(frame.depth[i] > 0) || !(frame.depth[i + 1] > 0)) continue;
        a.push(frame.depth[i] - frame.depthExact[i]);
        b.push(frame.depth[i + 1] - frame.depthExact[i + 1]);
      }
      const ma = a.reduce((x, y) => x + y, 0) / a.length;
      const mb = b.reduce((x, y) => x + y, 0) / b.length;
      let sab = 0;
      let saa = 0;
      let sbb = 0;
      for (let k = 0; k < a.length; k++) {
        sab += (a[k] - ma) * (b[k] - mb);
        saa += (a[k] - ma) ** 2;
        sbb += (b[k] - mb) ** 2;
      }
      return sab / Math.sqrt(saa * sbb);
    };
    // Window half sizes 2 and 4 sensor px → 2 and 4 px here (fx 533): box-filter correlation 4/5 and 8/9.
    expect(correlation('active_stereo')).toBeGreaterThan(0.65);
    expect(correlation('structured_light')).toBeGreaterThan(0.65);
    expect(Math.abs(correlation('industrial_structured_light'))).toBeLessThan(0.1);
  });

  it('ideal: the exact depth', () => {
    const frame = renderFrame(emptyScene(3), planeCamera(1), { sensor: 'ideal', suction: false });
    expect(frame.depth).toEqual(frame.depthExact);
  });
});

/** A 10 cm cube on the floor under a camera looking straight down from `height`. */
function cubeScene(seed = 5): Scene {
  return {
    ...emptyScene(seed),
    objects: [makeObject(1, { kind: 'box', size: [0.1, 0.1, 0.1] }, { x: 0, y: 0, z: 0.05 })],
  };
}

const downCamera = (height: number) =>
  createCamera({
    width: 160,
    height: 120,
    fx: 150,
    fy: 150,
    lookAt: { eye: { x: 0, y: 0, z: height }, target: { x: 0, y: 0, z: 0 }, up: { x: 0, y: 1, z: 0 } },
  });

describe('sensor effects', () => {
  it('minimum range: nearer surfaces read 0', () => {
    // Bin floor at 0.15 m (stereo minimum 0.2 m) and at 0.4 m (Kinect minimum 0.5 m).
    const near = renderFrame(emptyScene(1), downCamera(0.15), { sensor: 'active_stereo', suction: false });
    expect(near.depthExact.filter((z) => z > 0).length).toBeGreaterThan(15000);
    expect(near.depth.filter((z) => z > 0).length).toBe(0);
    const kinect = renderFrame(emptyScene(1), downCamera(0.4), {
      sensor: 'structured_light',
      suction: false,
    });
    expect(kinect.depth.filter((z) => z > 0).length).toBe(0);
    const ok = renderFrame(emptyScene(1), downCamera(0.6), { sensor: 'structured_light', suction: false });
    expect(ok.depth.filter((z) => z > 0).length).toBeGreaterThan(0.9 * 160 * 120);
  });

  it('triangulation shadow: a hole band left of the cube as wide as f·b·(1/z_top − 1/z_floor)', () => {
    const camera = downCamera(0.5);
    const frame = renderFrame(cubeScene(), camera, { sensor: 'active_stereo', suction: false });
    const b = SENSOR_PARAMETERS.active_stereo.baseline;
    const expected = 150 * b * (1 / 0.4 - 1 / 0.5); // 3.75 px
    const width = 160;
    let leftHoles = 0;
    let rightHoles = 0;
    let rows = 0;
    for (let v = 50; v < 70; v++) {
      // The cube's top spans u where the exact depth is 0.4 m.
      let first = -1;
      let last = -1;
      for (let u = 0; u < width; u++) {
        if (Math.abs(frame.depthExact[v * width + u] - 0.4) < 1e-4) {
          if (first < 0) first = u;
          last = u;
        }
      }
      expect(first).toBeGreaterThan(20);
      rows++;
      for (let u = first - 1; u >= first - 12 && frame.depth[v * width + u] === 0; u--) leftHoles++;
      for (let u = last + 1; u <= last + 12 && frame.depth[v * width + u] === 0; u++) rightHoles++;
    }
    // The cube's side walls are seen edge-on from above: the band is the floor the second view misses.
    expect(leftHoles / rows).toBeGreaterThan(expected - 1.5);
    expect(leftHoles / rows).toBeLessThan(expected + 1.5);
    expect(rightHoles / rows).toBeLessThan(1);
  });

  it('flying pixels at edges on active stereo, none on structured light', () => {
    const between = (sensor: SensorModelName): number => {
      const frame = renderFrame(cubeScene(), downCamera(0.5), { sensor, suction: false });
      let count = 0;
      // Pixels on the cube's top (0.4 m) or the floor (0.5 m) reading a depth in between (the bin's
      // inner walls, seen at the rim of the view, lie in between too: they are left out).
      frame.depth.forEach((z, i) => {
        const exact = frame.depthExact[i];
        const onCubeOrFloor = Math.abs(exact - 0.4) < 1e-4 || Math.abs(exact - 0.5) < 1e-4;
        if (onCubeOrFloor && z > 0.41 && z < 0.49) count++;
      });
      return count;
    };
    // About 4 edges × 67 px × 2 sides × 0.5: well over 50 on the stereo camera.
    expect(between('active_stereo')).toBeGreaterThan(50);
    expect(between('structured_light')).toBe(0);
  });

  it('structured light reads quantised disparities (steps of 1/8 px)', () => {
    const frame = renderFrame(emptyScene(2), planeCamera(1), { sensor: 'structured_light', suction: false });
    const { focalPx, baseline, disparityStep } = SENSOR_PARAMETERS.structured_light;
    let checked = 0;
    for (const z of frame.depth) {
      if (!(z > 0)) continue;
      const steps = (focalPx * baseline) / z / disparityStep;
      expect(Math.abs(steps - Math.round(steps))).toBeLessThan(1e-3);
      checked++;
    }
    expect(checked).toBeGreaterThan(15000);
  });

  it('is deterministic per frame seed, and the seed matters', () => {
    for (const sensor of SENSOR_MODELS) {
      const a = renderFrame(cubeScene(4), downCamera(0.7), { sensor, suction: false, frameSeed: 9 });
      const b = renderFrame(cubeScene(4), downCamera(0.7), { sensor, suction: false, frameSeed: 9 });
      expect(Buffer.from(a.depth.buffer).equals(Buffer.from(b.depth.buffer))).toBe(true);
      if (sensor !== 'ideal') {
        const c = renderFrame(cubeScene(4), downCamera(0.7), { sensor, suction: false, frameSeed: 10 });
        expect(Buffer.from(a.depth.buffer).equals(Buffer.from(c.depth.buffer))).toBe(false);
      }
    }
  });

  it('perturbed units stay within the spread, per seed, and render with their own noise', () => {
    const base = SENSOR_PARAMETERS.active_stereo;
    const a = perturbSensorModel(base, new Rng(4), 0.2);
    expect(perturbSensorModel(base, new Rng(4), 0.2)).toEqual(a);
    expect(perturbSensorModel(base, new Rng(5), 0.2)).not.toEqual(a);
    for (const key of ['disparitySigma', 'darkDropout', 'edgeDropout', 'flyingPixels'] as const) {
      expect(a[key]).toBeGreaterThanOrEqual(0.8 * base[key]);
      expect(a[key]).toBeLessThanOrEqual(1.2 * base[key]);
    }
    expect(a.baseline).toBe(base.baseline);
    expect(a.minRange).toBe(base.minRange);
    const frame = renderFrame(emptyScene(3), planeCamera(1), { sensor: a, suction: false, frameSeed: 3 });
    const r: number[] = [];
    frame.depth.forEach((z, i) => {
      if (z > 0) r.push(z - frame.depthExact[i]);
    });
    const ratio = std(r) / std(measuredResiduals('active_stereo', 1, 3));
    // σ scales with σd (one frame: a few per cent of estimation error).
    expect(Math.abs(ratio - a.disparitySigma / base.disparitySigma)).toBeLessThan(0.08);
    expect(perturbSensorModel(SENSOR_PARAMETERS.ideal, new Rng(1))).toEqual(SENSOR_PARAMETERS.ideal);
    expect(() => perturbSensorModel(base, new Rng(1), 1.5)).toThrow(
      'sensor variation must be in [0, 1), got 1.5',
    );
  });

  it('unknown model names are refused with the list', () => {
    expect(() =>
      renderFrame(emptyScene(1), downCamera(0.7), { sensor: 'lidar' as SensorModelName, suction: false }),
    ).toThrow(/unknown sensor model 'lidar' \(expected ideal, active_stereo/);
  });
});
