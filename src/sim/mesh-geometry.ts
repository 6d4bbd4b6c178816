// Closed triangle meshes as object shapes: welding, the manifold check, outward orientation,
// volume and centre of mass (divergence theorem), and the convex pieces physics collides with.

/** A closed, outward-oriented triangle mesh in the body frame (origin at the centre of mass). */
export interface TriangleMesh {
  /** xyz per vertex, metres. */
  positions: Float64Array;
  /** Three vertex indices per triangle, counter-clockwise seen from outside. */
  indices: Uint32Array;
  volume: number;
  /** Every vertex lies on the inner side of every face plane (within 0.1 mm). */
  convex: boolean;
  /**
   * Convex point sets (body frame) whose hulls the physics engine collides with; null: rapier's
   * convex decomposition (V-HACD) of the mesh, for imported non-convex meshes.
   */
  pieces: Float64Array[] | null;
}

/** Why a mesh cannot be an object; the loader prefixes the file. */
export class MeshError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MeshError';
  }
}

const CONVEX_TOLERANCE = 1e-4;

/** Merges vertices closer than `tolerance` (STL repeats every vertex per triangle). */
function weld(
  positions: ArrayLike<number>,
  indices: ArrayLike<number>,
  tolerance: number,
): { positions: Float64Array; indices: Uint32Array } {
  const key = new Map<string, number>();
  const remap = new Uint32Array(positions.length / 3);
  const out: number[] = [];
  for (let v = 0; v < remap.length; v++) {
    const x = positions[3 * v];
    const y = positions[3 * v + 1];
    const z = positions[3 * v + 2];
    const k = `${Math.round(x / tolerance)},${Math.round(y / tolerance)},${Math.round(z / tolerance)}`;
    let id = key.get(k);
    if (id === undefined) {
      id = out.length / 3;
      key.set(k, id);
      out.push(x, y, z);
    }
    remap[v] = id;
  }
  const tris: number[] = [];
  for (let t = 0; t < indices.length; t += 3) {
    const a = remap[indices[t]];
    const b = remap[indices[t + 1]];
    const c = remap[indices[t + 2]];
    if (a === b || b === c || a === c) continue; // collapsed by welding: no area
    tris.push(a, b, c);
  }
  return { positions: Float64Array.from(out), indices: Uint32Array.from(tris) };
}

/**
 * Checks that every edge joins exactly two triangles and orients each connected component
 * consistently (flipping triangles as needed), then outward (positive signed volume).
 */
function orient(positions: Float64Array, indices: Uint32Array): void {
  const triangles = indices.length / 3;
  const edges = new Map<string, number[]>();
  const edgeKey = (a: number, b: number): string => (a < b ? `${a}-${b}` : `${b}-${a}`);
  for (let t = 0; t < triangles; t++) {
    for (let k = 0; k < 3; k++) {
      const key = edgeKey(indices[3 * t + k], indices[3 * t + ((k + 1) % 3)]);
      const list = edges.get(key);
      if (list) list.push(t);
      else edges.set(key, [t]);
    }
  }
  for (const [key, list] of edges) {
    if (list.length === 1) throw new MeshError(`non-manifold: open edge ${key} (the surface has a hole)`);
    if (list.length > 2)
      throw new MeshError(`non-manifold: edge ${key} is shared by ${list.length} triangles (expected 2)`);
  }
  const component = new Int32Array(triangles).fill(-1);
  const hasEdge = (t: number, a: number, b: number): boolean => {
    for (let k = 0; k < 3; k++) {
      if (indices[3 * t + k] === a && indices[3 * t + ((k + 1) % 3)] === b) return true;
    }
    return false;
  };
  let components = 0;
  for (let seed = 0; seed < triangles; seed++) {
    if (component[seed] >= 0) continue;
    const id = components++;
    component[seed] = id;
    const queue = [seed];
    const members: number[] = [];
    while (queue.length > 0) {
      const t = queue.pop()!;
      members.push(t);
      for (let k = 0; k < 3; k++) {
        const a = indices[3 * t + k];
        const b = indices[3 * t + ((k + 1) % 3)];
        for (const u of edges.get(edgeKey(a, b))!) {
          if (u === t) continue;
          // Consistent neighbours traverse the shared edge the other way round.
          const consistent = hasEdge(u, b, a);
          if (component[u] >= 0) {
            if (!consistent) throw new MeshError('non-manifold: the surface is not orientable');
            continue;
          }
          if (!consistent) {
            const tmp = indices[3 * u + 1];
            indices[3 * u + 1] = indices[3 * u + 2];
            indices[3 * u + 2] = tmp;
          }
          component[u] = id;
          queue.push(u);
        }
      }
    }
    let signed = 0;
    for (const t of members) signed += tetra(positions, indices, t).volume;
    if (signed === 0) throw new MeshError('degenerate: a closed surface without volume');
    if (signed < 0) {
      for (const t of members) {
        const tmp = indices[3 * t + 1];
        indices[3 * t + 1] = indices[3 * t + 2];
        indices[3 * t + 2] = tmp;
      }
    }
  }
}

/** Signed volume and centroid·volume of the tetrahedron (origin, triangle t). */
function tetra(
  p: Float64Array,
  ix: Uint32Array,
  t: number,
): { volume: number; x: number; y: number; z: number } {
  const a = 3 * ix[3 * t];
  const b = 3 * ix[3 * t + 1];
  const c = 3 * ix[3 * t + 2];
  const volume =
    (p[a] * (p[b + 1] * p[c + 2] - p[b + 2] * p[c + 1]) -
      p[a + 1] * (p[b] * p[c + 2] - p[b + 2] * p[c]) +
      p[a + 2] * (p[b] * p[c + 1] - p[b + 1] * p[c])) /
    6;
  return {
    volume,
    x: (volume * (p[a] + p[b] + p[c])) / 4,
    y: (volume * (p[a + 1] + p[b + 1] + p[c + 1])) / 4,
    z: (volume * (p[a + 2] + p[b + 2] + p[c + 2])) / 4,
  };
}

function isConvex(p: Float64Array, ix: Uint32Array): boolean {
  const vertices = p.length / 3;
  const triangles = ix.length / 3;
  if (vertices * triangles > 4e6) return false; // too big to check cheaply: treat as non-convex
  for (let t = 0; t < triangles; t++) {
    const a = 3 * ix[3 * t];
    const b = 3 * ix[3 * t + 1];
    const c = 3 * ix[3 * t + 2];
    const e1 = [p[b] - p[a], p[b + 1] - p[a + 1], p[b + 2] - p[a + 2]];
    const e2 = [p[c] - p[a], p[c + 1] - p[a + 1], p[c + 2] - p[a + 2]];
    const n = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    const len = Math.hypot(n[0], n[1], n[2]);
    if (len === 0) continue;
    for (let v = 0; v < vertices; v++) {
      const d =
        ((p[3 * v] - p[a]) * n[0] + (p[3 * v + 1] - p[a + 1]) * n[1] + (p[3 * v + 2] - p[a + 2]) * n[2]) /
        len;
      if (d > CONVEX_TOLERANCE) return false;
    }
  }
  return true;
}

export interface TriangleMeshInput {
  positions: ArrayLike<number>;
  indices: ArrayLike<number>;
  /** Convex point sets for physics in the same coordinates; omitted: the hull when convex, else V-HACD. */
  pieces?: readonly ArrayLike<number>[];
  /** Vertices closer than this are one (metres; default 1e-7). */
  weldTolerance?: number;
}

/**
 * A body-frame TriangleMesh from raw triangles in any frame: welded, checked closed and manifold,
 * oriented outward, and moved so that its centre of mass (uniform density) is the origin.
 * Throws MeshError naming the problem.
 */
export function createTriangleMesh(input: TriangleMeshInput): TriangleMesh {
  if (input.indices.length === 0 || input.positions.length === 0) throw new MeshError('empty: no triangles');
  if (input.indices.length % 3 !== 0) throw new MeshError('index count is not a multiple of 3');
  for (let i = 0; i < input.positions.length; i++) {
    if (!Number.isFinite(input.positions[i]))
      throw new MeshError(`vertex coordinate ${i} is not a finite number`);
  }
  const vertexCount = input.positions.length / 3;
  for (let i = 0; i < input.indices.length; i++) {
    const v = input.indices[i];
    if (!Number.isInteger(v) || v < 0 || v >= vertexCount)
      throw new MeshError(
        `triangle ${Math.floor(i / 3)} refers to vertex ${v}, not one of the ${vertexCount}`,
      );
  }
  const { positions, indices } = weld(input.positions, input.indices, input.weldTolerance ?? 1e-7);
  if (indices.length < 12) throw new MeshError('empty: fewer than 4 non-degenerate triangles');
  orient(positions, indices);
  let volume = 0;
  let cx = 0;
  let cy = 0;
  let cz = 0;
  for (let t = 0; t < indices.length / 3; t++) {
    const k = tetra(positions, indices, t);
    volume += k.volume;
    cx += k.x;
    cy += k.y;
    cz += k.z;
  }
  cx /= volume;
  cy /= volume;
  cz /= volume;
  for (let i = 0; i < positions.length; i += 3) {
    positions[i] -= cx;
    positions[i + 1] -= cy;
    positions[i + 2] -= cz;
  }
  const convex = isConvex(positions, indices);
  let pieces: Float64Array[] | null = null;
  if (input.pieces) {
    pieces = input.pieces.map((piece) => {
      const out = Float64Array.from(piece);
      for (let i = 0; i < out.length; i += 3) {
        out[i] -= cx;
        out[i + 1] -= cy;
        out[i + 2] -= cz;
      }
      return out;
    });
  } else if (convex) {
    pieces = [positions];
  }
  return { positions, indices, volume, convex, pieces };
}
