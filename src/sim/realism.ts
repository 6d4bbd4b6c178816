// Sensor realism, switchable and seeded: depth noise growing with distance, dropout at depth edges
// and at random, missing pixels as 0 (REP 118), and per-frame colour and lighting jitter.
import { normalize, vec3 } from './math';
import { type NoiseSource, type Rng } from './random';
import { type ColorJitter, NO_COLOR_JITTER } from './render';
import { type Lighting, type Rgb } from './scene';

export interface RealismOptions {
  enabled: boolean;
  /** Depth σ = base + quadratic · z² (stereo depth error grows with z²), metres. */
  depthNoiseBase: number;
  depthNoiseQuadratic: number;
  /** A pixel whose 4-neighbour depth differs by more than this is an edge, metres. */
  edgeThreshold: number;
  /** Probability that an edge pixel reads 0. */
  edgeDropout: number;
  /** Probability that any pixel reads 0. */
  randomDropout: number;
  /** σ of the per-channel gain around 1. */
  colorGainSigma: number;
  /** σ of a brightness offset (linear units). */
  brightnessSigma: number;
  /** σ of per-pixel colour noise, 8-bit units. */
  pixelNoiseSigma: number;
  /** σ of the light-direction tilt, radians. */
  lightTiltSigma: number;
  /** σ of the relative light and ambient intensity change. */
  lightIntensitySigma: number;
}

export const DEFAULT_REALISM: Readonly<RealismOptions> = Object.freeze({
  enabled: false,
  depthNoiseBase: 0.0005,
  depthNoiseQuadratic: 0.0025,
  edgeThreshold: 0.01,
  edgeDropout: 0.5,
  randomDropout: 0.002,
  colorGainSigma: 0.05,
  brightnessSigma: 0.02,
  pixelNoiseSigma: 2,
  lightTiltSigma: 0.15,
  lightIntensitySigma: 0.1,
});

/** Sensor depth from exact depth. Off → a copy. Missing stays 0. */
export function applyDepthRealism(
  exact: Float32Array,
  width: number,
  height: number,
  options: RealismOptions,
  noise: NoiseSource,
): Float32Array {
  const out = exact.slice();
  if (!options.enabled) return out;
  const edge = options.edgeThreshold;
  const isEdge = (i: number, u: number, v: number): boolean => {
    const z = exact[i];
    return (
      (u > 0 && Math.abs(exact[i - 1] - z) > edge) ||
      (u < width - 1 && Math.abs(exact[i + 1] - z) > edge) ||
      (v > 0 && Math.abs(exact[i - width] - z) > edge) ||
      (v < height - 1 && Math.abs(exact[i + width] - z) > edge)
    );
  };
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const i = v * width + u;
      const z = exact[i];
      // One draw per test in a fixed order, so every pixel consumes the same randomness.
      const drop = noise.uniform();
      const gaussian = noise.normal();
      if (z <= 0) continue;
      if (drop < options.randomDropout || (isEdge(i, u, v) && drop < options.edgeDropout)) {
        out[i] = 0;
        continue;
      }
      out[i] = z + gaussian * (options.depthNoiseBase + options.depthNoiseQuadratic * z * z);
    }
  }
  return out;
}

/** Per-frame colour jitter; identity when realism is off. */
export function colorJitter(options: RealismOptions, rng: Rng, pixelNoise: NoiseSource): ColorJitter {
  if (!options.enabled) return NO_COLOR_JITTER;
  const gain: Rgb = [0, 1, 2].map(() => 1 + options.colorGainSigma * rng.normal()) as Rgb;
  return {
    gain,
    offset: options.brightnessSigma * rng.normal(),
    noiseSigma: options.pixelNoiseSigma,
    noise: pixelNoise,
  };
}

/** The scene's light with a per-frame tilt and intensity change; unchanged when realism is off. */
export function jitterLighting(lighting: Lighting, options: RealismOptions, rng: Rng): Lighting {
  if (!options.enabled) return lighting;
  const d = lighting.direction;
  const tilted = normalize(
    vec3(d.x + options.lightTiltSigma * rng.normal(), d.y + options.lightTiltSigma * rng.normal(), d.z),
  );
  return {
    direction: tilted.z > 0.05 ? tilted : d,
    intensity: Math.max(0, lighting.intensity * (1 + options.lightIntensitySigma * rng.normal())),
    ambient: Math.max(0, lighting.ambient * (1 + options.lightIntensitySigma * rng.normal())),
    color: [...lighting.color],
  };
}
