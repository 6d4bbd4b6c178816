// Materials (dark, transparent, specular), printed labels and photos, cast shadows and colour
// temperature, measured on rendered frames.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cv } from '../../src/image';
import {
  type Appearance,
  type Camera,
  createCamera,
  emptyScene,
  makeObject,
  renderFrame,
  Rng,
  type Scene,
  type Shape,
  type SimFrame,
} from '../../src/sim';
import { MATERIAL_LOOKS, type MaterialMode, randomMaterialMode } from '../../src/sim/materials';
import { colorTemperatureRgb, DEFAULT_LIGHTING_RANGES, sampleLighting } from '../../src/sim/render';
import { SENSOR_PARAMETERS, type SensorModelName } from '../../src/sim/sensors';
import { type PrintedTexture, printRaster, randomPrint } from '../../src/sim/texture';
import { pixelOf } from './helpers';

const RED: Appearance = {
  color: [0.8, 0.3, 0.2],
  secondaryColor: [0.6, 0.2, 0.15],
  pattern: 'solid',
  scale: 0.02,
};

/** Straight down from `height` over the bin centre, 160×120, world +x to the image right. */
function topCamera(height = 0.6, fx = 400): Camera {
  return createCamera({
    width: 160,
    height: 120,
    fx,
    fy: fx,
    lookAt: { eye: { x: 0, y: 0, z: height }, target: { x: 0, y: 0, z: 0 }, up: { x: 0, y: 1, z: 0 } },
  });
}

function sceneOf(shape: Shape, z: number, appearance: Partial<Appearance> = {}, seed = 3): Scene {
  return {
    ...emptyScene(seed),
    objects: [makeObject(1, shape, { x: 0, y: 0, z }, { appearance: { ...RED, ...appearance } })],
  };
}

const cube = (material?: MaterialMode): Scene =>
  sceneOf({ kind: 'box', size: [0.1, 0.1, 0.1] }, 0.05, material ? { material } : {});

/** Pixels of object 1 whose four neighbours are object 1 too (no edge effects). */
function interior(frame: SimFrame): number[] {
  const { width, height, instance } = frame;
  const out: number[] = [];
  for (let v = 1; v < height - 1; v++) {
    for (let u = 1; u < width - 1; u++) {
      const i = v * width + u;
      if (
        instance[i] === 1 &&
        instance[i - 1] === 1 &&
        instance[i + 1] === 1 &&
        instance[i - width] === 1 &&
        instance[i + width] === 1
      )
        out.push(i);
    }
  }
  return out;
}

const luminance = (rgb: Uint8Array, i: number): number =>
  0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2];
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const missingShare = (frame: SimFrame, pixels: number[]): number =>
  pixels.filter((i) => frame.depth[i] === 0).length / pixels.length;
const SENSORS: SensorModelName[] = ['active_stereo', 'structured_light', 'industrial_structured_light'];

describe('dark (absorbing) material', () => {
  it.each(SENSORS)('%s: depth missing at the documented rate; colour dark', (sensor) => {
    const options = { sensor, suction: false, frameSeed: 4 };
    const matte = renderFrame(cube(), topCamera(), options);
    const dark = renderFrame(cube('dark'), topCamera(), options);
    const pixels = interior(dark);
    expect(pixels.length).toBeGreaterThan(2000);
    const p = SENSOR_PARAMETERS[sensor];
    expect(missingShare(dark, pixels)).toBeGreaterThan(p.darkDropout - 0.04);
    expect(missingShare(dark, pixels)).toBeLessThan(p.darkDropout + p.randomDropout + 0.04);
    expect(missingShare(matte, pixels)).toBeLessThan(0.02);
    // Albedo × 0.12 linear is about × 0.38 in sRGB.
    expect(mean(pixels.map((i) => luminance(dark.rgb, i)))).toBeLessThan(
      0.5 * mean(pixels.map((i) => luminance(matte.rgb, i))),
    );
    // Labels stay on the geometry.
    expect(dark.instance).toEqual(matte.instance);
  });
});

describe('transparent material', () => {
  it.each(SENSORS)('%s: depth missing or the floor behind; colour mostly what lies behind', (sensor) => {
    const options = { sensor, suction: false, frameSeed: 5 };
    const empty = renderFrame(emptyScene(3), topCamera(), options);
    const matte = renderFrame(cube(), topCamera(), options);
    const glass = renderFrame(cube('transparent'), topCamera(), options);
    const pixels = interior(glass);
    let missing = 0;
    for (const i of pixels) {
      const z = glass.depth[i];
      if (z === 0) missing++;
      // Never the cube's top (0.5 m away); the floor behind it (0.6 m) to within noise.
      else expect(Math.abs(z - empty.depthExact[i])).toBeLessThan(0.01);
    }
    const p = SENSOR_PARAMETERS[sensor];
    expect(missing / pixels.length).toBeGreaterThan(p.transparentMissing - 0.05);
    expect(missing / pixels.length).toBeLessThan(p.transparentMissing + p.randomDropout + 0.05);
    const diff = (a: SimFrame, b: SimFrame): number =>
      mean(
        pixels.map(
          (i) =>
            Math.abs(a.rgb[3 * i] - b.rgb[3 * i]) +
            Math.abs(a.rgb[3 * i + 1] - b.rgb[3 * i + 1]) +
            Math.abs(a.rgb[3 * i + 2] - b.rgb[3 * i + 2]),
        ),
      );
    // Opacity 0.25: a quarter of the way from the floor to the opaque cube (plus highlights).
    expect(MATERIAL_LOOKS.transparent.opacity).toBe(0.25);
    expect(diff(glass, empty)).toBeLessThan(0.5 * diff(glass, matte));
    expect(diff(glass, empty)).toBeGreaterThan(3);
    expect(glass.instance).toEqual(matte.instance);
  });
});

describe('specular material', () => {
  const ball = (material?: MaterialMode): Scene =>
    sceneOf({ kind: 'sphere', radius: 0.05 }, 0.05, material ? { material } : {});

  it('a highlight where the normal halves the light and view directions', () => {
    const camera = topCamera();
    const matte = renderFrame(ball(), camera, { suction: false });
    const shiny = renderFrame(ball('specular'), camera, { suction: false });
    const pixels = interior(shiny);
    let brightest = pixels[0];
    for (const i of pixels) if (luminance(shiny.rgb, i) > luminance(shiny.rgb, brightest)) brightest = i;
    const maxGreen = (f: SimFrame): number => Math.max(...pixels.map((i) => f.rgb[3 * i + 1]));
    expect(maxGreen(shiny)).toBeGreaterThan(maxGreen(matte) + 40);
    // Expected spot: n = normalise(l + v), v the direction to the camera (nearly straight up).
    const { direction: l } = emptyScene(3).lighting;
    const centre = { x: 0, y: 0, z: 0.05 };
    const ln = Math.hypot(l.x, l.y, l.z);
    let h = { x: l.x / ln, y: l.y / ln, z: l.z / ln + 1 };
    for (let k = 0; k < 3; k++) {
      const point = {
        x: centre.x + (0.05 * h.x) / Math.hypot(h.x, h.y, h.z),
        y: centre.y + (0.05 * h.y) / Math.hypot(h.x, h.y, h.z),
        z: centre.z + (0.05 * h.z) / Math.hypot(h.x, h.y, h.z),
      };
      const v = { x: -point.x, y: -point.y, z: 0.6 - point.z };
      const vn = Math.hypot(v.x, v.y, v.z);
      h = { x: l.x / ln + v.x / vn, y: l.y / ln + v.y / vn, z: l.z / ln + v.z / vn };
    }
    const hn = Math.hypot(h.x, h.y, h.z);
    const spot = pixelOf(camera, { x: (0.05 * h.x) / hn, y: (0.05 * h.y) / hn, z: 0.05 + (0.05 * h.z) / hn });
    const w = camera.intrinsics.width;
    expect(
      Math.hypot((brightest % w) - (spot % w), Math.floor(brightest / w) - Math.floor(spot / w)),
    ).toBeLessThan(3);
  });

  it('depth drops out where the surface mirrors the camera, and at random elsewhere', () => {
    const camera = topCamera();
    const options = { sensor: 'active_stereo' as const, suction: false, frameSeed: 6 };
    const matte = renderFrame(ball(), camera, options);
    const shiny = renderFrame(ball('specular'), camera, options);
    // The top of the ball faces the camera: all of it within ~2 px reads 0 (cone 0.15 rad ≈ 5 px).
    const top = pixelOf(camera, { x: 0, y: 0, z: 0.1 });
    const w = camera.intrinsics.width;
    for (let dv = -2; dv <= 2; dv++) {
      for (let du = -2; du <= 2; du++) {
        expect(shiny.depth[top + dv * w + du]).toBe(0);
        expect(matte.depth[top + dv * w + du]).toBeGreaterThan(0);
      }
    }
    const flank = interior(shiny).filter(
      (i) => Math.hypot((i % w) - (top % w), Math.floor(i / w) - Math.floor(top / w)) > 12,
    );
    expect(flank.length).toBeGreaterThan(1000);
    const p = SENSOR_PARAMETERS.active_stereo;
    expect(missingShare(shiny, flank)).toBeGreaterThan(p.specularDropout - 0.03);
    expect(missingShare(shiny, flank)).toBeLessThan(p.specularDropout + p.randomDropout + 0.03);
    expect(missingShare(matte, flank)).toBeLessThan(0.02);
  });
});

describe('printed labels and photos', () => {
  const label = (lines: string[], barcodeSeed?: number): PrintedTexture => ({
    kind: 'label',
    lines,
    size: [0.08, 0.05],
    paper: [0.9, 0.9, 0.9],
    ink: [0.01, 0.01, 0.01],
    ...(barcodeSeed === undefined ? {} : { barcodeSeed }),
  });
  const labelled = (print?: PrintedTexture): Scene =>
    sceneOf({ kind: 'box', size: [0.12, 0.08, 0.05] }, 0.025, print ? { print } : {});

  it('a text label renders on the face: paper and ink where the base colour was', () => {
    const camera = topCamera(0.5);
    const plain = renderFrame(labelled(), camera, { suction: false });
    const printed = renderFrame(labelled(label(['FRAGILE'])), camera, { suction: false });
    const pixels = interior(printed);
    const ink = (f: SimFrame): number =>
      pixels.filter((i) => luminance(f.rgb, i) < 60).length / pixels.length;
    const paper = (f: SimFrame): number =>
      pixels.filter((i) => luminance(f.rgb, i) > 180).length / pixels.length;
    expect(ink(plain)).toBe(0);
    expect(paper(plain)).toBe(0);
    // The 8 × 5 cm label covers ~40 % of the 12 × 8 cm face; the text a fraction of the label.
    expect(paper(printed)).toBeGreaterThan(0.2);
    expect(ink(printed)).toBeGreaterThan(0.01);
    expect(ink(printed)).toBeLessThan(0.2);
    const other = renderFrame(labelled(label(['OK 42'])), camera, { suction: false });
    expect(Buffer.from(other.rgb).equals(Buffer.from(printed.rgb))).toBe(false);
    // Geometry and labels untouched.
    expect(printed.depth).toEqual(plain.depth);
    expect(printed.instance).toEqual(plain.instance);
  });

  it('a barcode puts alternating bars under the text', () => {
    const raster = printRaster(label(['LOT 7'], 12345));
    const row = Math.round(raster.height * 0.8);
    let changes = 0;
    for (let x = 1; x < raster.width; x++) {
      const dark = (k: number): boolean => raster.rgb[3 * (row * raster.width + k)] < 0.2;
      if (dark(x) !== dark(x - 1)) changes++;
    }
    expect(changes).toBeGreaterThan(20);
    expect(printRaster(label(['LOT 7']))).not.toEqual(raster);
  });

  it('a photo decal shows the image the right way round; a missing file names the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-photo-'));
    const file = path.join(dir, 'red-left-blue-right.png');
    const c = cv();
    const image = new c.Mat(64, 64, c.CV_8UC3, [255, 0, 0]); // BGR: blue
    image.drawRectangle(new c.Rect(0, 0, 32, 64), new c.Vec3(0, 0, 255), -1); // left half red
    c.imwrite(file, image);
    const camera = topCamera(0.5);
    const frame = renderFrame(labelled({ kind: 'photo', file, size: [0.08, 0.05] }), camera, {
      suction: false,
    });
    const left = pixelOf(camera, { x: -0.02, y: 0, z: 0.05 });
    const right = pixelOf(camera, { x: 0.02, y: 0, z: 0.05 });
    expect(frame.rgb[3 * left]).toBeGreaterThan(frame.rgb[3 * left + 2] + 80);
    expect(frame.rgb[3 * right + 2]).toBeGreaterThan(frame.rgb[3 * right] + 80);
    fs.rmSync(dir, { recursive: true });
    const missing = path.join(dir, 'nope.png');
    expect(() => renderFrame(labelled({ kind: 'photo', file: missing, size: [0.08, 0.05] }), camera)).toThrow(
      `${missing}: photo texture: no such file`,
    );
  });

  it('random prints and materials are deterministic per seed', () => {
    const draw = (seed: number): unknown => {
      const rng = new Rng(seed);
      return [randomPrint(rng), randomPrint(rng, { photos: ['a.png', 'b.png'] }), randomMaterialMode(rng)];
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    const rng = new Rng(3);
    const counts = new Map<string, number>();
    for (let k = 0; k < 2000; k++) {
      const m = randomMaterialMode(rng);
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    expect(counts.get('matte')! / 2000).toBeGreaterThan(0.66);
    expect(counts.get('matte')! / 2000).toBeLessThan(0.74);
  });
});

describe('lighting', () => {
  it('casts shadows away from the light; lit pixels unchanged', () => {
    const camera = topCamera(0.7, 200);
    const scene: Scene = {
      ...cube(),
      lighting: { direction: { x: 0.5, y: 0, z: 1 }, intensity: 0.75, ambient: 0.3, color: [1, 1, 1] },
    };
    const lit = renderFrame(scene, camera, { suction: false });
    const shadowed = renderFrame(scene, camera, { suction: false, shadows: true });
    // The cube (10 cm tall) shades the floor from x = −0.05 to −0.10 (light 0.5 to the side per unit up).
    const inShadow = pixelOf(camera, { x: -0.075, y: 0, z: 0 });
    const opposite = pixelOf(camera, { x: 0.075, y: 0, z: 0 });
    const top = pixelOf(camera, { x: 0, y: 0, z: 0.1 });
    expect(luminance(shadowed.rgb, inShadow)).toBeLessThan(0.8 * luminance(lit.rgb, inShadow));
    for (const i of [opposite, top]) {
      expect([...shadowed.rgb.subarray(3 * i, 3 * i + 3)]).toEqual([...lit.rgb.subarray(3 * i, 3 * i + 3)]);
    }
    expect(renderFrame(scene, camera, { suction: false, shadows: false }).rgb).toEqual(lit.rgb);
    // The table: the bin's −x wall (10 cm over the floor) shades it out to x ≈ −0.29.
    const side = createCamera({
      width: 160,
      height: 120,
      fx: 400,
      fy: 400,
      lookAt: {
        eye: { x: -0.3, y: 0, z: 0.7 },
        target: { x: -0.3, y: 0, z: -0.01 },
        up: { x: 0, y: 1, z: 0 },
      },
    });
    const tableLit = renderFrame(scene, side, { suction: false });
    const tableShadowed = renderFrame(scene, side, { suction: false, shadows: true });
    const behindWall = pixelOf(side, { x: -0.26, y: 0, z: -0.01 });
    const open = pixelOf(side, { x: -0.34, y: 0, z: -0.01 });
    expect(luminance(tableShadowed.rgb, behindWall)).toBeLessThan(0.8 * luminance(tableLit.rgb, behindWall));
    expect([...tableShadowed.rgb.subarray(3 * open, 3 * open + 3)]).toEqual([
      ...tableLit.rgb.subarray(3 * open, 3 * open + 3),
    ]);
  });

  it('colour temperature: 6500 K white, warm lamps orange, cold light blue', () => {
    expect(colorTemperatureRgb(6500).map((c) => Math.round(c * 1e6) / 1e6)).toEqual([1, 1, 1]);
    const warm = colorTemperatureRgb(3000);
    expect(warm[0]).toBeGreaterThan(warm[1]);
    expect(warm[1]).toBeGreaterThan(2 * warm[2]);
    const cold = colorTemperatureRgb(9000);
    expect(cold[2]).toBeGreaterThan(cold[0] * 1.3);
    expect(() => colorTemperatureRgb(100)).toThrow(/1000–40000 K, got 100/);
  });
});

describe('lighting randomisation', () => {
  it('draws within the ranges, deterministic per seed; empty ranges are refused', () => {
    const rng = new Rng(5);
    let shadows = 0;
    for (let k = 0; k < 500; k++) {
      const { lighting, shadows: cast } = sampleLighting(rng);
      const tilt = Math.acos(lighting.direction.z);
      expect(tilt).toBeGreaterThanOrEqual(DEFAULT_LIGHTING_RANGES.tilt[0] - 1e-12);
      expect(tilt).toBeLessThanOrEqual(DEFAULT_LIGHTING_RANGES.tilt[1] + 1e-12);
      expect(lighting.intensity).toBeGreaterThanOrEqual(0.55);
      expect(lighting.intensity).toBeLessThanOrEqual(0.9);
      // Between a 3000 K lamp and 7500 K: red over blue by at most the 3000 K ratio.
      expect(lighting.color[0] / lighting.color[2]).toBeLessThanOrEqual(
        colorTemperatureRgb(3000)[0] / colorTemperatureRgb(3000)[2] + 1e-9,
      );
      expect(lighting.color[0] / lighting.color[2]).toBeGreaterThanOrEqual(
        colorTemperatureRgb(7500)[0] / colorTemperatureRgb(7500)[2] - 1e-9,
      );
      if (cast) shadows++;
    }
    expect(shadows / 500).toBeGreaterThan(0.43);
    expect(shadows / 500).toBeLessThan(0.57);
    expect(sampleLighting(new Rng(9))).toEqual(sampleLighting(new Rng(9)));
    expect(() => sampleLighting(new Rng(1), { ...DEFAULT_LIGHTING_RANGES, ambient: [0.5, 0.2] })).toThrow(
      'lighting ambient: range [0.5, 0.2] is empty',
    );
  });
});

describe('determinism with every effect on', () => {
  it('same scene, seed and options → identical bytes', () => {
    const scene: Scene = {
      ...emptyScene(8),
      objects: [
        makeObject(
          1,
          { kind: 'box', size: [0.08, 0.08, 0.05] },
          { x: -0.06, y: 0, z: 0.025 },
          { appearance: { ...RED, material: 'dark' } },
        ),
        makeObject(
          2,
          { kind: 'sphere', radius: 0.04 },
          { x: 0.06, y: 0, z: 0.04 },
          { appearance: { ...RED, material: 'specular' } },
        ),
        makeObject(
          3,
          { kind: 'cylinder', radius: 0.03, length: 0.08 },
          { x: 0, y: 0.08, z: 0.04 },
          { appearance: { ...RED, material: 'transparent' } },
        ),
        makeObject(
          4,
          { kind: 'box', size: [0.1, 0.06, 0.03] },
          { x: 0, y: -0.09, z: 0.015 },
          { appearance: { ...RED, print: randomPrint(new Rng(4)) } },
        ),
      ],
    };
    const render = (): SimFrame =>
      renderFrame(scene, topCamera(0.7, 150), {
        sensor: 'active_stereo',
        shadows: true,
        realism: true,
        frameSeed: 3,
      });
    const a = render();
    const b = render();
    expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
    expect(Buffer.from(a.depth.buffer).equals(Buffer.from(b.depth.buffer))).toBe(true);
  });
});

describe('shadow-ray culling', () => {
  it('answers as a ray tested against every primitive, on random clutter', async () => {
    const { BinPickingSim } = await import('../../src/sim');
    const { buildPrimitives, HIT_NONE, RayCaster } = await import('../../src/sim/raycast');
    const { ShadowTester } = await import('../../src/sim/render');
    const sim = await BinPickingSim.random({ count: 12, seed: 21 });
    const set = buildPrimitives(sim.scene);
    sim.dispose();
    const rng = new Rng(8);
    const brute = new RayCaster(set);
    let occluded = 0;
    for (let trial = 0; trial < 4; trial++) {
      const tilt = rng.uniform(0, 1.2);
      const azimuth = rng.uniform(0, 2 * Math.PI);
      const l = [Math.sin(tilt) * Math.cos(azimuth), Math.sin(tilt) * Math.sin(azimuth), Math.cos(tilt)];
      const tester = new ShadowTester(set, l[0], l[1], l[2]);
      for (let k = 0; k < 2000; k++) {
        const [x, y, z] = [rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3), rng.uniform(-0.01, 0.15)];
        const expected = brute.cast(x, y, z, l[0], l[1], l[2], 100, null, 0) !== HIT_NONE;
        expect(tester.occluded(x, y, z)).toBe(expected);
        if (expected) occluded++;
      }
    }
    // Both answers occur often: the comparison means something.
    expect(occluded).toBeGreaterThan(1000);
    expect(occluded).toBeLessThan(7000);
  });
});
