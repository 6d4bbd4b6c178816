// Mesh import: an integrator's CAD parts as OBJ or STL (ASCII and binary) files.
// The parsers are small and here rather than from npm: the packages found (obj-file-parser,
// parse-stl, stl-parser) are unmaintained or stream-only, and only positions and faces are needed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTriangleMesh, MeshError } from './mesh-geometry';
import { type MeshShape } from './shapes';

export interface MeshLoadOptions {
  /** Multiplies every coordinate: 0.001 for a file in millimetres (default 1: metres). */
  scale?: number;
  /** Object mass, kg (default: the simulator's density times the mesh's volume). */
  mass?: number;
}

/** Largest extent an imported part may have, metres: larger almost always means wrong units. */
const MAX_EXTENT = 1;

interface RawTriangles {
  positions: number[];
  indices: number[];
}

/** OBJ: `v x y z` and `f a b c …` (polygons fanned; `a/t/n` forms and negative indices allowed). */
export function parseObj(text: string): RawTriangles {
  const positions: number[] = [];
  const indices: number[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, n) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [tag, ...rest] = line.split(/\s+/);
    if (tag === 'v') {
      const xyz = rest.slice(0, 3).map(Number);
      if (xyz.length < 3 || xyz.some((x) => !Number.isFinite(x)))
        throw new MeshError(`line ${n + 1}: expected three numbers after 'v', got '${line}'`);
      positions.push(...xyz);
    } else if (tag === 'f') {
      const vertexCount = positions.length / 3;
      const corners = rest.map((token) => {
        const k = Number(token.split('/')[0]);
        if (!Number.isInteger(k) || k === 0)
          throw new MeshError(`line ${n + 1}: bad vertex reference '${token}'`);
        const index = k > 0 ? k - 1 : vertexCount + k;
        if (index < 0 || index >= vertexCount)
          throw new MeshError(`line ${n + 1}: vertex ${k} is not defined before this face`);
        return index;
      });
      if (corners.length < 3) throw new MeshError(`line ${n + 1}: a face needs at least 3 vertices`);
      for (let i = 1; i + 1 < corners.length; i++) indices.push(corners[0], corners[i], corners[i + 1]);
    }
    // Other records (vt, vn, o, g, s, usemtl, mtllib, l) carry nothing the simulator uses.
  });
  return { positions, indices };
}

function isBinaryStl(data: Buffer): boolean {
  if (data.length < 84) return false;
  const count = data.readUInt32LE(80);
  return data.length === 84 + 50 * count;
}

/** STL, binary (80-byte header, count, 50 bytes per facet) or ASCII (`facet … vertex x y z …`). */
export function parseStl(data: Buffer): RawTriangles {
  const positions: number[] = [];
  if (isBinaryStl(data)) {
    const count = data.readUInt32LE(80);
    for (let t = 0; t < count; t++) {
      const o = 84 + 50 * t + 12; // skip the facet normal: recomputed from the winding
      for (let k = 0; k < 9; k++) positions.push(data.readFloatLE(o + 4 * k));
    }
  } else {
    const text = data.toString('utf8');
    if (!/^\s*solid\b/.test(text)) {
      throw new MeshError(
        `not an STL file: neither binary (size ${data.length} B is not 84 + 50 × facets) nor ASCII ('solid …')`,
      );
    }
    const lines = text.split(/\r?\n/);
    lines.forEach((raw, n) => {
      const line = raw.trim();
      if (!line.startsWith('vertex')) return;
      const xyz = line.split(/\s+/).slice(1, 4).map(Number);
      if (xyz.length < 3 || xyz.some((x) => !Number.isFinite(x)))
        throw new MeshError(`line ${n + 1}: expected three numbers after 'vertex', got '${line}'`);
      positions.push(...xyz);
    });
    if (positions.length % 9 !== 0) throw new MeshError('a facet does not have exactly 3 vertices');
  }
  return { positions, indices: Array.from({ length: positions.length / 3 }, (_, i) => i) };
}

/**
 * A `custom` mesh shape from an OBJ or STL file (by extension). Throws an Error naming the file
 * and the problem: missing, empty, unparsable, non-manifold (open or over-shared edges), too big.
 */
export function loadMeshShape(file: string, options: MeshLoadOptions = {}): MeshShape {
  const scale = options.scale ?? 1;
  const fail = (problem: string): never => {
    throw new MeshError(`mesh file '${file}': ${problem}`);
  };
  if (!(scale > 0) || !Number.isFinite(scale)) fail(`scale must be a positive number, got ${scale}`);
  if (options.mass !== undefined && !(options.mass > 0))
    fail(`mass must be a positive number of kg, got ${options.mass}`);
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'missing (no such file)' : `cannot be read (${code ?? String(err)})`);
  }
  if (data.length === 0) fail('empty (0 bytes)');
  const ext = path.extname(file).toLowerCase();
  let raw: RawTriangles;
  try {
    if (ext === '.obj') raw = parseObj(data.toString('utf8'));
    else if (ext === '.stl') raw = parseStl(data);
    else return fail(`unknown mesh format '${ext || '(none)'}': expected .obj or .stl`);
    if (raw.indices.length === 0) fail('empty: no triangles');
    const positions = raw.positions.map((x) => x * scale);
    const mesh = createTriangleMesh({ positions, indices: raw.indices, weldTolerance: 1e-7 });
    let extent = 0;
    for (let i = 0; i < 3; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let v = i; v < mesh.positions.length; v += 3) {
        lo = Math.min(lo, mesh.positions[v]);
        hi = Math.max(hi, mesh.positions[v]);
      }
      extent = Math.max(extent, hi - lo);
    }
    if (extent > MAX_EXTENT) {
      fail(
        `${extent.toFixed(3)} m across after scale ${scale}: wrong units? (scale: 0.001 reads millimetres)`,
      );
    }
    const shape: MeshShape = { kind: 'mesh', family: 'custom', mesh };
    if (options.mass !== undefined) shape.mass = options.mass;
    return shape;
  } catch (err) {
    if (err instanceof MeshError && !err.message.startsWith('mesh file ')) fail(err.message);
    throw err;
  }
}
