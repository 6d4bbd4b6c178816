import { BinPickingSim, createCamera, type Scene, sceneChangeThreshold } from '../../src/sim';
import { box, object, sceneWith } from './helpers';

const camera = createCamera({ width: 160, height: 120 });
const sims: BinPickingSim[] = [];
async function simOf(scene: Scene): Promise<BinPickingSim> {
  const sim = await BinPickingSim.create(scene, { camera });
  sims.push(sim);
  return sim;
}
afterAll(() => sims.forEach((s) => s.dispose()));

describe('suction grasp', () => {
  it("succeeds at the centre of an isolated box's top face and removes the box", async () => {
    const sim = await simOf(sceneWith(box(1, [0.06, 0.05, 0.04], 0.03, -0.02)));
    const top = sim.scene.objects[0].pose.position;
    const report = sim.suctionGrasp({ x: top.x, y: top.y, z: top.z + 0.02 });
    expect(report).toMatchObject({ success: true, outcome: 'grasped', objectId: 1, removedIds: [1] });
    expect(report.contact!.z).toBeCloseTo(0.04, 2);
    expect(report.sceneChanged).toBe(true);
    expect(sim.objectsRemaining).toBe(0);
  });

  it("fails at a sphere's rim, straight down or along the surface normal", async () => {
    const r = 0.03;
    const sim = await simOf(sceneWith(object(1, { kind: 'sphere', radius: r }, { x: 0, y: 0, z: r })));
    const c = sim.scene.objects[0].pose.position;
    const angle = (80 * Math.PI) / 180;
    const rim = { x: c.x + r * Math.sin(angle), y: c.y, z: c.z + r * Math.cos(angle) };
    const down = sim.suctionGrasp(rim);
    expect(down.success).toBe(false);
    expect(down.outcome).toBe('off-surface');
    const alongNormal = sim.suctionGrasp(rim, { x: -Math.sin(angle), y: 0, z: -Math.cos(angle) });
    expect(alongNormal).toMatchObject({ success: false, outcome: 'unreachable' });
    expect(sim.objectsRemaining).toBe(1);
    // The top of the same sphere is fine.
    expect(sim.suctionGrasp({ x: c.x, y: c.y, z: c.z + r }).success).toBe(true);
  });

  it('fails on an object pinned under another, and on the bare bin floor', async () => {
    const sim = await simOf(
      sceneWith(box(1, [0.12, 0.06, 0.03], 0, 0), box(2, [0.05, 0.05, 0.03], -0.03, 0, 0.03)),
    );
    const report = sim.suctionGrasp({ x: 0.035, y: 0, z: 0.03 });
    expect(report).toMatchObject({ success: false, outcome: 'pinned', objectId: 1, pinnedBy: [2] });
    expect(sim.suctionGrasp({ x: 0.15, y: 0.15, z: 0 })).toMatchObject({
      success: false,
      outcome: 'no-object',
    });
    // The one on top comes off, then the lower one is free.
    const top = sim.scene.objects.find((o) => o.id === 2)!.pose.position;
    expect(sim.suctionGrasp({ x: top.x, y: top.y, z: 0.06 }).success).toBe(true);
    expect(sim.suctionGrasp({ x: 0.035, y: 0, z: 0.03 })).toMatchObject({ success: true, objectId: 1 });
  });
});

describe('push', () => {
  it('moves a group of objects and reports a scene change', async () => {
    const sim = await simOf(
      sceneWith(
        box(1, [0.04, 0.04, 0.04], -0.08, 0),
        box(2, [0.04, 0.04, 0.04], -0.04, 0),
        box(3, [0.04, 0.04, 0.04], 0, 0),
      ),
    );
    const before = sim.scene.objects.map((o) => o.pose.position.x);
    const report = sim.push({ x: -0.15, y: 0, z: 0.005 }, { x: 1, y: 0, z: 0 });
    expect(report.success).toBe(true);
    expect(report.movedIds).toEqual([1, 2, 3]);
    expect(report.sceneChanged).toBe(true);
    expect(report.changedPixels).toBeGreaterThan(report.changeThreshold);
    expect(report.changeThreshold).toBeCloseTo(sceneChangeThreshold(160, 120), 9);
    const after = sim.scene.objects.map((o) => o.pose.position.x);
    after.forEach((x, i) => expect(x - before[i]).toBeGreaterThan(0.02));
  });

  it('through empty space moves nothing and changes nothing', async () => {
    const sim = await simOf(sceneWith(box(1, [0.04, 0.04, 0.04], 0.1, 0.1)));
    const report = sim.push({ x: -0.15, y: -0.1, z: 0 }, { x: 0, y: 1, z: 0 }, 0.08);
    expect(report).toMatchObject({ success: false, movedIds: [], sceneChanged: false, changedPixels: 0 });
    expect(() => sim.push({ x: 0, y: 0, z: 0 }, { x: 0, y: 0, z: -1 })).toThrow(RangeError);
  });
});
