// Rapier rigid-body physics for the bin: fixed timestep, bodies created and stepped in a fixed
// order, so a given scene always settles to the same poses (same machine and rapier build).
import RAPIER from '@dimforge/rapier3d-compat';
import { type Pose, type Quat, type Vec3 } from './math';
import { binBoxes, binHalf, type SceneObject, type BinSpec } from './scene';
import { type TriangleMesh } from './mesh-geometry';
import { PrimitiveKind, primitiveRadius, shapeParts } from './shapes';

let ready: Promise<void> | null = null;
let initialised = false;

/** Loads rapier's WebAssembly once; every later call returns the same promise. */
export function initPhysics(): Promise<void> {
  ready ??= RAPIER.init().then(() => {
    initialised = true;
  });
  return ready;
}

export interface PhysicsOptions {
  /** Fixed step, seconds. */
  timestep: number;
  solverIterations: number;
  /** Contact stiffness as a natural frequency, Hz (rapier's default 30 lets dense piles sink ~5 mm). */
  contactNaturalFrequency: number;
  /** A body is at rest below these speeds (m/s, rad/s)… */
  restLinear: number;
  restAngular: number;
  /** …for this long, seconds. */
  restTime: number;
  /** Settling gives up after this long, seconds. */
  maxSettleTime: number;
  /** Continuous collision detection for objects (guards thin walls against fast drops). */
  ccd: boolean;
  /** Velocity damping, 1/s: stands in for rolling resistance and air, so piles come to rest. */
  linearDamping: number;
  angularDamping: number;
}

export const DEFAULT_PHYSICS: Readonly<PhysicsOptions> = Object.freeze({
  timestep: 1 / 120,
  solverIterations: 6,
  contactNaturalFrequency: 60,
  restLinear: 0.01,
  restAngular: 0.1,
  restTime: 0.1,
  maxSettleTime: 3,
  ccd: true,
  linearDamping: 0.1,
  angularDamping: 2,
});

const GRAVITY = { x: 0, y: 0, z: -9.81 };
// Rapier's cylinders and capsules run along local y; ours along z: rotate +90° about x.
const Y_TO_Z: Quat = { x: Math.SQRT1_2, y: 0, z: 0, w: Math.SQRT1_2 };
const RESTITUTION = 0.05;
const decompositions = new WeakMap<TriangleMesh, RAPIER.ColliderDesc>();

/** Radius of a sphere about the object's centre of mass (its body origin) that contains it. */
function reachOf(obj: SceneObject): number {
  if (obj.shape.kind === 'mesh') {
    const p = obj.shape.mesh.positions;
    let r2 = 0;
    for (let i = 0; i < p.length; i += 3)
      r2 = Math.max(r2, p[i] * p[i] + p[i + 1] * p[i + 1] + p[i + 2] * p[i + 2]);
    return Math.sqrt(r2);
  }
  return Math.max(
    ...shapeParts(obj.shape).map(
      (p) => Math.hypot(p.offset.x, p.offset.y, p.offset.z) + primitiveRadius(p.kind, p.params),
    ),
  );
}

export class PhysicsWorld {
  private readonly world: RAPIER.World;
  private readonly bodies = new Map<number, RAPIER.RigidBody>();
  private readonly idByBody = new Map<number, number>();
  /** Per object: radius of a sphere about its centre of mass that contains it. */
  private readonly reach = new Map<number, number>();
  private meshObjects = 0;
  private pusher: RAPIER.RigidBody | null = null;
  private pusherHeight = 0;
  private hopper: RAPIER.Collider[] = [];
  private readonly fixedBody: RAPIER.RigidBody;
  private readonly bin: BinSpec;
  readonly options: PhysicsOptions;
  /** Simulated time, seconds. */
  time = 0;

  constructor(bin: BinSpec, options: Partial<PhysicsOptions> = {}) {
    if (!initialised) throw new Error('physics not initialised: await initPhysics() first');
    this.options = { ...DEFAULT_PHYSICS, ...options };
    this.world = new RAPIER.World(GRAVITY);
    this.world.timestep = this.options.timestep;
    this.world.numSolverIterations = this.options.solverIterations;
    this.world.integrationParameters.contact_natural_frequency = this.options.contactNaturalFrequency;
    this.bin = { ...bin };
    const fixed = this.world.createRigidBody(RAPIER.RigidBodyDesc.fixed());
    this.fixedBody = fixed;
    // Table: a wide slab whose top is the bin's underside.
    const table = RAPIER.ColliderDesc.cuboid(1, 1, 0.05).setTranslation(0, 0, -bin.floorThickness - 0.05);
    this.world.createCollider(table.setFriction(0.6), fixed);
    for (const box of binBoxes(bin)) {
      const desc = RAPIER.ColliderDesc.cuboid(box.half[0], box.half[1], box.half[2])
        .setTranslation(box.center.x, box.center.y, box.center.z)
        .setFriction(0.5)
        .setRestitution(RESTITUTION);
      this.world.createCollider(desc, fixed);
    }
  }

  /**
   * Temporary walls continuing the bin's walls up to `height`, so a freshly dropped pile cannot
   * bounce out; remove them once it has settled (objects then above the real walls may still fall).
   */
  addHopper(height = 1.5): void {
    this.removeHopper();
    const [ix, iy] = binHalf(this.bin);
    const wt = this.bin.wallThickness;
    const h = (height - this.bin.wallHeight) / 2;
    const z = this.bin.wallHeight + h;
    const walls: [number, number, number, number][] = [
      [ix + wt / 2, 0, wt / 2, iy + wt],
      [-ix - wt / 2, 0, wt / 2, iy + wt],
      [0, iy + wt / 2, ix, wt / 2],
      [0, -iy - wt / 2, ix, wt / 2],
    ];
    this.hopper = walls.map(([x, y, hx, hy]) =>
      this.world.createCollider(
        RAPIER.ColliderDesc.cuboid(hx, hy, h).setTranslation(x, y, z).setFriction(0.3),
        this.fixedBody,
      ),
    );
  }

  /**
   * Drops the objects inside a hopper (addHopper) until the pile is at rest, then removes it;
   * returns the steps taken. The final settling (settle) is the caller's. With mesh objects the
   * hopper goes as soon as every object that reaches above the rim is at rest: the hopper walls
   * only continue the bin's walls upwards, so the rest of the pile cannot tell, and settle()
   * then waits for all of it. (Piles of primitives keep the whole-pile wait: the default scenes,
   * on which the shipped models were measured, settle exactly as before.)
   */
  settleInHopper(): number {
    this.addHopper();
    const steps = this.settle(this.options.maxSettleTime, this.meshObjects > 0);
    this.removeHopper();
    return steps;
  }

  removeHopper(): void {
    for (const c of this.hopper) this.world.removeCollider(c, true);
    this.hopper = [];
  }

  /** Outside the bin's walls (fallen or flung out): such objects no longer matter for settling. */
  isOutsideBin(id: number): boolean {
    const body = this.bodies.get(id);
    if (!body) return true;
    const p = body.translation();
    const [hx, hy] = binHalf(this.bin);
    const wt = this.bin.wallThickness;
    return Math.abs(p.x) > hx + wt || Math.abs(p.y) > hy + wt || p.z < -this.bin.floorThickness;
  }

  addObject(obj: SceneObject): void {
    if (this.bodies.has(obj.id)) throw new Error(`object id ${obj.id} already in the world`);
    const { position: p, orientation: q } = obj.pose;
    const body = this.world.createRigidBody(
      RAPIER.RigidBodyDesc.dynamic()
        .setTranslation(p.x, p.y, p.z)
        .setRotation({ x: q.x, y: q.y, z: q.z, w: q.w })
        .setCcdEnabled(this.options.ccd)
        .setLinearDamping(this.options.linearDamping)
        .setAngularDamping(this.options.angularDamping),
    );
    this.reach.set(obj.id, reachOf(obj));
    if (obj.shape.kind === 'mesh') {
      this.meshObjects++;
      this.addMeshColliders(body, obj.shape.mesh, obj);
    } else {
      this.addPrimitiveColliders(body, obj);
    }
    this.bodies.set(obj.id, body);
    this.idByBody.set(body.handle, obj.id);
  }

  private addPrimitiveColliders(body: RAPIER.RigidBody, obj: SceneObject): void {
    const parts = shapeParts(obj.shape);
    const density = obj.mass / parts.reduce((sum, part) => sum + part.volume, 0);
    for (const part of parts) {
      const [a, b, c] = part.params;
      let desc: RAPIER.ColliderDesc;
      switch (part.kind) {
        case PrimitiveKind.Box:
          desc = RAPIER.ColliderDesc.cuboid(a, b, c);
          break;
        case PrimitiveKind.Sphere:
          desc = RAPIER.ColliderDesc.ball(a);
          break;
        case PrimitiveKind.Cylinder:
          desc = RAPIER.ColliderDesc.cylinder(b, a).setRotation(Y_TO_Z);
          break;
        case PrimitiveKind.Capsule:
          desc = RAPIER.ColliderDesc.capsule(b, a).setRotation(Y_TO_Z);
          break;
        default:
          throw new Error(`object ${obj.id}: primitive kind ${part.kind} is not an analytic solid`);
      }
      desc
        .setTranslation(part.offset.x, part.offset.y, part.offset.z)
        .setDensity(density)
        .setFriction(obj.friction)
        .setRestitution(RESTITUTION);
      this.world.createCollider(desc, body);
    }
  }

  /**
   * A mesh collides as the convex hulls of its pieces (exact for the procedural families, whose
   * pieces tile the solid), or as rapier's V-HACD convex decomposition when it has none (imported
   * non-convex meshes). The density makes the hulls' total mass the object's mass.
   */
  private addMeshColliders(body: RAPIER.RigidBody, mesh: TriangleMesh, obj: SceneObject): void {
    const descs: RAPIER.ColliderDesc[] = [];
    if (mesh.pieces) {
      for (const piece of mesh.pieces) {
        const desc = RAPIER.ColliderDesc.convexHull(Float32Array.from(piece));
        if (!desc) throw new Error(`object ${obj.id}: a convex piece of its mesh has no volume`);
        descs.push(desc);
      }
    } else {
      // V-HACD takes long on big CAD meshes: once per mesh (a cell's part is one shared mesh).
      let desc = decompositions.get(mesh);
      if (!desc) {
        desc =
          RAPIER.ColliderDesc.convexDecomposition(Float32Array.from(mesh.positions), mesh.indices) ??
          undefined;
        if (!desc) throw new Error(`object ${obj.id}: convex decomposition of its mesh produced no part`);
        decompositions.set(mesh, desc);
      }
      descs.push(desc);
    }
    const colliders = descs.map((desc) =>
      this.world.createCollider(
        desc.setDensity(1).setFriction(obj.friction).setRestitution(RESTITUTION),
        body,
      ),
    );
    const volume = colliders.reduce((sum, c) => sum + c.mass(), 0);
    for (const c of colliders) c.setDensity(obj.mass / volume);
  }

  removeObject(id: number): void {
    const body = this.bodies.get(id);
    if (!body) return;
    this.idByBody.delete(body.handle);
    this.bodies.delete(id);
    this.reach.delete(id);
    this.world.removeRigidBody(body);
    this.wakeAll();
  }

  /** Rapier does not wake sleeping bodies for a kinematic body moving into them: wake them all. */
  private wakeAll(): void {
    for (const body of this.bodies.values()) body.wakeUp();
  }

  has(id: number): boolean {
    return this.bodies.has(id);
  }

  pose(id: number): Pose {
    const body = this.bodies.get(id);
    if (!body) throw new Error(`no object ${id} in the world`);
    const t = body.translation();
    const r = body.rotation();
    return { position: { x: t.x, y: t.y, z: t.z }, orientation: { x: r.x, y: r.y, z: r.z, w: r.w } };
  }

  step(): void {
    this.world.step();
    this.time += this.options.timestep;
  }

  /** Wholly below the bin's rim: no hopper wall can touch it. */
  private belowRim(id: number, body: RAPIER.RigidBody): boolean {
    return body.translation().z + (this.reach.get(id) ?? Infinity) < this.bin.wallHeight;
  }

  private atRest(ignoreBelowRim = false): boolean {
    const { restLinear, restAngular } = this.options;
    for (const [id, body] of this.bodies) {
      if (body.isSleeping() || this.isOutsideBin(id)) continue;
      if (ignoreBelowRim && this.belowRim(id, body)) continue;
      const v = body.linvel();
      const w = body.angvel();
      if (v.x * v.x + v.y * v.y + v.z * v.z > restLinear * restLinear) return false;
      if (w.x * w.x + w.y * w.y + w.z * w.z > restAngular * restAngular) return false;
    }
    return true;
  }

  /**
   * Steps until every object has been at rest for `restTime`, or `maxSettleTime`; returns steps
   * taken. `ignoreBelowRim`: objects wholly below the bin's rim need not be at rest.
   */
  settle(maxTime = this.options.maxSettleTime, ignoreBelowRim = false): number {
    const dt = this.options.timestep;
    const need = Math.max(1, Math.round(this.options.restTime / dt));
    const maxSteps = Math.ceil(maxTime / dt);
    let calm = 0;
    let steps = 0;
    while (steps < maxSteps && calm < need) {
      this.step();
      steps++;
      calm = this.atRest(ignoreBelowRim) ? calm + 1 : 0;
    }
    return steps;
  }

  /**
   * Ids of objects resting on `id`: in contact with it where the contact normal from `id` to the
   * other object points up by more than `minUp` (cos of the largest slope still counted as resting).
   */
  objectsResting(id: number, minUp = 0.5): number[] {
    const body = this.bodies.get(id);
    if (!body) return [];
    const found = new Set<number>();
    for (let i = 0; i < body.numColliders(); i++) {
      const collider = body.collider(i);
      this.world.contactPairsWith(collider, (other) => {
        const otherBody = other.parent();
        const otherId = otherBody ? this.idByBody.get(otherBody.handle) : undefined;
        if (otherId === undefined || otherId === id) return;
        this.world.contactPair(collider, other, (manifold, flipped) => {
          let touching = false;
          for (let c = 0; c < manifold.numContacts(); c++) {
            if (manifold.contactDist(c) <= 0.002) touching = true;
          }
          if (!touching) return;
          // The manifold normal points from its first collider to its second.
          const nz = manifold.normal().z * (flipped ? -1 : 1);
          if (nz > minUp) found.add(otherId);
        });
      });
    }
    return [...found].sort((a, b) => a - b);
  }

  /** A kinematic vertical finger (capsule) whose lowest point is at `tip`. */
  addPusher(tip: Vec3, radius: number, height: number): void {
    this.removePusher();
    const half = height / 2 - radius;
    this.pusher = this.world.createRigidBody(
      RAPIER.RigidBodyDesc.kinematicPositionBased().setTranslation(tip.x, tip.y, tip.z + height / 2),
    );
    this.world.createCollider(
      RAPIER.ColliderDesc.capsule(half, radius).setRotation(Y_TO_Z).setFriction(0.5),
      this.pusher,
    );
    this.pusherHeight = height;
  }

  /** Moves the pusher's tip to `tip` over the next step, then steps. */
  movePusher(tip: Vec3): void {
    if (!this.pusher) throw new Error('no pusher');
    this.pusher.setNextKinematicTranslation({ x: tip.x, y: tip.y, z: tip.z + this.pusherHeight / 2 });
    this.wakeAll();
    this.step();
  }

  removePusher(): void {
    if (this.pusher) this.world.removeRigidBody(this.pusher);
    this.pusher = null;
  }

  /** Ids in creation order. */
  ids(): number[] {
    return [...this.bodies.keys()];
  }

  free(): void {
    this.world.free();
  }
}
