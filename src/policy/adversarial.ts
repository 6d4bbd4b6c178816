// Adversarial arrangements generated from a seed, in the four kinds of VPG's hand-built test cases and of
// scenarios/: tightly packed (grids, plates on edge, logs side by side), stacked (towers, bridges,
// pyramids), against the walls (rows, corners, leaning plates) and pinned (a plank or plate resting across
// other objects). The hand-built files were seen while designing the policy; these, drawn from
// evaluation-range seeds, never were. Each is a Scenario (validated like a file) that settles in the sim.
import { DEFAULT_BIN, deriveSeed, parseScenario, Rng, type Scenario } from '../sim';

export const ADVERSARIAL_KINDS = ['packed', 'stacked', 'wall', 'pinned'] as const;
export type AdversarialKind = (typeof ADVERSARIAL_KINDS)[number];

type Vec = [number, number, number];

/** One object as a scenario file writes it (lengths in metres, angles in degrees). */
type RawObject = { shape: string; position: Vec; rpy_deg?: Vec } & Record<string, unknown>;

interface Motif {
  name: string;
  objects: RawObject[];
  /** Horizontal radius around the motif's origin that holds it (free-standing motifs). */
  radius: number;
}

const GAP = 0.001;
// The default bin is square (its inner size a number, or [x, y] once bins may be rectangular).
const HALF = Math.min(...[DEFAULT_BIN.innerSize].flat()) / 2;

const box = (size: Vec, position: Vec, rpy: Vec = [0, 0, 0]): RawObject => ({
  shape: 'box',
  size,
  position,
  rpy_deg: rpy,
});
const cylinder = (radius: number, length: number, position: Vec, rpy: Vec = [0, 0, 0]): RawObject => ({
  shape: 'cylinder',
  radius,
  length,
  position,
  rpy_deg: rpy,
});
const sphere = (radius: number, position: Vec): RawObject => ({ shape: 'sphere', radius, position });

const round = (v: number) => Number(v.toFixed(4));

/** The motif turned by `yawDeg` about z and moved to (cx, cy). */
function place(objects: readonly RawObject[], yawDeg: number, cx: number, cy: number): RawObject[] {
  const a = (yawDeg * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  return objects.map((o) => {
    const [x, y, z] = o.position;
    const [r, p, yaw] = o.rpy_deg ?? [0, 0, 0];
    return {
      ...o,
      position: [round(cx + c * x - s * y), round(cy + s * x + c * y), round(z)],
      ...(o.shape === 'sphere' ? {} : { rpy_deg: [r, p, round(yaw + yawDeg)] as Vec }),
    };
  });
}

function packed(rng: Rng): Motif {
  const variant = rng.int(3);
  if (variant === 0) {
    // A grid of cubes and upright cylinders, every one touching its neighbours.
    const rows = 2 + rng.int(2);
    const cols = 2 + rng.int(3);
    const s = rng.uniform(0.035, 0.055);
    const objects: RawObject[] = [];
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        const x = (j - (cols - 1) / 2) * (s + GAP);
        const y = (i - (rows - 1) / 2) * (s + GAP);
        const h = rng.uniform(0.03, 0.06);
        objects.push(rng.next() < 0.5 ? box([s, s, h], [x, y, h / 2]) : cylinder(s / 2, h, [x, y, h / 2]));
      }
    return { name: 'packed-grid', objects, radius: (Math.hypot(rows, cols) * (s + GAP)) / 2 };
  }
  if (variant === 1) {
    // Plates on edge like books: faces vertical, top edges narrower than the cup.
    const n = 4 + rng.int(4);
    const t = rng.uniform(0.012, 0.02);
    const w = rng.uniform(0.06, 0.09);
    const h = rng.uniform(0.05, 0.08);
    const objects = Array.from({ length: n }, (_, k) =>
      box([t, w, h], [(k - (n - 1) / 2) * (t + GAP), 0, h / 2]),
    );
    return { name: 'packed-plates', objects, radius: Math.hypot((n * (t + GAP)) / 2, w / 2) };
  }
  // Logs side by side: only a narrow strip of each top seals.
  const n = 3 + rng.int(3);
  const r = rng.uniform(0.015, 0.025);
  const len = rng.uniform(0.08, 0.14);
  const objects = Array.from({ length: n }, (_, k) =>
    cylinder(r, len, [(k - (n - 1) / 2) * (2 * r + GAP), 0, r], [90, 0, 0]),
  );
  return { name: 'packed-logs', objects, radius: Math.hypot(n * (r + GAP), len / 2) };
}

function stacked(rng: Rng): Motif {
  const variant = rng.int(3);
  if (variant === 0) {
    // A tower of boxes, largest at the bottom: each is pinned until the ones above are gone.
    const n = 2 + rng.int(3);
    let s = rng.uniform(0.07, 0.1);
    let z = 0;
    const objects: RawObject[] = [];
    for (let k = 0; k < n; k++) {
      const h = rng.uniform(0.025, 0.045);
      objects.push(box([s, s, h], [0, 0, z + h / 2], [0, 0, rng.uniform(-20, 20)]));
      z += h + GAP;
      s = Math.max(0.03, s - rng.uniform(0.01, 0.02));
    }
    return { name: 'stacked-tower', objects, radius: 0.075 };
  }
  if (variant === 1) {
    // A plank bridging two cubes pins both.
    const c = rng.uniform(0.04, 0.055);
    const span = rng.uniform(0.08, 0.11);
    const t = rng.uniform(0.015, 0.025);
    const objects = [
      box([c, c, c], [-span / 2, 0, c / 2]),
      box([c, c, c], [span / 2, 0, c / 2]),
      box([span + c + rng.uniform(0.0, 0.03), rng.uniform(0.04, 0.06), t], [0, 0, c + GAP + t / 2]),
    ];
    return { name: 'stacked-bridge', objects, radius: span / 2 + c };
  }
  // Two logs with a third in the groove on top.
  const r = rng.uniform(0.02, 0.03);
  const len = rng.uniform(0.08, 0.12);
  const objects = [
    cylinder(r, len, [-(r + GAP / 2), 0, r], [90, 0, 0]),
    cylinder(r, len, [r + GAP / 2, 0, r], [90, 0, 0]),
    cylinder(r, len, [0, 0, r + Math.sqrt(3) * r + GAP], [90, 0, 0]),
  ];
  return { name: 'stacked-pyramid', objects, radius: Math.hypot(2 * r, len / 2) };
}

/** Against the +x wall (inner face at x = HALF); the caller turns it onto one of the four walls. */
function wall(rng: Rng): Motif {
  const variant = rng.int(3);
  if (variant === 0) {
    // Flat boxes and balls flush with the wall.
    const n = 2 + rng.int(3);
    const objects: RawObject[] = [];
    let y = -0.15 + rng.uniform(0, 0.05);
    for (let k = 0; k < n && y < 0.17; k++) {
      if (rng.next() < 0.7) {
        const d = rng.uniform(0.03, 0.05);
        const w = rng.uniform(0.05, 0.1);
        const h = rng.uniform(0.02, 0.04);
        objects.push(box([d, w, h], [HALF - d / 2 - GAP, y + w / 2, h / 2]));
        y += w + rng.uniform(0.005, 0.03);
      } else {
        const r = rng.uniform(0.02, 0.03);
        objects.push(sphere(r, [HALF - r - GAP, y + r, r]));
        y += 2 * r + rng.uniform(0.005, 0.03);
      }
    }
    return { name: 'wall-row', objects, radius: 0 };
  }
  if (variant === 1) {
    // Wedged into the corner at (+x, +y), with objects pressed against both walls beside it.
    const c = rng.uniform(0.04, 0.055);
    const r = rng.uniform(0.02, 0.03);
    const cr = rng.uniform(0.015, 0.022);
    const objects = [
      box([c, c, c], [HALF - c / 2 - GAP, HALF - c / 2 - GAP, c / 2]),
      sphere(r, [HALF - r - GAP, HALF - c - r - 0.01, r]),
      {
        shape: 'capsule',
        radius: cr,
        length: 0.1,
        position: [HALF - c - 0.06, HALF - cr - GAP, cr] as Vec,
        rpy_deg: [0, 90, 0] as Vec,
      },
    ];
    return { name: 'wall-corner', objects, radius: 0 };
  }
  // Thin plates leaning steeply on the wall: their faces tilt beyond the arm's approach cone.
  const n = 2 + rng.int(2);
  const objects: RawObject[] = [];
  for (let k = 0; k < n; k++) {
    const t = rng.uniform(0.01, 0.015);
    const w = rng.uniform(0.05, 0.08);
    const h = rng.uniform(0.1, 0.14);
    const a = rng.uniform(15, 28);
    const ar = (a * Math.PI) / 180;
    const x = HALF - (h / 2) * Math.sin(ar) - (t / 2) * Math.cos(ar) - 0.002;
    const z = (h / 2) * Math.cos(ar) + (t / 2) * Math.sin(ar) + 0.002;
    objects.push(box([t, w, h], [x, (k - (n - 1) / 2) * (w + 0.03), z], [0, a, 0]));
  }
  return { name: 'wall-leaning', objects, radius: 0 };
}

function pinned(rng: Rng): Motif {
  // A plate or plank resting across smaller objects: they cannot be lifted until it is gone or pushed off.
  const n = 1 + rng.int(2);
  const objects: RawObject[] = [];
  let top = 0;
  const spread = n === 1 ? 0 : rng.uniform(0.05, 0.08);
  for (let k = 0; k < n; k++) {
    const x = n === 1 ? 0 : (k - 0.5) * spread;
    if (rng.next() < 0.6) {
      const s = rng.uniform(0.035, 0.05);
      const h = rng.uniform(0.02, 0.035);
      objects.push(box([s, s, h], [x, rng.uniform(-0.015, 0.015), h / 2]));
      top = Math.max(top, h);
    } else {
      const r = rng.uniform(0.015, 0.022);
      objects.push(cylinder(r, rng.uniform(0.06, 0.09), [x, 0, r], [90, 0, 0]));
      top = Math.max(top, 2 * r);
    }
  }
  const t = rng.uniform(0.01, 0.02);
  const len = spread + rng.uniform(0.09, 0.14);
  // Off-centre so one end rests on the floor and the plate leans on what it pins.
  const shift = rng.uniform(-0.03, 0.03);
  objects.push(
    box([len, rng.uniform(0.05, 0.08), t], [shift, 0, top + GAP + t / 2], [0, 0, rng.uniform(-15, 15)]),
  );
  return { name: 'pinned-plate', objects, radius: len / 2 + Math.abs(shift) + 0.02 };
}

const MAKERS: Record<AdversarialKind, (rng: Rng) => Motif> = { packed, stacked, wall, pinned };

/** A free-standing motif placed at random (turned, inside the bin); null when it collides with `taken`. */
function placeFree(
  rng: Rng,
  m: Motif,
  taken: { x: number; y: number; r: number }[],
): { objects: RawObject[]; at: { x: number; y: number; r: number } } | null {
  const limit = HALF - m.radius - 0.01;
  if (limit < 0) return null;
  for (let attempt = 0; attempt < 20; attempt++) {
    const x = rng.uniform(-limit, limit);
    const y = rng.uniform(-limit, limit);
    if (taken.some((t) => Math.hypot(t.x - x, t.y - y) < t.r + m.radius + 0.02)) continue;
    return { objects: place(m.objects, rng.uniform(0, 360), x, y), at: { x, y, r: m.radius } };
  }
  return null;
}

/**
 * The adversarial arrangement of `seed`: one motif of a drawn kind, and with probability 1/2 a second of
 * another kind elsewhere in the bin. Deterministic in the seed.
 */
export function generateAdversarial(seed: number): Scenario & { kinds: AdversarialKind[] } {
  const rng = new Rng(deriveSeed(seed, 'adversarial-arrangement'));
  const first = rng.pick(ADVERSARIAL_KINDS);
  const kinds: AdversarialKind[] = [first];
  if (rng.next() < 0.5) kinds.push(rng.pick(ADVERSARIAL_KINDS.filter((k) => k !== first)));
  const objects: RawObject[] = [];
  const names: string[] = [];
  const placedKinds: AdversarialKind[] = [];
  const taken: { x: number; y: number; r: number }[] = [];
  for (const kind of kinds) {
    const m = MAKERS[kind](rng);
    if (kind === 'wall') {
      // On one of the four walls (a wall motif is built against +x): a quarter turn about the bin centre.
      const side = rng.int(4);
      objects.push(...place(m.objects, 90 * side, 0, 0));
      // Keep free-standing motifs off this wall's band, corners included.
      const a = (side * Math.PI) / 2;
      for (const along of [-1, -0.5, 0, 0.5, 1]) {
        const [x, y] = [HALF, along * HALF];
        taken.push({ x: Math.cos(a) * x - Math.sin(a) * y, y: Math.sin(a) * x + Math.cos(a) * y, r: 0.11 });
      }
      names.push(m.name);
      placedKinds.push(kind);
      continue;
    }
    const placed = placeFree(rng, m, taken);
    if (!placed) continue;
    objects.push(...placed.objects);
    taken.push(placed.at);
    names.push(m.name);
    placedKinds.push(kind);
  }
  const scenario = parseScenario(
    {
      name: `generated-${seed}`,
      description: `generated adversarial arrangement (${names.join(' + ')}), seed ${seed}`,
      seed,
      objects,
    },
    `<generated adversarial seed ${seed}>`,
  );
  return { ...scenario, kinds: placedKinds };
}
