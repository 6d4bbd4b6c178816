// The training side's simulator: a JSON-lines protocol on stdin/stdout (`grasp-perception sim serve`),
// so the Python Q-learning trainer drives this simulator rather than a second physics implementation.
//
//   {"id":1,"cmd":"reset","seed":3,"objects":10,"realism":true} -> {"id":1,"ok":true,"objects_remaining":10}
//   {"id":2,"cmd":"observe","grid":{...HeightmapGrid}}     -> {"id":2,"ok":true,"width":..,"height":..,
//        "heights":base64 float32 LE,"colors":base64 rgb8,"observed":base64 u8,"objects_remaining":..}
//   {"id":3,"cmd":"act","primitive":"grasp"|"push","x":..,"y":..,"z":..,"angle":..,"push_length":0.1}
//        -> {"id":3,"ok":true,"success":..,"outcome":"..","scene_changed":..,"objects_remaining":..}
//   {"id":4,"cmd":"observe","grid":{..},"policy":{size,rotations,channels,mean,std,push_length,object_height}}
//        -> also "inputs": base64 float32 R x C x S x S, "push_mask": base64 u8 R x S x S,
//           "grasp_mask": base64 u8 S x S (the policy node's own preprocessing, src/policy/actions.ts)
//   {"id":5,"cmd":"act_pixel","primitive":"grasp"|"push","rotation":r,"i":i,"j":j}
//        -> the action at that rotated pixel of the last observation, executed as the policy node's would
//           be (grasps along the fitted surface normal); adds "action" (world position, approach)
//   {"id":6,"cmd":"quit"}
// A bad request gets {"ok":false,"error":"..."} and the server keeps serving.
import * as readline from 'node:readline';
import { z } from 'zod';
import { BinPickingSim, loadScenario } from '../sim';
import { actionAt, actionMasks, type PolicyAction, type PolicyInputSpec, rotatedInputs } from './actions';
import { quaternionFromYaw, quaternionFromZAxis } from '../geometry';
import { type Header, type PushGraspAction, PushGraspActionConstants } from '../msg';
import { executeAction } from '../sim';
import { actionMessage } from './episode';
import { type Heightmap, type HeightmapGrid, VPG_GRID } from './heightmap';
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
    width: z.number().int().min(32).max(1920).default(320),
    height: z.number().int().min(24).max(1080).default(240),
    /** Depth noise, edge dropout and colour jitter, as the sim node publishes by default. */
    realism: z.boolean().default(true),
  }),
  z.object({
    id: z.number().optional(),
    cmd: z.literal('observe'),
    grid: heightmapGridSchema.optional(),
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

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export class SimSession {
  private sim: BinPickingSim | null = null;
  private realism = true;
  private suction: Awaited<ReturnType<typeof openSuctionSource>> | null = null;
  private last: { hm: Heightmap; grid: HeightmapGrid; spec: PolicyInputSpec; pushLength: number } | null =
    null;

  async handle(req: Request): Promise<Record<string, unknown>> {
    if (req.cmd === 'reset') {
      this.sim?.dispose();
      const scale = req.width / 640;
      const camera = { width: req.width, height: req.height, fx: 615 * scale, fy: 615 * scale };
      this.sim = req.scenario
        ? await BinPickingSim.fromScenario(loadScenario(req.scenario), { camera }, req.seed)
        : await BinPickingSim.random({ count: req.objects, seed: req.seed }, { camera });
      this.last = null;
      this.realism = req.realism;
      return { objects_remaining: this.sim.objectsRemaining };
    }
    const sim = this.sim;
    if (!sim) throw new Error(`'${req.cmd}' before 'reset'`);
    if (req.cmd === 'observe') {
      const wantsSuction = req.policy?.channels.includes('suction') ?? false;
      const grid: HeightmapGrid = req.grid ?? VPG_GRID;
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
    this.suction ??= await openSuctionSource();
    return this.suction.source;
  }

  async dispose(): Promise<void> {
    this.sim?.dispose();
    this.sim = null;
    await this.suction?.release();
    this.suction = null;
  }
}

/** Serves requests from `input` until 'quit' or end of input; one response line per request line. */
export async function serveSim(input: NodeJS.ReadableStream, write: (line: string) => void): Promise<void> {
  const session = new SimSession();
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
