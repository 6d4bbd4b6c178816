// The training side's simulator: a JSON-lines protocol on stdin/stdout (`grasp-perception sim serve`),
// so the Python Q-learning trainer drives this simulator rather than a second physics implementation.
//
//   {"id":1,"cmd":"reset","seed":3,"objects":10,"realism":true} -> {"id":1,"ok":true,"objects_remaining":10,
//        "camera":{width,height,fx,eye_height},"workspace":[hx,hy]}
//   {"id":1,"cmd":"reset","seed":3,"cell":"cells/domain_randomized.yaml","width":640,"height":480}
//        -> one scene of that cell (its bin or table, objects, camera pose, sensor, lighting); the camera
//           scaled to `width` with the cell's field of view and aspect (a cell's own intrinsics included)
//   {"id":2,"cmd":"observe","grid":{...HeightmapGrid}}     -> {"id":2,"ok":true,"width":..,"height":..,
//        "heights":base64 float32 LE,"colors":base64 rgb8,"observed":base64 u8,"objects_remaining":..}
//   {"id":3,"cmd":"act","primitive":"grasp"|"push","x":..,"y":..,"z":..,"angle":..,"push_length":0.1}
//        -> {"id":3,"ok":true,"success":..,"outcome":"..","scene_changed":..,"objects_remaining":..}
//   {"id":4,"cmd":"observe","grid":{..},"policy":{size,rotations,channels,mean,std,push_length,object_height}}
//        -> also "inputs": base64 float32 R x C x S x S, "push_mask": base64 u8 R x S x S,
//           "grasp_mask": base64 u8 S x S (the policy node's own preprocessing, src/policy/actions.ts)
//   {"id":4,"cmd":"observe","grid":{..},"workspace_grid":true,...} -> the grid follows this episode's
//        workspace (workspaceGrid: the bin floor less the wall margin) at grid's resolution, z and method;
//        the reply's "grid" is the one used
//   {"id":5,"cmd":"act_pixel","primitive":"grasp"|"push","rotation":r,"i":i,"j":j}
//        -> the action at that rotated pixel of the last observation, executed as the policy node's would
//           be (grasps along the fitted surface normal); adds "action" (world position, approach)
//   {"id":6,"cmd":"quit"}
// A bad request gets {"ok":false,"error":"..."} and the server keeps serving.
import * as readline from 'node:readline';
import { z } from 'zod';
import * as path from 'node:path';
import { BinPickingSim, type Cell, loadCell, loadScenario, sampleCellScene } from '../sim';
import { type CameraConfig, createCamera, DEFAULT_FOCAL_640 } from '../sim/camera';
import { maxFocalInView, workspaceCorners } from '../sim/cell-scene';
import { binHalf, DEFAULT_BIN } from '../sim/scene';
import { actionAt, actionMasks, type PolicyAction, type PolicyInputSpec, rotatedInputs } from './actions';
import { quaternionFromYaw, quaternionFromZAxis } from '../geometry';
import { type Header, PACKAGE_ROOT, type PushGraspAction, PushGraspActionConstants } from '../msg';
import { executeAction } from '../sim';
import { actionMessage } from './episode';
import { floorHalfExtents, type Heightmap, type HeightmapGrid, VPG_GRID, workspaceGrid } from './heightmap';
import { observeSim } from './sim-observation';
import { heightmapGridSchema } from '../models/manifest';
import { openSuctionSource, type SuctionSource } from './suction';

const requestSchema = z.discriminatedUnion('cmd', [
  z.object({
    id: z.number().optional(),
    cmd: z.literal('reset'),
    seed: z.number().int().min(0),
    objects: z.number().int().min(1).max(40).default(10),
    scenario: z.string().optional(),
    /** A cell file (absolute, or relative to the package root): the scene is one of its scenes. */
    cell: z.string().min(1).optional(),
    width: z.number().int().min(32).max(1920).default(320),
    height: z.number().int().min(24).max(1080).default(240),
    /** Depth noise, edge dropout and colour jitter, as the sim node publishes by default. */
    realism: z.boolean().default(true),
  }),
  z.object({
    id: z.number().optional(),
    cmd: z.literal('observe'),
    grid: heightmapGridSchema.optional(),
    workspace_grid: z.boolean().default(false),
    policy: z
      .object({
        size: z.number().int().min(8).max(1024),
        rotations: z.number().int().min(1).max(64),
        channels: z.array(z.enum(['red', 'green', 'blue', 'height', 'suction'])).min(1),
        mean: z.array(z.number()),
        std: z.array(z.number().positive()),
        push_length: z.number().positive().default(0.1),
        object_height: z.number().positive().default(0.01),
      })
      .optional(),
  }),
  z.object({
    id: z.number().optional(),
    cmd: z.literal('act_pixel'),
    primitive: z.enum(['grasp', 'push']),
    rotation: z.number().int().min(0),
    i: z.number().int().min(0),
    j: z.number().int().min(0),
  }),
  z.object({
    id: z.number().optional(),
    cmd: z.literal('act'),
    primitive: z.enum(['grasp', 'push']),
    x: z.number(),
    y: z.number(),
    z: z.number(),
    angle: z.number().default(0),
    push_length: z.number().positive().default(0.1),
  }),
  z.object({ id: z.number().optional(), cmd: z.literal('quit') }),
]);
type Request = z.infer<typeof requestSchema>;

/** Executes through sim_node's own executor, as the evaluator and the closed loop do. */
function act(sim: BinPickingSim, a: PushGraspAction): Record<string, unknown> {
  const r = executeAction(sim, a);
  return {
    success: r.success,
    outcome: r.outcome,
    scene_changed: r.sceneChanged,
    objects_remaining: sim.objectsRemaining,
  };
}

const WORLD: Header = { stamp: { sec: 0, nanosec: 0 }, frame_id: 'world' };

const worldAction = (a: PolicyAction) => ({
  primitive: a.primitive,
  position: a.position,
  approach: a.approach,
  angle: a.angle,
  col: a.col,
  row: a.row,
});

/**
 * `camera` at image width `width`, same field of view and aspect ratio (pixel centres kept): a cell's
 * fixed intrinsics rendered at another resolution. Cameras without a width take `width` x `height` as
 * given (the simulator's default D435 field of view).
 */
export function cameraAtWidth(camera: CameraConfig, width: number, height: number): CameraConfig {
  if (camera.width === undefined || camera.width === width)
    return { ...camera, width, height: camera.height ?? height };
  const k = width / camera.width;
  const h = camera.height ?? height;
  const fx = camera.fx ?? (615 * camera.width) / 640;
  return {
    ...camera,
    width,
    height: Math.round(h * k),
    fx: fx * k,
    fy: (camera.fy ?? fx) * k,
    cx: ((camera.cx ?? (camera.width - 1) / 2) + 0.5) * k - 0.5,
    cy: ((camera.cy ?? (h - 1) / 2) + 0.5) * k - 0.5,
  };
}

/**
 * The simulator's default camera (D435 field of view, ~10 degree tilt from 0.7 m) at width x height,
 * square pixels; at aspect ratios wider than 4:3 (1280 x 720) the focal length shortens where needed
 * so the default bin's floor and rim stay in view.
 */
export function defaultViewCamera(width: number, height: number): CameraConfig {
  const probe = createCamera({ width, height });
  const inView = maxFocalInView(probe.pose, width, height, workspaceCorners(DEFAULT_BIN, null));
  const f = Math.min((DEFAULT_FOCAL_640 * width) / 640, inView);
  return { width, height, fx: f, fy: f };
}

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export interface SimSessionOptions {
  /** Perception model for the suction channel (default models/fast_graspnext.json). */
  suctionModel?: string;
}

export class SimSession {
  private sim: BinPickingSim | null = null;
  private realism = true;
  /** Half extents [x, y] of this episode's workspace (bin floor or table area). */
  private workspace: [number, number] = [0.224, 0.224];
  private readonly cells = new Map<string, Cell>();

  constructor(private readonly options: SimSessionOptions = {}) {}

  private suction: Awaited<ReturnType<typeof openSuctionSource>> | null = null;
  private last: { hm: Heightmap; grid: HeightmapGrid; spec: PolicyInputSpec; pushLength: number } | null =
    null;

  async handle(req: Request): Promise<Record<string, unknown>> {
    if (req.cmd === 'reset') {
      this.sim?.dispose();
      this.sim = null;
      if (req.cell) {
        const sample = sampleCellScene(this.cell(req.cell), req.seed, {
          width: req.width,
          height: req.height,
        });
        this.sim = await BinPickingSim.create(sample.scene, {
          camera: cameraAtWidth(sample.camera, req.width, req.height),
          misregistration: sample.misregistration,
          frame: sample.frame,
        });
        this.workspace = floorHalfExtents(sample.workspace);
      } else {
        const camera = defaultViewCamera(req.width, req.height);
        this.sim = req.scenario
          ? await BinPickingSim.fromScenario(loadScenario(req.scenario), { camera }, req.seed)
          : await BinPickingSim.random({ count: req.objects, seed: req.seed }, { camera });
        this.workspace = binHalf(this.sim.scene.bin);
      }
      this.last = null;
      this.realism = req.realism;
      const c = this.sim.camera;
      return {
        objects_remaining: this.sim.objectsRemaining,
        camera: {
          width: c.intrinsics.width,
          height: c.intrinsics.height,
          fx: c.intrinsics.fx,
          eye_height: c.worldFromCamera.translation.z,
        },
        workspace: this.workspace,
      };
    }
    const sim = this.sim;
    if (!sim) throw new Error(`'${req.cmd}' before 'reset'`);
    if (req.cmd === 'observe') {
      const wantsSuction = req.policy?.channels.includes('suction') ?? false;
      const asked: HeightmapGrid = req.grid ?? VPG_GRID;
      const grid = req.workspace_grid ? workspaceGrid(this.workspace, asked) : asked;
      const suction = wantsSuction ? await this.suctionSource() : undefined;
      const { heightmap: hm } = await observeSim(sim, grid, { realism: this.realism, suction });
      let policy: Record<string, string> = {};
      if (req.policy) {
        const spec: PolicyInputSpec = req.policy;
        const action = { grid, pushLength: req.policy.push_length, objectHeight: req.policy.object_height };
        const masks = actionMasks(hm, spec, action);
        this.last = { hm, grid, spec, pushLength: req.policy.push_length };
        policy = {
          inputs: b64(rotatedInputs(hm, spec)),
          push_mask: b64(masks.push),
          grasp_mask: b64(masks.grasp),
        };
      }
      return {
        ...policy,
        width: hm.width,
        height: hm.height,
        ...(req.workspace_grid ? { grid } : {}),
        heights: b64(hm.heights),
        colors: b64(hm.colors),
        observed: b64(hm.observed),
        objects_remaining: sim.objectsRemaining,
      };
    }
    if (req.cmd === 'act') {
      const grasp = req.primitive === 'grasp';
      return act(sim, {
        header: WORLD,
        type: grasp ? PushGraspActionConstants.GRASP : PushGraspActionConstants.PUSH,
        pose: {
          position: { x: req.x, y: req.y, z: req.z },
          orientation: grasp ? quaternionFromZAxis({ x: 0, y: 0, z: -1 }) : quaternionFromYaw(req.angle),
        },
        push_length: grasp ? 0 : req.push_length,
        q_value: 0,
        u: 0,
        v: 0,
        angle: req.angle,
      });
    }
    if (req.cmd === 'act_pixel') {
      const last = this.last;
      if (!last) throw new Error("'act_pixel' needs an 'observe' with a policy spec since the last reset");
      this.last = null; // the scene is about to change: pixels of this observation go stale
      const a = actionAt(req.primitive, req.rotation, req.i, req.j, last.hm, last.spec, last.grid);
      if (!a)
        throw new Error(`pixel (${req.i}, ${req.j}) of rotation ${req.rotation} is outside the heightmap`);
      return { ...act(sim, actionMessage(a, WORLD, last.pushLength)), action: worldAction(a) };
    }
    return {};
  }

  /** The perception model's suction heatmap, opened on first use (policies with a suction channel). */
  private async suctionSource(): Promise<SuctionSource> {
    this.suction ??= await openSuctionSource({ model: this.options.suctionModel });
    return this.suction.source;
  }

  private cell(file: string): Cell {
    const resolved = path.resolve(PACKAGE_ROOT, file);
    let cell = this.cells.get(resolved);
    if (!cell) {
      cell = loadCell(resolved);
      this.cells.set(resolved, cell);
    }
    return cell;
  }

  async dispose(): Promise<void> {
    this.sim?.dispose();
    this.sim = null;
    await this.suction?.release();
    this.suction = null;
  }
}

/** Serves requests from `input` until 'quit' or end of input; one response line per request line. */
export async function serveSim(
  input: NodeJS.ReadableStream,
  write: (line: string) => void,
  options: SimSessionOptions = {},
): Promise<void> {
  const session = new SimSession(options);
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (!line.trim()) continue;
      let id: unknown;
      try {
        const raw = JSON.parse(line) as { id?: unknown };
        id = raw.id;
        const parsed = requestSchema.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new Error(`bad request: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
        }
        if (parsed.data.cmd === 'quit') {
          write(JSON.stringify({ id, ok: true }));
          break;
        }
        write(JSON.stringify({ id, ok: true, ...(await session.handle(parsed.data)) }));
      } catch (err) {
        write(JSON.stringify({ id, ok: false, error: (err as Error).message }));
      }
    }
  } finally {
    await session.dispose();
    lines.close();
  }
}
