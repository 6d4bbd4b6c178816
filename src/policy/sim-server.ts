// The training side's simulator: a JSON-lines protocol on stdin/stdout (`grasp-perception sim serve`),
// so the Python Q-learning trainer drives this simulator rather than a second physics implementation.
//
//   {"id":1,"cmd":"reset","seed":3,"objects":10}            -> {"id":1,"ok":true,"objects_remaining":10}
//   {"id":2,"cmd":"observe","grid":{...HeightmapGrid}}     -> {"id":2,"ok":true,"width":..,"height":..,
//        "heights":base64 float32 LE,"colors":base64 rgb8,"observed":base64 u8,"objects_remaining":..}
//   {"id":3,"cmd":"act","primitive":"grasp"|"push","x":..,"y":..,"z":..,"angle":..,"push_length":0.1}
//        -> {"id":3,"ok":true,"success":..,"outcome":"..","scene_changed":..,"objects_remaining":..}
//   {"id":4,"cmd":"quit"}
// A bad request gets {"ok":false,"error":"..."} and the server keeps serving.
import * as readline from 'node:readline';
import { z } from 'zod';
import { poseToTransform } from '../geometry';
import { BinPickingSim, loadScenario } from '../sim';
import { computeHeightmap, type HeightmapGrid, VPG_GRID } from './heightmap';

const range = z.tuple([z.number(), z.number()]);
const requestSchema = z.discriminatedUnion('cmd', [
  z.object({
    id: z.number().optional(),
    cmd: z.literal('reset'),
    seed: z.number().int().min(0),
    objects: z.number().int().min(1).max(40).default(10),
    scenario: z.string().optional(),
    width: z.number().int().min(32).max(1920).default(320),
    height: z.number().int().min(24).max(1080).default(240),
  }),
  z.object({
    id: z.number().optional(),
    cmd: z.literal('observe'),
    grid: z.object({ x: range, y: range, z: range, resolution: z.number().positive() }).optional(),
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

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export class SimSession {
  private sim: BinPickingSim | null = null;

  async handle(req: Request): Promise<Record<string, unknown>> {
    if (req.cmd === 'reset') {
      this.sim?.dispose();
      const scale = req.width / 640;
      const camera = { width: req.width, height: req.height, fx: 615 * scale, fy: 615 * scale };
      this.sim = req.scenario
        ? await BinPickingSim.fromScenario(loadScenario(req.scenario), { camera }, req.seed)
        : await BinPickingSim.random({ count: req.objects, seed: req.seed }, { camera });
      return { objects_remaining: this.sim.objectsRemaining };
    }
    const sim = this.sim;
    if (!sim) throw new Error(`'${req.cmd}' before 'reset'`);
    if (req.cmd === 'observe') {
      const f = sim.frame();
      const grid: HeightmapGrid = req.grid ?? VPG_GRID;
      const model = { ...f.intrinsics, distortionModel: 'plumb_bob', d: [0, 0, 0, 0, 0] };
      const hm = computeHeightmap(f.rgb, f.depth, model, poseToTransform(f.cameraPose), grid);
      return {
        width: hm.width,
        height: hm.height,
        heights: b64(hm.heights),
        colors: b64(hm.colors),
        observed: b64(hm.observed),
        objects_remaining: sim.objectsRemaining,
      };
    }
    if (req.cmd === 'act') {
      const at = { x: req.x, y: req.y, z: req.z };
      const r =
        req.primitive === 'grasp'
          ? sim.suctionGrasp(at, { x: 0, y: 0, z: -1 })
          : sim.push(at, { x: Math.cos(req.angle), y: Math.sin(req.angle), z: 0 }, req.push_length);
      return {
        success: r.success,
        outcome: 'outcome' in r ? r.outcome : r.sceneChanged ? 'pushed' : 'pushed, no change',
        scene_changed: r.sceneChanged,
        objects_remaining: sim.objectsRemaining,
      };
    }
    return {};
  }

  dispose(): void {
    this.sim?.dispose();
    this.sim = null;
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
    session.dispose();
    lines.close();
  }
}
