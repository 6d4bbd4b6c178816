// Procedural solid textures: evaluated at a body-fixed 3D point, so patterns stick to the object
// as it moves and need no UV mapping of the analytic shapes.
import { mix32 } from './random';
import { MATERIAL_STRIDE } from './raycast';

const STRIPES = 1;
const CHECKER = 2;
const DOTS = 3;
const NOISE = 4;

// Perlin-style permutation table: a lattice hash in three table lookups.
const PERMUTATION = (() => {
  const p = new Uint8Array(512);
  for (let i = 0; i < 256; i++) p[i] = mix32(i + 1) & 255;
  for (let i = 0; i < 256; i++) p[256 + i] = p[i];
  return p;
})();
const LATTICE = (() => {
  const values = new Float64Array(256);
  for (let i = 0; i < 256; i++) values[i] = (mix32(i ^ 0x5bd1e995) & 0xffff) / 0xffff;
  return values;
})();

function latticeValue(ix: number, iy: number, iz: number): number {
  return LATTICE[PERMUTATION[PERMUTATION[PERMUTATION[ix & 255] + (iy & 255)] + (iz & 255)]];
}

/** Smooth value noise in [0, 1]. */
function valueNoise(x: number, y: number, z: number): number {
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  const iz = Math.floor(z);
  const fx = x - ix;
  const fy = y - iy;
  const fz = z - iz;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const sz = fz * fz * (3 - 2 * fz);
  const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;
  const x00 = lerp(latticeValue(ix, iy, iz), latticeValue(ix + 1, iy, iz), sx);
  const x10 = lerp(latticeValue(ix, iy + 1, iz), latticeValue(ix + 1, iy + 1, iz), sx);
  const x01 = lerp(latticeValue(ix, iy, iz + 1), latticeValue(ix + 1, iy, iz + 1), sx);
  const x11 = lerp(latticeValue(ix, iy + 1, iz + 1), latticeValue(ix + 1, iy + 1, iz + 1), sx);
  return lerp(lerp(x00, x10, sy), lerp(x01, x11, sy), sz);
}

/** Fraction of the secondary colour at body point (x, y, z) for material `m`. */
function secondaryWeight(pattern: number, scale: number, x: number, y: number, z: number): number {
  const u = x / scale;
  const v = y / scale;
  const w = z / scale;
  switch (pattern) {
    case STRIPES:
      return Math.floor(u + 0.6 * v + 0.3 * w) & 1;
    case CHECKER:
      return (Math.floor(u) + Math.floor(v) + Math.floor(w)) & 1;
    case DOTS: {
      const du = u - Math.round(u);
      const dv = v - Math.round(v);
      const dw = w - Math.round(w);
      return du * du + dv * dv + dw * dw < 0.09 ? 1 : 0;
    }
    case NOISE:
      return valueNoise(u, v, w);
    default:
      return 0;
  }
}

/** Linear albedo of material `material` at body point (x, y, z), written to out[0..2]. */
export function sampleTexture(
  materials: Float64Array,
  material: number,
  x: number,
  y: number,
  z: number,
  out: Float64Array,
): void {
  const o = material * MATERIAL_STRIDE;
  const k = secondaryWeight(materials[o], materials[o + 1], x, y, z);
  out[0] = materials[o + 2] + (materials[o + 5] - materials[o + 2]) * k;
  out[1] = materials[o + 3] + (materials[o + 6] - materials[o + 3]) * k;
  out[2] = materials[o + 4] + (materials[o + 7] - materials[o + 4]) * k;
}
