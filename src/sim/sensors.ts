// Depth sensor models: what a real RGB-D camera makes of the exact depth. Triangulating sensors
// (stereo, structured light) measure disparity d = f·b/z, so disparity noise and quantisation become
// depth noise growing with z²; the second view (the other imager, or the projector) is offset by the
// baseline, so surfaces it cannot see beside an occluding edge read nothing. Formulas and constants:
// docs/simulator.md ("Depth sensor models"), which a test checks against SENSOR_PARAMETERS.
import { DARK, SPECULAR, TRANSPARENT } from './materials';
import { type NoiseSource, type Rng } from './random';

export type SensorModelName = 'ideal' | 'active_stereo' | 'structured_light' | 'industrial_structured_light';

export const SENSOR_MODELS: readonly SensorModelName[] = [
  'ideal',
  'active_stereo',
  'structured_light',
  'industrial_structured_light',
];

export interface SensorModel {
  name: SensorModelName;
  /** Valid depth range, metres; nearer or farther reads 0. */
  minRange: number;
  maxRange: number;
  /** Focal length of the depth imager (its own pixels) and baseline to the second view, metres. */
  focalPx: number;
  baseline: number;
  /** σ of the disparity matching noise and the disparity quantisation step, pixels (0: none). */
  disparitySigma: number;
  disparityStep: number;
  /**
   * Half size of the matching window, sensor pixels: the disparity noise is white noise averaged
   * over it (and rescaled to σd), so neighbouring pixels err together as in a real correlator.
   */
  matchingWindow: number;
  /** Range-independent depth σ, metres. */
  depthSigmaBase: number;
  /** A 4-neighbour depth jump larger than this makes an edge, metres. */
  edgeThreshold: number;
  /** Probability that an edge pixel reads a depth between its own and its neighbour's (flying pixel). */
  flyingPixels: number;
  /** Probability that an edge pixel reads 0. */
  edgeDropout: number;
  /** Surfaces the second view cannot see (beside occluding edges) read 0. */
  shadowHoles: boolean;
  /** Probability that any pixel reads 0. */
  randomDropout: number;
  /** Probability that a dark (absorbing) pixel reads 0. */
  darkDropout: number;
  /** Transparent pixels read 0 with this probability, else the depth of what lies behind them. */
  transparentMissing: number;
  /** Specular pixels within this angle of the mirror direction read 0 (saturated), radians. */
  specularCone: number;
  /** Probability that any other specular pixel reads 0. */
  specularDropout: number;
}

const NO_EFFECTS = {
  edgeThreshold: 0.01,
  flyingPixels: 0,
  edgeDropout: 0,
  shadowHoles: false,
  randomDropout: 0,
  darkDropout: 0,
  transparentMissing: 0,
  specularCone: 0,
  specularDropout: 0,
};

/** The models' constants; docs/simulator.md lists the same numbers (a test compares them). */
export const SENSOR_PARAMETERS: Readonly<Record<SensorModelName, Readonly<SensorModel>>> = Object.freeze({
  ideal: Object.freeze({
    name: 'ideal',
    minRange: 0,
    maxRange: Infinity,
    focalPx: 0,
    baseline: 0,
    disparitySigma: 0,
    disparityStep: 0,
    matchingWindow: 0,
    depthSigmaBase: 0,
    ...NO_EFFECTS,
  }),
  // RealSense D435 at 848×480: left imager focal ≈ 430 px, 50 mm baseline, 0.08 px subpixel RMS,
  // 1/32 px disparity resolution, minimum z ≈ 0.2 m.
  active_stereo: Object.freeze({
    name: 'active_stereo',
    minRange: 0.2,
    maxRange: 6,
    focalPx: 430,
    baseline: 0.05,
    disparitySigma: 0.08,
    disparityStep: 1 / 32,
    matchingWindow: 2,
    depthSigmaBase: 0,
    edgeThreshold: 0.01,
    flyingPixels: 0.5,
    edgeDropout: 0.1,
    shadowHoles: true,
    randomDropout: 0.002,
    darkDropout: 0.5,
    transparentMissing: 0.4,
    specularCone: 0.15,
    specularDropout: 0.05,
  }),
  // Kinect v1 / PrimeSense Carmine: IR focal 580 px, projector 75 mm away, 1/8 px disparity steps;
  // σ(z) ≈ 1.42 mm · z² (Khoshelham & Elberink 2012 measured 1.43 mm · z²).
  structured_light: Object.freeze({
    name: 'structured_light',
    minRange: 0.5,
    maxRange: 4.5,
    focalPx: 580,
    baseline: 0.075,
    disparitySigma: 0.05,
    disparityStep: 1 / 8,
    matchingWindow: 4,
    depthSigmaBase: 0,
    edgeThreshold: 0.01,
    flyingPixels: 0,
    edgeDropout: 0.7,
    shadowHoles: true,
    randomDropout: 0.005,
    darkDropout: 0.7,
    transparentMissing: 0.7,
    specularCone: 0.2,
    specularDropout: 0.15,
  }),
  // Photoneo PhoXi 3D Scanner M/L: phase shift with a wide baseline, sub-millimetre noise, no
  // quantisation to speak of; weak returns (dark surfaces) are rejected.
  industrial_structured_light: Object.freeze({
    name: 'industrial_structured_light',
    minRange: 0.45,
    maxRange: 2.2,
    focalPx: 2000,
    baseline: 0.3,
    disparitySigma: 0.05,
    disparityStep: 0,
    matchingWindow: 0,
    depthSigmaBase: 0.00005,
    edgeThreshold: 0.005,
    flyingPixels: 0,
    edgeDropout: 0.3,
    shadowHoles: true,
    randomDropout: 0.0005,
    darkDropout: 0.95,
    transparentMissing: 0.9,
    specularCone: 0.1,
    specularDropout: 0.2,
  }),
});

/**
 * Depth noise σ(z) of a model on a flat matte surface: √(σ₀² + (k·z²)²) with
 * k = √(σd² + q²/12) / (f·b) (disparity noise plus quantisation, Sheppard's correction).
 */
export function sensorSigmaConstants(model: SensorModel): { base: number; quadratic: number } {
  const disparity = Math.sqrt(model.disparitySigma ** 2 + model.disparityStep ** 2 / 12);
  const quadratic =
    model.focalPx > 0 && model.baseline > 0 ? disparity / (model.focalPx * model.baseline) : 0;
  return { base: model.depthSigmaBase, quadratic };
}

export function resolveSensorModel(sensor: SensorModelName | SensorModel): SensorModel {
  if (typeof sensor !== 'string') return sensor;
  const model = SENSOR_PARAMETERS[sensor];
  if (!model) throw new RangeError(`unknown sensor model '${sensor}' (expected ${SENSOR_MODELS.join(', ')})`);
  return model;
}

/** One of `names` (default: every model but 'ideal'), uniformly. */
export function randomSensorModel(
  rng: Rng,
  names: readonly SensorModelName[] = SENSOR_MODELS.filter((n) => n !== 'ideal'),
): SensorModelName {
  if (names.length === 0) throw new RangeError('randomSensorModel needs at least one model name');
  return rng.pick(names);
}

/** The constants perturbSensorModel varies (noise and effect probabilities; geometry and range stay). */
const VARIED: readonly (keyof SensorModel)[] = [
  'disparitySigma',
  'depthSigmaBase',
  'flyingPixels',
  'edgeDropout',
  'randomDropout',
  'darkDropout',
  'transparentMissing',
  'specularDropout',
];

/**
 * Another unit of the same camera, or other settings: each varied constant × U(1 − spread,
 * 1 + spread), probabilities capped at 1. 'ideal' stays ideal. The σ(z) table no longer applies
 * exactly (σd scales σ(z) by the same factor).
 */
export function perturbSensorModel(model: SensorModel, rng: Rng, spread = 0.2): SensorModel {
  if (!(spread >= 0 && spread < 1)) throw new RangeError(`sensor variation must be in [0, 1), got ${spread}`);
  if (model.name === 'ideal') return { ...model };
  const out: SensorModel = { ...model };
  for (const key of VARIED) {
    const scaled = (model[key] as number) * rng.uniform(1 - spread, 1 + spread);
    (out[key] as number) =
      key === 'disparitySigma' || key === 'depthSigmaBase' ? scaled : Math.min(1, scaled);
  }
  return out;
}

/** What a sensor model needs of a rendered frame, beside the exact depth. */
export interface SensorInput {
  width: number;
  height: number;
  /** Focal length of the rendered image, pixels (the shadow band is measured in its pixels). */
  fx: number;
  /** Exact optical depth, metres, 0 = nothing. */
  depth: Float32Array;
  /** MATERIAL_MODES code per pixel; absent: all matte. */
  material?: Uint8Array;
  /** Exact depth with transparent surfaces removed (needed when `material` has transparent pixels). */
  backgroundDepth?: Float32Array;
  /** cos of the angle between the surface normal and the ray back to the camera (specular pixels). */
  viewCosine?: Float32Array;
}

/**
 * Sensor depth from exact depth under `model`. Pure: same input and noise seed → same output.
 * Every pixel draws the same four numbers in the same order, whatever happens to it.
 */
export function applySensorModel(model: SensorModel, input: SensorInput, noise: NoiseSource): Float32Array {
  const { width, height, material } = input;
  const n = width * height;
  if (model.name === 'ideal') return input.depth.slice();
  // What the sensor looks at: through transparent surfaces to whatever lies behind.
  const apparent = input.depth.slice();
  if (material && input.backgroundDepth) {
    for (let i = 0; i < n; i++) if (material[i] === TRANSPARENT) apparent[i] = input.backgroundDepth[i];
  }
  const shadow =
    model.shadowHoles && model.baseline > 0
      ? shadowMask(apparent, width, height, input.fx, model.baseline)
      : null;
  const fb = model.focalPx * model.baseline;
  const sigmaD = model.disparitySigma;
  const step = model.disparityStep;
  const cosCone = Math.cos(model.specularCone);
  const edge = model.edgeThreshold;
  const draws = new Float64Array(4 * n);
  for (let k = 0; k < 4 * n; k += 4) {
    draws[k] = noise.uniform();
    draws[k + 1] = noise.uniform();
    draws[k + 2] = noise.normal();
    draws[k + 3] = noise.normal();
  }
  // The window in this image's pixels (the rendered image need not have the sensor's resolution).
  const radius = model.focalPx > 0 ? Math.round((model.matchingWindow * input.fx) / model.focalPx) : 0;
  const disparityNoise = windowedNoise(draws, 2, width, height, radius);
  const out = new Float32Array(n);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const i = v * width + u;
      const drop = draws[4 * i];
      const mix = draws[4 * i + 1];
      const gDisparity = disparityNoise[i];
      const gBase = draws[4 * i + 3];
      let z = apparent[i];
      if (!(z > 0) || z < model.minRange || z > model.maxRange) continue;
      if (shadow && shadow[i]) continue;
      if (drop < model.randomDropout) continue;
      const code = material ? material[i] : 0;
      if (code === DARK && drop < model.darkDropout) continue;
      if (code === TRANSPARENT && drop < model.transparentMissing) continue;
      if (code === SPECULAR) {
        const c = input.viewCosine ? input.viewCosine[i] : 0;
        if (c > cosCone || drop < model.specularDropout) continue;
      }
      // The neighbour with the largest jump, if it makes this pixel an edge.
      let jump = 0;
      if (u > 0 && apparent[i - 1] > 0 && Math.abs(apparent[i - 1] - z) > Math.abs(jump))
        jump = apparent[i - 1] - z;
      if (u < width - 1 && apparent[i + 1] > 0 && Math.abs(apparent[i + 1] - z) > Math.abs(jump))
        jump = apparent[i + 1] - z;
      if (v > 0 && apparent[i - width] > 0 && Math.abs(apparent[i - width] - z) > Math.abs(jump))
        jump = apparent[i - width] - z;
      if (v < height - 1 && apparent[i + width] > 0 && Math.abs(apparent[i + width] - z) > Math.abs(jump))
        jump = apparent[i + width] - z;
      if (Math.abs(jump) > edge) {
        if (drop < model.edgeDropout) continue;
        // Matching windows straddling the edge mix both surfaces.
        if (mix < model.flyingPixels) z += (mix / model.flyingPixels) * jump;
      }
      if (fb > 0) {
        let d = fb / z + sigmaD * gDisparity;
        if (step > 0) d = Math.round(d / step) * step;
        if (!(d > 0)) continue;
        z = fb / d;
      }
      z += model.depthSigmaBase * gBase;
      if (z > 0) out[i] = z;
    }
  }
  return out;
}

/**
 * Standard-normal field: the white draws (every 4th value from `offset`) summed over the
 * (2·radius + 1)² window around each pixel (clipped at the border) and divided by √count, so every
 * pixel keeps unit variance while neighbours share most of their draws. radius 0: the draws.
 */
function windowedNoise(
  draws: Float64Array,
  offset: number,
  width: number,
  height: number,
  radius: number,
): Float64Array {
  const n = width * height;
  const white = new Float64Array(n);
  for (let i = 0; i < n; i++) white[i] = draws[4 * i + offset];
  if (radius <= 0) return white;
  // Separable box sums: along rows, then along columns.
  const rows = new Float64Array(n);
  for (let v = 0; v < height; v++) {
    const o = v * width;
    let sum = 0;
    for (let u = 0; u < Math.min(radius, width); u++) sum += white[o + u];
    for (let u = 0; u < width; u++) {
      if (u + radius < width) sum += white[o + u + radius];
      if (u - radius - 1 >= 0) sum -= white[o + u - radius - 1];
      rows[o + u] = sum;
    }
  }
  const out = new Float64Array(n);
  for (let u = 0; u < width; u++) {
    let sum = 0;
    for (let v = 0; v < Math.min(radius, height); v++) sum += rows[v * width + u];
    for (let v = 0; v < height; v++) {
      if (v + radius < height) sum += rows[(v + radius) * width + u];
      if (v - radius - 1 >= 0) sum -= rows[(v - radius - 1) * width + u];
      const cols = Math.min(width - 1, u + radius) - Math.max(0, u - radius) + 1;
      const count = cols * (Math.min(height - 1, v + radius) - Math.max(0, v - radius) + 1);
      out[v * width + u] = sum / Math.sqrt(count);
    }
  }
  return out;
}

/**
 * Pixels the second view (offset by `baseline` along the image +x axis) cannot see: a pixel at u
 * with depth z appears at u − f·b/z there, and is hidden when a pixel to its right appears at or left
 * of that position while nearer (a scanline occlusion test, one pass per row from the right).
 */
export function shadowMask(
  depth: Float32Array,
  width: number,
  height: number,
  fx: number,
  baseline: number,
): Uint8Array {
  const mask = new Uint8Array(width * height);
  const fb = fx * baseline;
  for (let v = 0; v < height; v++) {
    let leftmost = Infinity; // smallest second-view position of the pixels right of u
    for (let u = width - 1; u >= 0; u--) {
      const i = v * width + u;
      const z = depth[i];
      if (!(z > 0)) continue;
      const u2 = u - fb / z;
      if (leftmost < u2 - 0.5) mask[i] = 1;
      else if (u2 < leftmost) leftmost = u2;
    }
  }
  return mask;
}
