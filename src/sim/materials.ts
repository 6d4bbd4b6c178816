// Material modes: how a surface looks in colour and what a depth sensor makes of it. The colour
// constants are used by the renderer; the depth effects belong to each sensor model (sensors.ts),
// since a dark part that a stereo camera still matches is a hole for a phase-shift scanner.
import { type Rng } from './random';
import { type Appearance } from './scene';

export type MaterialMode = 'matte' | 'dark' | 'transparent' | 'specular';

/** The order fixes the per-pixel material code (index in this list). */
export const MATERIAL_MODES: readonly MaterialMode[] = ['matte', 'dark', 'transparent', 'specular'];

export const MATTE = 0;
export const DARK = 1;
export const TRANSPARENT = 2;
export const SPECULAR = 3;

export interface MaterialLook {
  /** Multiplies the texture's albedo (dark surfaces absorb). */
  albedoScale: number;
  /** Blinn–Phong highlight: strength (linear units, white) and exponent. */
  specular: number;
  shininess: number;
  /** Share of the surface's own shading in the pixel; the rest is what lies behind it. */
  opacity: number;
}

export const MATERIAL_LOOKS: Readonly<Record<MaterialMode, Readonly<MaterialLook>>> = Object.freeze({
  matte: Object.freeze({ albedoScale: 1, specular: 0, shininess: 1, opacity: 1 }),
  dark: Object.freeze({ albedoScale: 0.12, specular: 0.03, shininess: 12, opacity: 1 }),
  transparent: Object.freeze({ albedoScale: 1, specular: 0.6, shininess: 80, opacity: 0.25 }),
  specular: Object.freeze({ albedoScale: 0.85, specular: 0.9, shininess: 60, opacity: 1 }),
});

export function materialCode(mode: MaterialMode | undefined): number {
  if (mode === undefined) return MATTE;
  const code = MATERIAL_MODES.indexOf(mode);
  if (code < 0)
    throw new RangeError(`unknown material mode '${String(mode)}' (expected ${MATERIAL_MODES.join(', ')})`);
  return code;
}

/** A material mode drawn with the given weights (default: 70 % matte, 10 % each of the others). */
export function randomMaterialMode(
  rng: Rng,
  weights: readonly number[] = [0.7, 0.1, 0.1, 0.1],
): MaterialMode {
  if (weights.length !== MATERIAL_MODES.length || weights.some((w) => !(w >= 0))) {
    throw new RangeError(`material weights must be ${MATERIAL_MODES.length} non-negative numbers`);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError('material weights must not all be 0');
  let x = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i];
    if (x < 0) return MATERIAL_MODES[i];
  }
  return MATERIAL_MODES[MATERIAL_MODES.length - 1];
}

export function appearanceMaterial(appearance: Appearance): MaterialMode {
  return appearance.material ?? 'matte';
}
