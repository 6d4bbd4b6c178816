// Exact ray casting against closed triangle meshes through a bounding-volume hierarchy.
// Written here rather than taken from npm: three-mesh-bvh (the well-kept one) needs three.js
// geometry objects, while the ray caster works on plain typed arrays in each primitive's frame.
//
// The ray caster's packed primitives hold numbers only, so a mesh primitive stores a slot number;
// `meshBvhAt(slot)` finds its hierarchy. A slot lives as long as the TriangleMesh object it was
// built for (FinalizationRegistry), so scenes generated one after another do not accumulate meshes.

const LEAF_SIZE = 4;
const STACK_DEPTH = 128;

export class MeshBvh {
  /** Vertex positions relative to the mesh's bounding-box centre (the primitive's centre). */
  readonly positions: Float64Array;
  readonly indices: Uint32Array;
  /** Outward unit normal per triangle. */
  readonly normals: Float64Array;
  /** Half extents of the bounding box. */
  readonly half: [number, number, number];
  /** Centre of the bounding box in the caller's coordinates. */
  readonly centre: [number, number, number];
  /** Per node: min xyz, max xyz. */
  private readonly bounds: Float64Array;
  /** Per node: first triangle (leaf) or left child (inner), and triangle count (0 for inner nodes). */
  private readonly nodes: Int32Array;
  /** Triangle order of the leaves. */
  private readonly order: Int32Array;
  private readonly stack = new Int32Array(STACK_DEPTH);
  private nodeCount = 0;

  constructor(positions: Float64Array, indices: Uint32Array) {
    let lo = [Infinity, Infinity, Infinity];
    let hi = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < positions.length; i += 3) {
      lo = [
        Math.min(lo[0], positions[i]),
        Math.min(lo[1], positions[i + 1]),
        Math.min(lo[2], positions[i + 2]),
      ];
      hi = [
        Math.max(hi[0], positions[i]),
        Math.max(hi[1], positions[i + 1]),
        Math.max(hi[2], positions[i + 2]),
      ];
    }
    this.centre = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2];
    this.half = [(hi[0] - lo[0]) / 2, (hi[1] - lo[1]) / 2, (hi[2] - lo[2]) / 2];
    this.positions = new Float64Array(positions.length);
    for (let i = 0; i < positions.length; i++) this.positions[i] = positions[i] - this.centre[i % 3];
    this.indices = indices;
    const triangles = indices.length / 3;
    this.normals = new Float64Array(3 * triangles);
    const p = this.positions;
    for (let t = 0; t < triangles; t++) {
      const a = 3 * indices[3 * t];
      const b = 3 * indices[3 * t + 1];
      const c = 3 * indices[3 * t + 2];
      const e1 = [p[b] - p[a], p[b + 1] - p[a + 1], p[b + 2] - p[a + 2]];
      const e2 = [p[c] - p[a], p[c + 1] - p[a + 1], p[c + 2] - p[a + 2]];
      const nx = e1[1] * e2[2] - e1[2] * e2[1];
      const ny = e1[2] * e2[0] - e1[0] * e2[2];
      const nz = e1[0] * e2[1] - e1[1] * e2[0];
      const n = Math.hypot(nx, ny, nz) || 1;
      this.normals.set([nx / n, ny / n, nz / n], 3 * t);
    }
    const maxNodes = 2 * triangles + 1;
    this.bounds = new Float64Array(6 * maxNodes);
    this.nodes = new Int32Array(2 * maxNodes);
    this.order = Int32Array.from({ length: triangles }, (_, i) => i);
    const centroids = new Float64Array(3 * triangles);
    for (let t = 0; t < triangles; t++) {
      for (let k = 0; k < 3; k++) {
        centroids[3 * t + k] =
          (p[3 * indices[3 * t] + k] + p[3 * indices[3 * t + 1] + k] + p[3 * indices[3 * t + 2] + k]) / 3;
      }
    }
    this.build(0, triangles, centroids);
  }

  /** Builds the node for order[start … end−1]; returns its index. Median split on the widest axis. */
  private build(start: number, end: number, centroids: Float64Array): number {
    const node = this.nodeCount++;
    const b = 6 * node;
    this.bounds.fill(Infinity, b, b + 3);
    this.bounds.fill(-Infinity, b + 3, b + 6);
    const p = this.positions;
    const ix = this.indices;
    let clo = [Infinity, Infinity, Infinity];
    let chi = [-Infinity, -Infinity, -Infinity];
    for (let k = start; k < end; k++) {
      const t = this.order[k];
      for (let corner = 0; corner < 3; corner++) {
        const v = 3 * ix[3 * t + corner];
        for (let axis = 0; axis < 3; axis++) {
          if (p[v + axis] < this.bounds[b + axis]) this.bounds[b + axis] = p[v + axis];
          if (p[v + axis] > this.bounds[b + 3 + axis]) this.bounds[b + 3 + axis] = p[v + axis];
        }
      }
      clo = clo.map((x, axis) => Math.min(x, centroids[3 * t + axis]));
      chi = chi.map((x, axis) => Math.max(x, centroids[3 * t + axis]));
    }
    if (end - start <= LEAF_SIZE) {
      this.nodes[2 * node] = start;
      this.nodes[2 * node + 1] = end - start;
      return node;
    }
    const spans = [chi[0] - clo[0], chi[1] - clo[1], chi[2] - clo[2]];
    const axis = spans[0] >= spans[1] && spans[0] >= spans[2] ? 0 : spans[1] >= spans[2] ? 1 : 2;
    const slice = Array.from(this.order.subarray(start, end));
    // Ties broken by triangle index: the hierarchy, and so every hit, is the same on every run.
    slice.sort((s, t) => centroids[3 * s + axis] - centroids[3 * t + axis] || s - t);
    this.order.set(slice, start);
    const mid = (start + end) >> 1;
    this.build(start, mid, centroids);
    const right = this.build(mid, end, centroids);
    this.nodes[2 * node] = right;
    this.nodes[2 * node + 1] = 0;
    return node;
  }

  /** Entry parameter of the ray into the box of `node`, or Infinity when it misses within `tMax`. */
  private boxEntry(
    node: number,
    ox: number,
    oy: number,
    oz: number,
    ix: number,
    iy: number,
    iz: number,
    tMax: number,
  ) {
    const b = 6 * node;
    const bd = this.bounds;
    let tn = 0;
    let tf = tMax;
    let t1 = (bd[b] - ox) * ix;
    let t2 = (bd[b + 3] - ox) * ix;
    if (ix === Infinity || ix === -Infinity) {
      if (ox < bd[b] || ox > bd[b + 3]) return Infinity;
    } else {
      if (t1 > t2) {
        const swap = t1;
        t1 = t2;
        t2 = swap;
      }
      if (t1 > tn) tn = t1;
      if (t2 < tf) tf = t2;
    }
    t1 = (bd[b + 1] - oy) * iy;
    t2 = (bd[b + 4] - oy) * iy;
    if (iy === Infinity || iy === -Infinity) {
      if (oy < bd[b + 1] || oy > bd[b + 4]) return Infinity;
    } else {
      if (t1 > t2) {
        const swap = t1;
        t1 = t2;
        t2 = swap;
      }
      if (t1 > tn) tn = t1;
      if (t2 < tf) tf = t2;
    }
    t1 = (bd[b + 2] - oz) * iz;
    t2 = (bd[b + 5] - oz) * iz;
    if (iz === Infinity || iz === -Infinity) {
      if (oz < bd[b + 2] || oz > bd[b + 5]) return Infinity;
    } else {
      if (t1 > t2) {
        const swap = t1;
        t1 = t2;
        t2 = swap;
      }
      if (t1 > tn) tn = t1;
      if (t2 < tf) tf = t2;
    }
    return tn <= tf ? tn : Infinity;
  }

  /**
   * First surface along o + t·d (t ≥ 0; d need not be unit): the entry parameter, 0 when the
   * origin is inside the (closed, outward-oriented) mesh, Infinity on a miss. Surfaces beyond
   * `tMax` count as misses (short seal rays prune most of the hierarchy).
   */
  intersect(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, tMax = Infinity): number {
    const ix = 1 / dx;
    const iy = 1 / dy;
    const iz = 1 / dz;
    const p = this.positions;
    const tri = this.indices;
    const stack = this.stack;
    let best = tMax;
    let bestTriangle = -1;
    let top = 0;
    if (this.boxEntry(0, ox, oy, oz, ix, iy, iz, best) === Infinity) return Infinity;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      const count = this.nodes[2 * node + 1];
      if (count === 0) {
        const left = node + 1;
        const right = this.nodes[2 * node];
        const tl = this.boxEntry(left, ox, oy, oz, ix, iy, iz, best);
        const tr = this.boxEntry(right, ox, oy, oz, ix, iy, iz, best);
        // Nearer child on top of the stack: its hits shrink `best` before the other is opened.
        if (tl <= tr) {
          if (tr !== Infinity) stack[top++] = right;
          if (tl !== Infinity) stack[top++] = left;
        } else {
          if (tl !== Infinity) stack[top++] = left;
          if (tr !== Infinity) stack[top++] = right;
        }
        continue;
      }
      const first = this.nodes[2 * node];
      for (let k = first; k < first + count; k++) {
        const t = this.order[k];
        const a = 3 * tri[3 * t];
        const b = 3 * tri[3 * t + 1];
        const c = 3 * tri[3 * t + 2];
        // Möller–Trumbore, both faces; a hair of tolerance closes cracks along shared edges.
        const e1x = p[b] - p[a];
        const e1y = p[b + 1] - p[a + 1];
        const e1z = p[b + 2] - p[a + 2];
        const e2x = p[c] - p[a];
        const e2y = p[c + 1] - p[a + 1];
        const e2z = p[c + 2] - p[a + 2];
        const qx = dy * e2z - dz * e2y;
        const qy = dz * e2x - dx * e2z;
        const qz = dx * e2y - dy * e2x;
        const det = e1x * qx + e1y * qy + e1z * qz;
        if (det === 0) continue;
        const inv = 1 / det;
        const sx = ox - p[a];
        const sy = oy - p[a + 1];
        const sz = oz - p[a + 2];
        const u = (sx * qx + sy * qy + sz * qz) * inv;
        if (u < -1e-9 || u > 1 + 1e-9) continue;
        const rx = sy * e1z - sz * e1y;
        const ry = sz * e1x - sx * e1z;
        const rz = sx * e1y - sy * e1x;
        const v = (dx * rx + dy * ry + dz * rz) * inv;
        if (v < -1e-9 || u + v > 1 + 1e-9) continue;
        const tHit = (e2x * rx + e2y * ry + e2z * rz) * inv;
        if (tHit >= 0 && tHit < best) {
          best = tHit;
          bestTriangle = t;
        }
      }
    }
    if (bestTriangle < 0) return Infinity;
    const n = this.normals;
    // Leaving through a face: the origin is inside.
    if (n[3 * bestTriangle] * dx + n[3 * bestTriangle + 1] * dy + n[3 * bestTriangle + 2] * dz > 0) return 0;
    return best;
  }

  /** Squared distance from the point to the box of `node` (0 inside). */
  private boxDistance2(node: number, x: number, y: number, z: number): number {
    const b = 6 * node;
    const bd = this.bounds;
    const gx = Math.max(bd[b] - x, 0, x - bd[b + 3]);
    const gy = Math.max(bd[b + 1] - y, 0, y - bd[b + 4]);
    const gz = Math.max(bd[b + 2] - z, 0, z - bd[b + 5]);
    return gx * gx + gy * gy + gz * gz;
  }

  /** Outward normal of the triangle nearest to the point (a surface point: the hit of a ray). */
  normalAt(x: number, y: number, z: number, out: Float64Array): void {
    const p = this.positions;
    const tri = this.indices;
    const stack = this.stack;
    // A triangle within 1 µm ends the search: hits lie on the surface up to float32 depth rounding.
    const onSurface = 1e-12;
    let best = Infinity;
    let bestTriangle = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0 && best > onSurface) {
      const node = stack[--top];
      if (this.boxDistance2(node, x, y, z) >= best) continue;
      const count = this.nodes[2 * node + 1];
      if (count === 0) {
        // Nearer child on top of the stack.
        const left = node + 1;
        const right = this.nodes[2 * node];
        if (this.boxDistance2(left, x, y, z) <= this.boxDistance2(right, x, y, z)) {
          stack[top++] = right;
          stack[top++] = left;
        } else {
          stack[top++] = left;
          stack[top++] = right;
        }
        continue;
      }
      const first = this.nodes[2 * node];
      for (let k = first; k < first + count; k++) {
        const t = this.order[k];
        const d2 = pointTriangleDistance2(p, 3 * tri[3 * t], 3 * tri[3 * t + 1], 3 * tri[3 * t + 2], x, y, z);
        if (d2 < best) {
          best = d2;
          bestTriangle = t;
        }
      }
    }
    out[0] = this.normals[3 * bestTriangle];
    out[1] = this.normals[3 * bestTriangle + 1];
    out[2] = this.normals[3 * bestTriangle + 2];
  }
}

/** Squared distance from a point to triangle (a, b, c) (offsets into p); Ericson's closest-point regions. */
function pointTriangleDistance2(
  p: Float64Array,
  a: number,
  b: number,
  c: number,
  x: number,
  y: number,
  z: number,
) {
  const abx = p[b] - p[a];
  const aby = p[b + 1] - p[a + 1];
  const abz = p[b + 2] - p[a + 2];
  const acx = p[c] - p[a];
  const acy = p[c + 1] - p[a + 1];
  const acz = p[c + 2] - p[a + 2];
  const apx = x - p[a];
  const apy = y - p[a + 1];
  const apz = z - p[a + 2];
  const d1 = abx * apx + aby * apy + abz * apz;
  const d2 = acx * apx + acy * apy + acz * apz;
  let qx: number;
  let qy: number;
  let qz: number;
  const bpx = x - p[b];
  const bpy = y - p[b + 1];
  const bpz = z - p[b + 2];
  const d3 = abx * bpx + aby * bpy + abz * bpz;
  const d4 = acx * bpx + acy * bpy + acz * bpz;
  const cpx = x - p[c];
  const cpy = y - p[c + 1];
  const cpz = z - p[c + 2];
  const d5 = abx * cpx + aby * cpy + abz * cpz;
  const d6 = acx * cpx + acy * cpy + acz * cpz;
  const vc = d1 * d4 - d3 * d2;
  const vb = d5 * d2 - d1 * d6;
  const va = d3 * d6 - d5 * d4;
  if (d1 <= 0 && d2 <= 0) {
    [qx, qy, qz] = [p[a], p[a + 1], p[a + 2]];
  } else if (d3 >= 0 && d4 <= d3) {
    [qx, qy, qz] = [p[b], p[b + 1], p[b + 2]];
  } else if (d6 >= 0 && d5 <= d6) {
    [qx, qy, qz] = [p[c], p[c + 1], p[c + 2]];
  } else if (vc <= 0 && d1 >= 0 && d3 <= 0) {
    const s = d1 / (d1 - d3);
    [qx, qy, qz] = [p[a] + s * abx, p[a + 1] + s * aby, p[a + 2] + s * abz];
  } else if (vb <= 0 && d2 >= 0 && d6 <= 0) {
    const s = d2 / (d2 - d6);
    [qx, qy, qz] = [p[a] + s * acx, p[a + 1] + s * acy, p[a + 2] + s * acz];
  } else if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) {
    const s = (d4 - d3) / (d4 - d3 + (d5 - d6));
    [qx, qy, qz] = [
      p[b] + s * (p[c] - p[b]),
      p[b + 1] + s * (p[c + 1] - p[b + 1]),
      p[b + 2] + s * (p[c + 2] - p[b + 2]),
    ];
  } else {
    const denom = 1 / (va + vb + vc);
    const v = vb * denom;
    const w = vc * denom;
    [qx, qy, qz] = [p[a] + abx * v + acx * w, p[a + 1] + aby * v + acy * w, p[a + 2] + abz * v + acz * w];
  }
  return (x - qx) ** 2 + (y - qy) ** 2 + (z - qz) ** 2;
}

// ---- slots: numbers the packed primitives can carry --------------------------------------------

const slots: (MeshBvh | undefined)[] = [];
const freeSlots: number[] = [];
const slotOf = new WeakMap<object, number>();
const release = new FinalizationRegistry<number>((slot) => {
  slots[slot] = undefined;
  freeSlots.push(slot);
});

/** The slot of `owner`'s hierarchy, built on first use from its body-frame positions. */
export function meshSlot(owner: object, positions: Float64Array, indices: Uint32Array): number {
  const known = slotOf.get(owner);
  if (known !== undefined) return known;
  const slot = freeSlots.length > 0 ? freeSlots.pop()! : slots.length;
  slots[slot] = new MeshBvh(positions, indices);
  slotOf.set(owner, slot);
  release.register(owner, slot);
  return slot;
}

export function meshBvhAt(slot: number): MeshBvh {
  const bvh = slots[slot];
  if (!bvh) throw new Error(`mesh slot ${slot} is not live (its mesh was released)`);
  return bvh;
}
