// Suction seal model on the true geometry (see docs/simulator.md for the formula).
//
// A cup of radius r approaches along a unit direction a. Rays parallel to a are cast from a plane
// `standoff` before the contact, through the cup rim (ringPoints at radius r), an inner ring
// (innerPoints at r/2) and the centre. The cup seals when every ray first meets the target object
// (not another object, the bin or nothing: no overhang, no gap, no obstruction in the corridor) and
// the contact depths along a differ by at most the cup's compliance (planarity of the disc).
import { type MeshBvh, meshBvhAt } from './bvh';
import { type Camera } from './camera';
import { type Vec3 } from './math';
import { deriveSeed, Rng } from './random';
import {
  buildPrimitives,
  F_ID,
  F_KIND,
  F_OBJECT,
  F_PARAMS,
  F_POS,
  F_ROT,
  FLOOR_PRIMITIVE,
  intersectLocal,
  PRIMITIVE_STRIDE,
  primitiveNearSegment,
  primitivesNearSegment,
  type PrimitiveSet,
} from './raycast';
import { type PrimaryPass, surfaceAt } from './render';
import { type Scene } from './scene';
import { PrimitiveKind } from './shapes';

export interface SealModel {
  /** Cup radius, metres. */
  cupRadius: number;
  /** Rays on the rim. */
  ringPoints: number;
  /** Rays on the inner ring at half the radius (holes and bumps inside the cup). */
  innerPoints: number;
  /** Largest spread of contact depths the cup lip absorbs, metres. */
  compliance: number;
  /** Largest angle between the approach and straight down that the arm reaches, radians. */
  maxApproachTilt: number;
  /** Length of the approach corridor checked before the contact, metres. */
  standoff: number;
  /** How far past the nominal contact a ray may travel and still count as touching, metres. */
  reach: number;
  /** Jittered trials per heatmap pixel. */
  trials: number;
  /** Contact jitter σ per tangent axis, metres (r/4 as in MetaGraspNet). */
  contactSigma: number;
  /** Approach jitter σ per tangent axis, radians. */
  angleSigma: number;
  /**
   * If > 0, heatmap scores are multiplied by exp(−d²/2σ²), d the distance from the object's centre
   * of mass to the approach line (a torque arm); 0 disables.
   */
  comSigma: number;
}

export const DEFAULT_SEAL_MODEL: Readonly<SealModel> = Object.freeze({
  cupRadius: 0.007,
  ringPoints: 16,
  innerPoints: 4,
  compliance: 0.004,
  maxApproachTilt: (45 * Math.PI) / 180,
  standoff: 0.04,
  reach: 0.03,
  trials: 10,
  contactSigma: 0.007 / 4,
  angleSigma: 0.1,
  comSigma: 0,
});

export type SealFailure = 'unreachable' | 'blocked' | 'off-surface' | 'not-planar';

const FRAME_STRIDE = 16;

/** 0 … n−1 ordered so that each prefix is spread around the circle (bit-reversal for powers of 2). */
function spreadOrder(n: number): number[] {
  const keyOf = (i: number): number => {
    // Van der Corput radical inverse in base 2 of i / n.
    let key = 0;
    let f = 0.5;
    for (let k = i; k > 0; k >>= 1, f /= 2) if (k & 1) key += f;
    return key;
  };
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => keyOf(a) - keyOf(b) || a - b);
}

/** Unit u ⊥ a and v = a × u, written to out[0..5] (a unit). */
function tangentBasis(ax: number, ay: number, az: number, out: Float64Array): void {
  // u = a × x̂, or a × ŷ when a is close to x̂: never degenerate.
  let ux = 0;
  let uy = az;
  let uz = -ay;
  if (Math.abs(ax) >= 0.9) {
    ux = -az;
    uy = 0;
    uz = ax;
  }
  const un = Math.sqrt(ux * ux + uy * uy + uz * uz);
  ux /= un;
  uy /= un;
  uz /= un;
  out[0] = ux;
  out[1] = uy;
  out[2] = uz;
  out[3] = ay * uz - az * uy;
  out[4] = az * ux - ax * uz;
  out[5] = ax * uy - ay * ux;
}

/**
 * Runs seal trials against one primitive set. Holds scratch buffers, so one instance serves one
 * caller at a time; results depend only on the inputs.
 */
export class SealTester {
  private readonly blockers: Int32Array;
  /** Per primitive of the current trial: base, u, v, a in its frame, its kind and parameters. */
  private readonly frames: Float64Array;
  private readonly ringCos: Float64Array;
  private readonly ringSin: Float64Array;
  private readonly ringRadius: Float64Array;
  private readonly cosMaxTilt: number;
  /** Per target slot of the current trial: its mesh hierarchy, or null for an analytic primitive. */
  private readonly targetMeshes: (MeshBvh | null)[] = [];
  /** Scratch tangent basis (u, v). */
  readonly basis = new Float64Array(6);
  /** Why the last `trial` failed (null when it sealed). */
  lastFailure: SealFailure | null = null;

  constructor(
    readonly set: PrimitiveSet,
    readonly model: SealModel,
  ) {
    this.blockers = new Int32Array(set.count);
    this.frames = new Float64Array(FRAME_STRIDE * set.count);
    // Rim first: most failing trials fail on the rim, which ends them early.
    const n = model.ringPoints + model.innerPoints + 1;
    this.ringCos = new Float64Array(n);
    this.ringSin = new Float64Array(n);
    this.ringRadius = new Float64Array(n);
    // Rim points in a spread-out order (0°, 180°, 90°, 270°, …): a trial hanging over an edge
    // fails within a few rays wherever the edge is.
    const order = spreadOrder(model.ringPoints);
    for (let i = 0; i < model.ringPoints; i++) {
      const a = (2 * Math.PI * order[i]) / model.ringPoints;
      this.ringCos[i] = Math.cos(a);
      this.ringSin[i] = Math.sin(a);
      this.ringRadius[i] = model.cupRadius;
    }
    for (let i = 0; i < model.innerPoints; i++) {
      const a = (2 * Math.PI * (i + 0.5)) / model.innerPoints;
      const k = model.ringPoints + i;
      this.ringCos[k] = Math.cos(a);
      this.ringSin[k] = Math.sin(a);
      this.ringRadius[k] = model.cupRadius / 2;
    }
    this.cosMaxTilt = Math.cos(model.maxApproachTilt);
  }

  /**
   * One seal test on object index `object`: cup centre line through contact c along unit approach
   * a (pointing into the surface). Each ray must meet the object within the corridor, and no other
   * primitive may come first. `blockers` lists the primitives that may come first (null: all). The
   * bin floor and the table are never blockers: the corridor descends onto an object above them.
   */
  trial(
    object: number,
    cx: number,
    cy: number,
    cz: number,
    ax: number,
    ay: number,
    az: number,
    blockers: Int32Array | null,
    blockerCount: number,
  ): boolean {
    if (-az < this.cosMaxTilt) {
      this.lastFailure = 'unreachable';
      return false;
    }
    const basis = this.basis;
    tangentBasis(ax, ay, az, basis);
    const ux = basis[0];
    const uy = basis[1];
    const uz = basis[2];
    const vx = basis[3];
    const vy = basis[4];
    const vz = basis[5];
    const { standoff, reach, compliance } = this.model;
    const first = this.set.objectFirst[object];
    const last = this.set.objectFirst[object + 1];
    // Every ray of the trial is base + ρ(cos θ u + sin θ v) + t·a: express base, u, v and a once in
    // each primitive's frame, and each ray costs a few multiply-adds plus the intersection.
    let count = 0;
    const frames = this.frames;
    const bx = cx - ax * standoff;
    const by = cy - ay * standoff;
    const bz = cz - az * standoff;
    for (let i = first; i < last; i++) {
      const kindAt = i * PRIMITIVE_STRIDE + F_KIND;
      this.targetMeshes[count] =
        this.set.data[kindAt] === PrimitiveKind.Mesh
          ? meshBvhAt(this.set.data[kindAt - F_KIND + F_PARAMS])
          : null;
      this.localFrame(count++, i, bx, by, bz, ux, uy, uz, vx, vy, vz, ax, ay, az);
    }
    const targets = count;
    const n = blockers ? blockerCount : this.set.count;
    const data = this.set.data;
    const tMax = standoff + reach;
    const cup = this.model.cupRadius;
    for (let j = 0; j < n; j++) {
      const i = blockers ? blockers[j] : j;
      if (i === FLOOR_PRIMITIVE || (i >= first && i < last)) continue;
      // Only primitives whose bounding sphere reaches this trial's corridor (radius r around the
      // segment base … base + a·tMax) can come first.
      if (!primitiveNearSegment(data, i, bx, by, bz, ax, ay, az, tMax, cup)) continue;
      this.localFrame(count++, i, bx, by, bz, ux, uy, uz, vx, vy, vz, ax, ay, az);
    }
    let tLo = Infinity;
    let tHi = -Infinity;
    for (let k = 0; k < this.ringCos.length; k++) {
      const rho = this.ringRadius[k];
      const cs = this.ringCos[k] * rho;
      const sn = this.ringSin[k] * rho;
      // A contact deeper than tLo + compliance fails the trial: search the targets only that far
      // first (a mesh's BVH then opens fewer nodes), and again out to tMax only on a miss, so that
      // the contact, and which test fails first, are exactly those of the full search.
      const bound = tLo + compliance < tMax ? tLo + compliance : tMax;
      let t = this.targetContact(targets, cs, sn, bound);
      if (t >= bound && bound < tMax) t = this.targetContact(targets, cs, sn, tMax);
      if (t >= tMax) {
        this.lastFailure = 'off-surface';
        return false;
      }
      for (let f = targets; f < count; f++) {
        const o = FRAME_STRIDE * f;
        const ti = intersectLocal(
          frames[o + 12],
          frames[o + 13],
          frames[o + 14],
          frames[o + 15],
          frames[o] + cs * frames[o + 3] + sn * frames[o + 6],
          frames[o + 1] + cs * frames[o + 4] + sn * frames[o + 7],
          frames[o + 2] + cs * frames[o + 5] + sn * frames[o + 8],
          frames[o + 9],
          frames[o + 10],
          frames[o + 11],
          t,
        );
        if (ti < t) {
          this.lastFailure = 'blocked';
          return false;
        }
      }
      if (t < tLo) tLo = t;
      if (t > tHi) tHi = t;
      if (tHi - tLo > compliance) {
        this.lastFailure = 'not-planar';
        return false;
      }
    }
    this.lastFailure = null;
    return true;
  }

  /**
   * Nearest contact of the ray at offset (cs, sn) with the target primitives (frame slots
   * 0 … targets−1), or `bound` when none is nearer.
   */
  private targetContact(targets: number, cs: number, sn: number, bound: number): number {
    const frames = this.frames;
    let t = bound;
    for (let f = 0; f < targets; f++) {
      const o = FRAME_STRIDE * f;
      const ox = frames[o] + cs * frames[o + 3] + sn * frames[o + 6];
      const oy = frames[o + 1] + cs * frames[o + 4] + sn * frames[o + 7];
      const oz = frames[o + 2] + cs * frames[o + 5] + sn * frames[o + 8];
      // A mesh straight to its hierarchy: what intersectLocal would call, without the dispatch.
      const mesh = this.targetMeshes[f];
      const ti = mesh
        ? mesh.intersect(ox, oy, oz, frames[o + 9], frames[o + 10], frames[o + 11], t)
        : intersectLocal(
            frames[o + 12],
            frames[o + 13],
            frames[o + 14],
            frames[o + 15],
            ox,
            oy,
            oz,
            frames[o + 9],
            frames[o + 10],
            frames[o + 11],
            t,
          );
      if (ti < t) t = ti;
    }
    return t;
  }

  /** Writes base, u, v, a in primitive i's frame, then its kind and parameters, to slot `slot`. */
  private localFrame(
    slot: number,
    i: number,
    bx: number,
    by: number,
    bz: number,
    ux: number,
    uy: number,
    uz: number,
    vx: number,
    vy: number,
    vz: number,
    ax: number,
    ay: number,
    az: number,
  ): void {
    const d = this.set.data;
    const o = i * PRIMITIVE_STRIDE;
    const r = o + F_ROT;
    const f = this.frames;
    const s = FRAME_STRIDE * slot;
    const px = bx - d[o + F_POS];
    const py = by - d[o + F_POS + 1];
    const pz = bz - d[o + F_POS + 2];
    const r0 = d[r];
    const r1 = d[r + 1];
    const r2 = d[r + 2];
    const r3 = d[r + 3];
    const r4 = d[r + 4];
    const r5 = d[r + 5];
    const r6 = d[r + 6];
    const r7 = d[r + 7];
    const r8 = d[r + 8];
    f[s] = r0 * px + r3 * py + r6 * pz;
    f[s + 1] = r1 * px + r4 * py + r7 * pz;
    f[s + 2] = r2 * px + r5 * py + r8 * pz;
    f[s + 3] = r0 * ux + r3 * uy + r6 * uz;
    f[s + 4] = r1 * ux + r4 * uy + r7 * uz;
    f[s + 5] = r2 * ux + r5 * uy + r8 * uz;
    f[s + 6] = r0 * vx + r3 * vy + r6 * vz;
    f[s + 7] = r1 * vx + r4 * vy + r7 * vz;
    f[s + 8] = r2 * vx + r5 * vy + r8 * vz;
    f[s + 9] = r0 * ax + r3 * ay + r6 * az;
    f[s + 10] = r1 * ax + r4 * ay + r7 * az;
    f[s + 11] = r2 * ax + r5 * ay + r8 * az;
    f[s + 12] = d[o + F_KIND];
    f[s + 13] = d[o + F_PARAMS];
    f[s + 14] = d[o + F_PARAMS + 1];
    f[s + 15] = d[o + F_PARAMS + 2];
  }

  /** Primitives that any jittered trial around (p, a0) may meet; returns the count. */
  gatherBlockers(px: number, py: number, pz: number, ax: number, ay: number, az: number, margin: number) {
    const { standoff, reach } = this.model;
    return primitivesNearSegment(
      this.set,
      px - ax * standoff,
      py - ay * standoff,
      pz - az * standoff,
      ax,
      ay,
      az,
      standoff + reach,
      margin,
      this.blockers,
    );
  }

  get blockerBuffer(): Int32Array {
    return this.blockers;
  }
}

/** Per-trial N(0, 1) draws shared by all pixels of a frame (common random numbers). */
export interface TrialJitter {
  /** 4 per trial: contact u, contact v, tilt u, tilt v. */
  draws: Float64Array;
  trials: number;
  /** Largest |(tilt u, tilt v)| among the trials. */
  maxTiltDraw: number;
}

export function trialJitter(seed: number, trials: number): TrialJitter {
  const rng = new Rng(deriveSeed(seed, 'suction-trials'));
  const draws = new Float64Array(4 * trials);
  for (let i = 0; i < draws.length; i++) draws[i] = rng.normal();
  let maxTiltDraw = 0;
  for (let j = 0; j < trials; j++)
    maxTiltDraw = Math.max(maxTiltDraw, Math.hypot(draws[4 * j + 2], draws[4 * j + 3]));
  return { draws, trials, maxTiltDraw };
}

/**
 * Fraction of jittered trials that seal at surface point p with outward unit normal n of object
 * index `object`, the nominal approach being −n.
 */
export function sealScore(
  tester: SealTester,
  jitter: TrialJitter,
  object: number,
  p: ArrayLike<number>,
  n: ArrayLike<number>,
): number {
  const model = tester.model;
  const ax = -n[0];
  const ay = -n[1];
  const az = -n[2];
  // Exact early out: no trial's tilt brings the approach back inside the reachable cone.
  const tiltFromDown = Math.acos(Math.max(-1, Math.min(1, -az)));
  if (tiltFromDown > model.maxApproachTilt + Math.atan(model.angleSigma * jitter.maxTiltDraw) + 1e-9)
    return 0;
  // Tangent frame (u, v) of the nominal approach.
  const basis = tester.basis;
  tangentBasis(ax, ay, az, basis);
  const ux = basis[0];
  const uy = basis[1];
  const uz = basis[2];
  const vx = basis[3];
  const vy = basis[4];
  const vz = basis[5];
  const far = Math.max(model.standoff, model.reach);
  const margin = model.cupRadius + 4 * model.contactSigma + far * 4 * model.angleSigma;
  const count = tester.gatherBlockers(p[0], p[1], p[2], ax, ay, az, margin);
  const blockers = tester.blockerBuffer;
  let sealed = 0;
  for (let j = 0; j < jitter.trials; j++) {
    const e1 = jitter.draws[4 * j] * model.contactSigma;
    const e2 = jitter.draws[4 * j + 1] * model.contactSigma;
    const a1 = jitter.draws[4 * j + 2] * model.angleSigma;
    const a2 = jitter.draws[4 * j + 3] * model.angleSigma;
    let jx = ax + a1 * ux + a2 * vx;
    let jy = ay + a1 * uy + a2 * vy;
    let jz = az + a1 * uz + a2 * vz;
    const jn = Math.sqrt(jx * jx + jy * jy + jz * jz);
    jx /= jn;
    jy /= jn;
    jz /= jn;
    // Trials that could leave the pre-culled corridor test every primitive (exact, just slower).
    const dax = jx - ax;
    const day = jy - ay;
    const daz = jz - az;
    const need = Math.hypot(e1, e2) + model.cupRadius + far * Math.sqrt(dax * dax + day * day + daz * daz);
    const inside = need <= margin;
    if (
      tester.trial(
        object,
        p[0] + e1 * ux + e2 * vx,
        p[1] + e1 * uy + e2 * vy,
        p[2] + e1 * uz + e2 * vz,
        jx,
        jy,
        jz,
        inside ? blockers : null,
        inside ? count : 0,
      )
    ) {
      sealed++;
    }
  }
  return sealed / jitter.trials;
}

/**
 * exp(−d² / 2σ²), d the distance from the centre of mass to the approach line through p along −n:
 * the torque arm the seal must hold against. σ ≤ 0 → 1.
 */
export function comWeight(
  p: ArrayLike<number>,
  n: ArrayLike<number>,
  centerOfMass: Vec3,
  sigma: number,
): number {
  if (!(sigma > 0)) return 1;
  const wx = centerOfMass.x - p[0];
  const wy = centerOfMass.y - p[1];
  const wz = centerOfMass.z - p[2];
  const s = -(wx * n[0] + wy * n[1] + wz * n[2]);
  const d2 = Math.max(0, wx * wx + wy * wy + wz * wz - s * s);
  return Math.exp(-d2 / (2 * sigma * sigma));
}

export interface HeatmapOptions {
  model: SealModel;
  /** Seed of the shared trial jitter. */
  seed: number;
  /**
   * Adaptive sampling: blocks of `stride` pixels are scored at their corners only, and split down to
   * `minStride` where the object or the score changes inside them (1, 1 = every pixel exactly).
   */
  stride: number;
  minStride: number;
  /** Centres of mass by object id, for the optional CoM weighting (model.comSigma > 0). */
  centersOfMass?: ReadonlyMap<number, Vec3>;
}

/**
 * Suction heatmap in [0, 1] over the image; 0 off objects. Scores are exact at every sampled
 * pixel; a block whose corners agree (same object everywhere in it, same score) is filled by
 * interpolation, any other block is split until `minStride`, where pixels take the bilinear blend
 * of the corner scores of their own object (or are scored directly when no corner is theirs).
 */
export function suctionHeatmap(
  set: PrimitiveSet,
  camera: Camera,
  pass: PrimaryPass,
  options: HeatmapOptions,
): Float32Array {
  const { width, height } = pass;
  const minStride = Math.max(1, Math.floor(options.minStride));
  let stride = minStride;
  while (stride * 2 <= Math.max(minStride, Math.floor(options.stride))) stride *= 2;
  const tester = new SealTester(set, options.model);
  const jitter = trialJitter(options.seed, options.model.trials);
  const point = new Float64Array(3);
  const normal = new Float64Array(3);
  const data = set.data;

  const ids = new Int32Array(width * height);
  for (let i = 0; i < ids.length; i++) {
    const h = pass.hit[i];
    ids[i] = h >= 0 ? data[h * PRIMITIVE_STRIDE + F_ID] : 0;
  }
  const heat = new Float32Array(width * height);
  const scored = new Uint8Array(width * height);
  const score = (pixel: number): number => {
    if (scored[pixel] !== 1) {
      scored[pixel] = 1;
      heat[pixel] = 0;
      const id = ids[pixel];
      if (id > 0) {
        surfaceAt(set, camera, pass, pixel, point, normal);
        heat[pixel] = sealScore(
          tester,
          jitter,
          data[pass.hit[pixel] * PRIMITIVE_STRIDE + F_OBJECT],
          point,
          normal,
        );
      }
    }
    return heat[pixel];
  };

  // Fills block [x0, x1] × [y0, y1] (inclusive) by per-object bilinear blending of its corners.
  const fill = (x0: number, y0: number, x1: number, y1: number): void => {
    const c00 = y0 * width + x0;
    const c10 = y0 * width + x1;
    const c01 = y1 * width + x0;
    const c11 = y1 * width + x1;
    const s00 = score(c00);
    const s10 = score(c10);
    const s01 = score(c01);
    const s11 = score(c11);
    const w = x1 - x0 || 1;
    const h = y1 - y0 || 1;
    for (let y = y0; y <= y1; y++) {
      const fy = (y - y0) / h;
      for (let x = x0; x <= x1; x++) {
        const pixel = y * width + x;
        if (scored[pixel] === 1) continue;
        const id = ids[pixel];
        if (id === 0) {
          scored[pixel] = 1;
          continue;
        }
        const fx = (x - x0) / w;
        let sum = 0;
        let weight = 0;
        let k = (1 - fx) * (1 - fy);
        if (ids[c00] === id && k > 0) {
          sum += s00 * k;
          weight += k;
        }
        k = fx * (1 - fy);
        if (ids[c10] === id && k > 0) {
          sum += s10 * k;
          weight += k;
        }
        k = (1 - fx) * fy;
        if (ids[c01] === id && k > 0) {
          sum += s01 * k;
          weight += k;
        }
        k = fx * fy;
        if (ids[c11] === id && k > 0) {
          sum += s11 * k;
          weight += k;
        }
        if (weight > 1e-9) {
          heat[pixel] = sum / weight;
          scored[pixel] = 2; // interpolated: a later block may still score it exactly
        } else {
          score(pixel);
        }
      }
    }
  };

  // Scores step by 1/trials; corners one step apart interpolate as well as they sample.
  const tolerance = 1 / options.model.trials + 1e-9;
  const uniform = (x0: number, y0: number, x1: number, y1: number): boolean => {
    const id = ids[y0 * width + x0];
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) if (ids[y * width + x] !== id) return false;
    }
    if (id === 0) return true;
    const a = score(y0 * width + x0);
    const b = score(y0 * width + x1);
    const c = score(y1 * width + x0);
    const d = score(y1 * width + x1);
    return Math.max(a, b, c, d) - Math.min(a, b, c, d) <= tolerance;
  };

  const block = (x0: number, y0: number, x1: number, y1: number, size: number): void => {
    if (size <= minStride || uniform(x0, y0, x1, y1)) {
      fill(x0, y0, x1, y1);
      return;
    }
    const half = size / 2;
    const xm = Math.min(x1, x0 + half);
    const ym = Math.min(y1, y0 + half);
    block(x0, y0, xm, ym, half);
    if (xm < x1) block(xm, y0, x1, ym, half);
    if (ym < y1) block(x0, ym, xm, y1, half);
    if (xm < x1 && ym < y1) block(xm, ym, x1, y1, half);
  };

  for (let y0 = 0; y0 < height - 1 || y0 === 0; y0 += stride) {
    const y1 = Math.min(height - 1, y0 + stride);
    for (let x0 = 0; x0 < width - 1 || x0 === 0; x0 += stride) {
      block(x0, y0, Math.min(width - 1, x0 + stride), y1, stride);
    }
  }

  const sigma = options.model.comSigma;
  if (sigma > 0 && options.centersOfMass) {
    for (let pixel = 0; pixel < heat.length; pixel++) {
      const com = options.centersOfMass.get(ids[pixel]);
      if (heat[pixel] === 0 || !com) continue;
      surfaceAt(set, camera, pass, pixel, point, normal);
      heat[pixel] *= comWeight(point, normal, com, sigma);
    }
  }
  return heat;
}

/**
 * Seal score at a world point on object `objectId` of a scene, with outward normal `normal` (the
 * nominal approach is −normal): the heatmap's per-pixel formula, for any surface point, including
 * points the camera cannot see.
 */
export function sealScoreAt(
  scene: Scene,
  objectId: number,
  point: Vec3,
  normal: Vec3,
  options: { model?: Partial<SealModel>; seed?: number } = {},
): number {
  const index = scene.objects.findIndex((o) => o.id === objectId);
  if (index < 0) throw new RangeError(`no object ${objectId} in the scene`);
  const model = { ...DEFAULT_SEAL_MODEL, ...options.model };
  const tester = new SealTester(buildPrimitives(scene), model);
  const n = Math.hypot(normal.x, normal.y, normal.z);
  return sealScore(
    tester,
    trialJitter(options.seed ?? scene.seed, model.trials),
    index,
    [point.x, point.y, point.z],
    [normal.x / n, normal.y / n, normal.z / n],
  );
}
