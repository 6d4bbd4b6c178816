// Whether the policy's state and decisions depend on the camera: one settled scene rendered at several
// resolutions and camera heights (each camera keeps the bin and its rim in view), heightmaps compared
// cell by cell and the policy's greedy action compared with the one it takes from the reference view.
import { poseToTransform } from '../geometry';
import { type CameraModel } from '../image';
import { openModel } from '../models/session';
import {
  computeHeightmap,
  type Heightmap,
  type HeightmapGrid,
  type HeightmapMethod,
} from '../policy/heightmap';
import { decide, policySpecs, usesSuction } from '../policy/policy';
import { openSuctionSource } from '../policy/suction';
import {
  BinPickingSim,
  createCamera,
  DEFAULT_FOCAL_640,
  renderFrame,
  type Scene,
  type SimFrame,
} from '../sim';
import { maxFocalInView, workspaceCorners } from '../sim/cell-scene';
import { vec3 } from '../sim/math';
import { type PolicyAction } from '../policy/actions';

export interface InvarianceView {
  width: number;
  height: number;
  /** Camera height above the bin floor, metres. */
  eye: number;
}

export const viewName = (v: InvarianceView): string => `${v.width}x${v.height}@${v.eye}m`;

/** The policy's training view (POLICY_CAMERA at the default pose): what every other view is compared to. */
export const REFERENCE_VIEW: InvarianceView = { width: 320, height: 240, eye: 0.7 };

/** The three resolutions at the default height, and each of 320x240 and 640x480 from 0.5 m to 1.2 m. */
export const INVARIANCE_VIEWS: readonly InvarianceView[] = [
  { width: 640, height: 480, eye: 0.7 },
  { width: 1280, height: 720, eye: 0.7 },
  { width: 320, height: 240, eye: 0.5 },
  { width: 320, height: 240, eye: 0.9 },
  { width: 320, height: 240, eye: 1.2 },
  { width: 640, height: 480, eye: 0.5 },
  { width: 640, height: 480, eye: 1.2 },
];

/**
 * Square pixels at the D435's focal length for the width, shortened where needed so the bin's floor
 * and rim stay in view; the default camera's ~10° tilt (eye behind the bin centre by 0.17 x height).
 */
export function renderView(scene: Scene, view: InvarianceView, realism = false): SimFrame {
  const lookAt = {
    eye: vec3(0, (-0.12 * view.eye) / 0.7, view.eye),
    target: vec3(0, 0, 0),
    up: vec3(0, 1, 0),
  };
  const probe = createCamera({ width: view.width, height: view.height, lookAt });
  const inView = maxFocalInView(probe.pose, view.width, view.height, workspaceCorners(scene.bin, null));
  const focal = Math.min((DEFAULT_FOCAL_640 * view.width) / 640, inView);
  const camera = createCamera({ width: view.width, height: view.height, fx: focal, fy: focal, lookAt });
  return renderFrame(scene, camera, { realism });
}

export const frameCamera = (f: SimFrame): CameraModel => ({
  ...f.intrinsics,
  distortionModel: 'plumb_bob',
  d: [0, 0, 0, 0, 0],
});

/** computeHeightmap's contract, so an older implementation can be measured the same way. */
export type HeightmapFunction = (
  f: SimFrame,
  grid: HeightmapGrid,
  depth: Float32Array,
  suction?: Float32Array,
) => Heightmap;

export const currentHeightmap: HeightmapFunction = (f, grid, depth, suction) =>
  computeHeightmap(f.rgb, depth, frameCamera(f), poseToTransform(f.cameraPose), grid, suction);

/**
 * Fraction of the cells observed in both maps (`allCells`: of every cell, filled ones included) whose
 * heights agree within `tolerance` metres.
 */
export function heightmapAgreement(a: Heightmap, b: Heightmap, tolerance = 0.005, allCells = false): number {
  let both = 0;
  let agree = 0;
  for (let k = 0; k < a.heights.length; k++) {
    if (!allCells && (!a.observed[k] || !b.observed[k])) continue;
    both++;
    if (Math.abs(a.heights[k] - b.heights[k]) <= tolerance) agree++;
  }
  return both ? agree / both : 0;
}

/** The all-floor map's agreement with `ref` on its observed cells: the trivial baseline. */
export function floorAgreement(ref: Heightmap, tolerance = 0.005): number {
  let both = 0;
  let agree = 0;
  for (let k = 0; k < ref.heights.length; k++) {
    if (!ref.observed[k]) continue;
    both++;
    if (ref.heights[k] <= tolerance) agree++;
  }
  return both ? agree / both : 0;
}

/** Same primitive, same rotation, cell within ±1 (both null: the same "nothing admissible"). */
export function sameDecision(a: PolicyAction | null, b: PolicyAction | null): boolean {
  if (!a || !b) return a === b;
  return (
    a.primitive === b.primitive &&
    a.rotation === b.rotation &&
    Math.abs(a.col - b.col) <= 1 &&
    Math.abs(a.row - b.row) <= 1
  );
}

export interface PolicyInvarianceOptions {
  model: string;
  scenes: number;
  /** First seed; scene i uses seedBase + i. */
  seedBase: number;
  objects: number;
  threads?: number;
  /** Sensor realism on the depth the heightmap is built from (the exact depth otherwise). */
  realism?: boolean;
  heightmap?: HeightmapFunction;
  method?: HeightmapMethod;
  onScene?: (done: number, total: number) => void;
}

const round = (v: number): number => Number(v.toFixed(4));

export async function measurePolicyInvariance(o: PolicyInvarianceOptions): Promise<Record<string, unknown>> {
  const heightmapOf = o.heightmap ?? currentHeightmap;
  const session = await openModel(o.model, { intraOpThreads: o.threads ?? 1 });
  const specs = policySpecs(session.manifest);
  const suction = usesSuction(specs) ? await openSuctionSource({ threads: o.threads ?? 1 }) : undefined;
  // The manifest's method unless asked for another (to compare what a retrained policy would see).
  const grid = o.method ? { ...specs.action.grid, method: o.method } : specs.action.grid;
  const views = INVARIANCE_VIEWS;
  const agreeing = views.map(() => 0);
  const cellAgreement = views.map(() => [] as number[]);
  const allCellAgreement = views.map(() => [] as number[]);
  const floorBaseline: number[] = [];
  let scenesAllAgree = 0;
  const primitives = { push: 0, grasp: 0, none: 0 };
  try {
    for (let s = 0; s < o.scenes; s++) {
      const seed = o.seedBase + s;
      const sim = await BinPickingSim.random(
        { count: o.objects, seed },
        { camera: { width: 64, height: 48 } },
      );
      const scene = sim.scene;
      sim.dispose();
      const observe = async (view: InvarianceView) => {
        const f = renderView(scene, view, o.realism ?? false);
        const depth = o.realism ? f.depth : f.depthExact;
        const heat = suction ? await suction.source(f.rgb, depth, frameCamera(f)) : undefined;
        const hm = heightmapOf(f, grid, depth, heat);
        return { hm, action: (await decide(session.run, specs, hm)).action };
      };
      const ref = await observe(REFERENCE_VIEW);
      primitives[ref.action?.primitive ?? 'none']++;
      floorBaseline.push(floorAgreement(ref.hm));
      let all = true;
      for (let v = 0; v < views.length; v++) {
        const other = await observe(views[v]);
        cellAgreement[v].push(heightmapAgreement(other.hm, ref.hm));
        allCellAgreement[v].push(heightmapAgreement(other.hm, ref.hm, 0.005, true));
        if (sameDecision(other.action, ref.action)) agreeing[v]++;
        else all = false;
      }
      if (all) scenesAllAgree++;
      o.onScene?.(s + 1, o.scenes);
    }
  } finally {
    await session.release();
    await suction?.release();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const decisions = agreeing.reduce((a, b) => a + b, 0) / (views.length * o.scenes);
  return {
    model: session.manifest.name,
    seeds: [o.seedBase, o.seedBase + o.scenes - 1],
    heightmap_method: grid.method ?? 'point_max',
    objects: o.objects,
    depth: o.realism ? 'sensor realism' : 'exact',
    reference_view: viewName(REFERENCE_VIEW),
    reference_primitives: primitives,
    decision_agreement: round(decisions),
    scenes_all_views_agree: round(scenesAllAgree / o.scenes),
    heightmap_agreement_mean: round(mean(cellAgreement.flat())),
    heightmap_agreement_min: round(Math.min(...cellAgreement.flat())),
    heightmap_agreement_all_cells_mean: round(mean(allCellAgreement.flat())),
    all_floor_agreement_mean: round(mean(floorBaseline)),
    views: Object.fromEntries(
      views.map((v, i) => [
        viewName(v),
        {
          decision_agreement: round(agreeing[i] / o.scenes),
          heightmap_agreement_mean: round(mean(cellAgreement[i])),
          heightmap_agreement_min: round(Math.min(...cellAgreement[i])),
          heightmap_agreement_all_cells_mean: round(mean(allCellAgreement[i])),
        },
      ]),
    ),
    protocol:
      'one settled random scene per seed rendered from every view (camera tilted ~10°, focal length shortened ' +
      'to keep the bin and rim in view); decisions agree = same primitive, same rotation, cell within ±1 of ' +
      `the ${viewName(REFERENCE_VIEW)} decision; heightmaps agree = |Δh| ≤ 5 mm on cells both observe ` +
      "(all_cells: on every cell, unobserved ones as filled); grid: the model manifest's",
  };
}
