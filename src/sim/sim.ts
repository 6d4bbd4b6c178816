// The simulator: a scene in rapier, a camera, frames with ground truth, and the two actions
// (suction grasp, push). Every random draw is seeded from the scene seed; nothing reads the clock.
import { type Camera, type CameraConfig, createCamera } from './camera';
import { type Cell } from './cell';
import { type CellSample, sampleCellScene, shiftRgb } from './cell-scene';
import { type FrameOptions, renderDepth, renderFrame, type SimFrame } from './frame';
import { normalize, type Pose, quatAngle, scale, sub, type Vec3, vec3 } from './math';
import { initPhysics, type PhysicsOptions, PhysicsWorld } from './physics';
import { deriveSeed } from './random';
import { buildPrimitives, F_ID, F_OBJECT, PRIMITIVE_STRIDE, RayCaster } from './raycast';
import { type Scenario, scenarioScene } from './scenario';
import { binHalf, generateClutter, type ClutterOptions, type Scene, type SceneObject } from './scene';
import { DEFAULT_SEAL_MODEL, type SealFailure, type SealModel, SealTester } from './suction';

export interface SimOptions {
  camera?: CameraConfig | Camera;
  physics?: Partial<PhysicsOptions>;
  /** Defaults for `frame()`. */
  frame?: FrameOptions;
  /** Drop and settle the objects before the first frame (default true); false keeps poses as given. */
  settle?: boolean;
  /** Colour image shift relative to depth and labels, whole pixels (a cell's misregistration). */
  misregistration?: readonly [number, number];
}

export interface ActionReport {
  success: boolean;
  /** Objects still in the bin whose pose changed by more than 3 mm or 3°. */
  movedIds: number[];
  /** Objects that left the scene (the grasped one, or any that fell out of the bin). */
  removedIds: number[];
  /** VPG's criterion: exact depth changed by 1–30 cm on more than `changeThreshold` pixels. */
  sceneChanged: boolean;
  changedPixels: number;
  changeThreshold: number;
}

export type GraspOutcome = 'grasped' | 'no-object' | 'pinned' | SealFailure;

export interface GraspReport extends ActionReport {
  outcome: GraspOutcome;
  /** Object the cup touched first (null: none). */
  objectId: number | null;
  /** Where the cup centre touched the surface (world). */
  contact: Vec3 | null;
  /** Objects resting on the target when it was pinned. */
  pinnedBy: number[];
}

export type PushReport = ActionReport;

/** VPG counts > 300 changed pixels on its 224×224 heightmap; we keep 300 at 640×480 and scale by area. */
export function sceneChangeThreshold(width: number, height: number): number {
  return (300 * width * height) / (640 * 480);
}

/** Pixels whose depth changed by 1–30 cm (both readings valid). */
export function countDepthChanges(before: Float32Array, after: Float32Array): number {
  let changed = 0;
  for (let i = 0; i < before.length; i++) {
    if (before[i] <= 0 || after[i] <= 0) continue;
    const d = Math.abs(after[i] - before[i]);
    if (d >= 0.01 && d <= 0.3) changed++;
  }
  return changed;
}

const MOVE_DISTANCE = 0.003;
const MOVE_ANGLE = (3 * Math.PI) / 180;
const PUSHER_RADIUS = 0.01;
const PUSHER_HEIGHT = 0.15;
const PUSH_SPEED = 0.1; // m/s, slow enough that the pusher never tunnels through a 3 cm object
const DESCENT_SPEED = 0.25;
const GRASP_CORRIDOR = 0.15; // the cup's travel checked above the given point, metres

export class BinPickingSim {
  readonly camera: Camera;
  private readonly physics: PhysicsWorld;
  private objects: SceneObject[];
  private frameIndex = 0;
  private readonly misregistration: readonly [number, number];

  private constructor(
    private readonly base: Scene,
    camera: Camera,
    physics: PhysicsWorld,
    private readonly frameDefaults: FrameOptions,
    misregistration: readonly [number, number] = [0, 0],
  ) {
    this.camera = camera;
    this.misregistration = misregistration;
    this.physics = physics;
    this.objects = base.objects.map((o) => ({ ...o, pose: clonePose(o.pose) }));
  }

  /** Builds the world; objects fall from their given poses and settle unless `settle` is false. */
  static async create(scene: Scene, options: SimOptions = {}): Promise<BinPickingSim> {
    await initPhysics();
    const ids = new Set<number>();
    for (const obj of scene.objects) {
      if (!Number.isInteger(obj.id) || obj.id < 1 || obj.id > 65535 || ids.has(obj.id)) {
        throw new RangeError(`object ids must be unique integers in 1–65535 (bad id ${obj.id})`);
      }
      ids.add(obj.id);
    }
    const camera =
      options.camera && 'intrinsics' in options.camera ? options.camera : createCamera(options.camera);
    const physics = new PhysicsWorld(scene.bin, options.physics);
    for (const obj of scene.objects) physics.addObject(obj);
    const sim = new BinPickingSim(scene, camera, physics, options.frame ?? {}, options.misregistration);
    if (options.settle !== false) {
      // Fall inside a tall hopper, then let go of it: whatever ends up above the walls may spill.
      physics.settleInHopper();
      sim.settle();
    }
    return sim;
  }

  /** The scene a scenario file describes; it settles when the file says so. */
  static async fromScenario(
    scenario: Scenario,
    options: SimOptions = {},
    seed?: number,
  ): Promise<BinPickingSim> {
    return BinPickingSim.create(scenarioScene(scenario, seed), { settle: scenario.settle, ...options });
  }

  /**
   * One scene of a cell for `seed`: its bin or table top, objects, camera, misregistration, sensor
   * (`options.camera` is ignored: the cell decides; `size` is used when the cell fixes no intrinsics).
   */
  static async fromCell(
    cell: Cell,
    seed: number,
    options: SimOptions & { size?: { width: number; height: number } } = {},
  ): Promise<{ sim: BinPickingSim; sample: CellSample }> {
    const { size, ...rest } = options;
    const sample = sampleCellScene(cell, seed, size);
    const sim = await BinPickingSim.create(sample.scene, {
      ...rest,
      camera: sample.camera,
      misregistration: sample.misregistration,
      // The cell's sensor model and shadows apply to every frame of this sim.
      frame: { ...sample.frame, ...rest.frame },
    });
    return { sim, sample };
  }

  /** Random clutter of `count` objects from `seed`, dropped and settled. */
  static async random(clutter: ClutterOptions, options: SimOptions = {}): Promise<BinPickingSim> {
    return BinPickingSim.create(generateClutter(clutter), options);
  }

  /** The current scene as plain data (a copy). */
  get scene(): Scene {
    return { ...this.base, objects: this.objects.map((o) => ({ ...o, pose: clonePose(o.pose) })) };
  }

  /** Objects left to pick (distractors are not counted). */
  get objectsRemaining(): number {
    return this.objects.filter((o) => !o.distractor).length;
  }

  /** Simulated seconds since creation. */
  get time(): number {
    return this.physics.time;
  }

  /** Renders the current scene with ground truth; each call gets its own noise seed. */
  frame(options: FrameOptions = {}): SimFrame {
    const frameSeed = deriveSeed(this.base.seed, `frame-${this.frameIndex++}`);
    const frame = renderFrame(this.scene, this.camera, { frameSeed, ...this.frameDefaults, ...options });
    const [dx, dy] = this.misregistration;
    if (dx !== 0 || dy !== 0) frame.rgb = shiftRgb(frame.rgb, frame.width, frame.height, dx, dy);
    return frame;
  }

  /** Steps until at rest; objects that ended up outside the bin are removed. Returns their ids. */
  settle(): number[] {
    this.physics.settle();
    return this.syncPoses();
  }

  /**
   * Suction grasp: the cup travels along `approach` (default straight down) through `point`
   * (world). It succeeds when the seal model holds at the first surface it meets, that surface
   * belongs to an object, and no other object rests on that object. Success lifts the object out.
   */
  suctionGrasp(point: Vec3, approach: Vec3 = vec3(0, 0, -1), seal: Partial<SealModel> = {}): GraspReport {
    const a = normalize(approach);
    const set = buildPrimitives(this.scene);
    const caster = new RayCaster(set);
    const from = sub(point, scale(a, GRASP_CORRIDOR));
    const hit = caster.cast(from.x, from.y, from.z, a.x, a.y, a.z, GRASP_CORRIDOR + 0.05, null, 0);
    const objectId = hit >= 0 ? set.data[hit * PRIMITIVE_STRIDE + F_ID] : 0;
    const threshold = sceneChangeThreshold(this.camera.intrinsics.width, this.camera.intrinsics.height);
    const failed = (outcome: GraspOutcome, contact: Vec3 | null, pinnedBy: number[] = []): GraspReport => ({
      success: false,
      outcome,
      objectId: objectId > 0 ? objectId : null,
      contact,
      pinnedBy,
      movedIds: [],
      removedIds: [],
      sceneChanged: false,
      changedPixels: 0,
      changeThreshold: threshold,
    });
    if (objectId === 0 || this.objects.find((o) => o.id === objectId)?.distractor) {
      return failed('no-object', null);
    }
    const t = caster.last.t;
    const contact = vec3(from.x + a.x * t, from.y + a.y * t, from.z + a.z * t);
    const tester = new SealTester(set, { ...DEFAULT_SEAL_MODEL, ...seal });
    const objectIndex = set.data[hit * PRIMITIVE_STRIDE + F_OBJECT];
    if (!tester.trial(objectIndex, contact.x, contact.y, contact.z, a.x, a.y, a.z, null, 0)) {
      return failed(tester.lastFailure ?? 'not-planar', contact);
    }
    const pinnedBy = this.physics.objectsResting(objectId);
    if (pinnedBy.length > 0) return failed('pinned', contact, pinnedBy);

    const depthBefore = renderDepth(this.scene, this.camera);
    const posesBefore = this.poseMap();
    this.physics.removeObject(objectId);
    this.objects = this.objects.filter((o) => o.id !== objectId);
    const fellOut = this.settle();
    const depthAfter = renderDepth(this.scene, this.camera);
    const changedPixels = countDepthChanges(depthBefore, depthAfter);
    return {
      success: true,
      outcome: 'grasped',
      objectId,
      contact,
      pinnedBy: [],
      movedIds: this.movedSince(posesBefore),
      removedIds: [objectId, ...fellOut],
      sceneChanged: changedPixels > threshold,
      changedPixels,
      changeThreshold: threshold,
    };
  }

  /**
   * Push with a vertical finger (capsule, 1 cm radius): it comes down above `start` to 5 mm over
   * `start.z` (never below the floor), moves `length` metres along the horizontal part of
   * `direction`, lifts, and the scene settles. Success = at least one object moved.
   */
  push(start: Vec3, direction: Vec3, length = 0.1): PushReport {
    const flat = Math.hypot(direction.x, direction.y);
    if (!(flat > 1e-9)) throw new RangeError('push direction needs a horizontal component');
    if (!(length > 0)) throw new RangeError(`push length must be > 0, got ${length}`);
    const dx = direction.x / flat;
    const dy = direction.y / flat;
    const depthBefore = renderDepth(this.scene, this.camera);
    const posesBefore = this.poseMap();
    const dt = this.physics.options.timestep;
    const tipZ = Math.max(start.z + 0.005, 0.005);
    const lift = 0.12;
    const path = (from: Vec3, to: Vec3, speed: number): void => {
      const steps = Math.max(
        1,
        Math.ceil(Math.hypot(to.x - from.x, to.y - from.y, to.z - from.z) / (speed * dt)),
      );
      for (let s = 1; s <= steps; s++) {
        const k = s / steps;
        this.physics.movePusher(
          vec3(from.x + (to.x - from.x) * k, from.y + (to.y - from.y) * k, from.z + (to.z - from.z) * k),
        );
      }
    };
    const above = vec3(start.x, start.y, tipZ + lift);
    const down = vec3(start.x, start.y, tipZ);
    const end = vec3(start.x + dx * length, start.y + dy * length, tipZ);
    this.physics.addPusher(above, PUSHER_RADIUS, PUSHER_HEIGHT);
    path(above, down, DESCENT_SPEED);
    path(down, end, PUSH_SPEED);
    path(end, vec3(end.x, end.y, tipZ + lift), DESCENT_SPEED);
    this.physics.removePusher();
    const fellOut = this.settle();
    const depthAfter = renderDepth(this.scene, this.camera);
    const changedPixels = countDepthChanges(depthBefore, depthAfter);
    const threshold = sceneChangeThreshold(this.camera.intrinsics.width, this.camera.intrinsics.height);
    const movedIds = this.movedSince(posesBefore);
    return {
      success: movedIds.length > 0 || fellOut.length > 0,
      movedIds,
      removedIds: fellOut,
      sceneChanged: changedPixels > threshold,
      changedPixels,
      changeThreshold: threshold,
    };
  }

  /** Frees rapier's memory; the instance is unusable afterwards. */
  dispose(): void {
    this.physics.free();
  }

  private poseMap(): Map<number, Pose> {
    return new Map(this.objects.map((o) => [o.id, clonePose(o.pose)]));
  }

  private movedSince(before: ReadonlyMap<number, Pose>): number[] {
    return this.objects
      .filter((o) => {
        const old = before.get(o.id);
        if (!old) return false;
        const p = o.pose.position;
        const q = old.position;
        const moved = Math.hypot(p.x - q.x, p.y - q.y, p.z - q.z) > MOVE_DISTANCE;
        return moved || quatAngle(o.pose.orientation, old.orientation) > MOVE_ANGLE;
      })
      .map((o) => o.id);
  }

  /** Copies poses out of rapier and removes objects that left the bin. */
  private syncPoses(): number[] {
    const [hx, hy] = binHalf(this.base.bin);
    const out: number[] = [];
    for (const obj of this.objects) {
      obj.pose = this.physics.pose(obj.id);
      const p = obj.pose.position;
      // Distractors stand on the table around the bin by design.
      if (obj.distractor) continue;
      if (Math.abs(p.x) > hx + 0.005 || Math.abs(p.y) > hy + 0.005 || p.z < -0.005) out.push(obj.id);
    }
    for (const id of out) this.physics.removeObject(id);
    if (out.length > 0) this.objects = this.objects.filter((o) => !out.includes(o.id));
    return out;
  }
}

function clonePose(p: Pose): Pose {
  return { position: { ...p.position }, orientation: { ...p.orientation } };
}
