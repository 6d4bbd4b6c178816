// The object families in the whole simulator: a dropped pile settles in the bin, its frame's labels
// cover every object, a suction grasp at the best heatmap pixel lifts a mesh object, and the same
// seed gives the same bytes.
import {
  BinPickingSim,
  deprojectPixel,
  OBJECT_FAMILIES,
  type ObjectFamily,
  randomFamilyShape,
} from '../../src/sim';
import { generateClutter } from '../../src/sim/scene';

const MESH_FAMILIES = OBJECT_FAMILIES.slice(5) as ObjectFamily[];

async function pile(seed: number): Promise<BinPickingSim> {
  const scene = generateClutter({
    count: 6,
    seed,
    drawShape: (rng) => randomFamilyShape(rng, rng.pick(MESH_FAMILIES)),
  });
  return BinPickingSim.create(scene, { camera: { width: 160, height: 120 } });
}

describe('object families in the simulator', () => {
  it('a pile of mesh objects settles in the bin; every object in view has a label; a grasp lifts one', async () => {
    const sim = await pile(3);
    const frame = sim.frame();
    expect(sim.scene.objects.length).toBeGreaterThanOrEqual(4); // one or two may spill over the walls
    for (const o of sim.scene.objects) {
      expect(o.shape.kind).toBe('mesh');
      expect(o.pose.position.z).toBeGreaterThan(-0.002);
      expect(o.pose.position.z).toBeLessThan(0.15);
    }
    const inView = frame.objects.filter((l) => l.visibleArea > 0);
    expect(inView.length).toBeGreaterThanOrEqual(4);
    for (const label of inView) {
      const family = (sim.scene.objects.find((o) => o.id === label.id)!.shape as { family: string }).family;
      expect(label.className).toBe(family);
    }
    // The centre of the best 5×5 patch of seal scores (one object): grasping there lifts that object.
    const heat = frame.suction!;
    let best = -1;
    let bestSum = 0;
    for (let v = 2; v < 118; v++) {
      for (let u = 2; u < 158; u++) {
        const id = frame.instance[v * 160 + u];
        if (id === 0) continue;
        let sum = 0;
        for (let dv = -2; dv <= 2; dv++) {
          for (let du = -2; du <= 2; du++) {
            const i = (v + dv) * 160 + u + du;
            sum += frame.instance[i] === id ? heat[i] : 0;
          }
        }
        if (sum > bestSum) {
          bestSum = sum;
          best = v * 160 + u;
        }
      }
    }
    expect(bestSum / 25).toBeGreaterThan(0.8);
    const target = frame.instance[best];
    expect(target).toBeGreaterThan(0);
    const at = (i: number) => deprojectPixel(sim.camera, i % 160, Math.floor(i / 160), frame.depthExact[i]);
    const point = at(best);
    // The approach the heatmap scored: into the surface, along the normal (from neighbouring pixels).
    const [l, r, up, down] = [at(best - 1), at(best + 1), at(best - 160), at(best + 160)];
    const e1 = [r.x - l.x, r.y - l.y, r.z - l.z];
    const e2 = [down.x - up.x, down.y - up.y, down.z - up.z];
    let n = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    if (n[2] > 0) n = n.map((c) => -c); // pointing into the surface (down)
    const report = sim.suctionGrasp(point, { x: n[0], y: n[1], z: n[2] });
    expect(report.objectId).toBe(target);
    expect(report.outcome).toBe('grasped');
    expect(report.removedIds[0]).toBe(target);
    expect(sim.scene.objects.find((o) => o.id === target)).toBeUndefined();
    sim.dispose();
  });

  it('same seed → same settled poses and the same frame bytes', async () => {
    const a = await pile(8);
    const b = await pile(8);
    expect(b.scene.objects.map((o) => o.pose)).toEqual(a.scene.objects.map((o) => o.pose));
    const fa = a.frame();
    const fb = b.frame();
    expect(Buffer.from(fb.rgb).equals(Buffer.from(fa.rgb))).toBe(true);
    expect(Buffer.from(fb.depth.buffer).equals(Buffer.from(fa.depth.buffer))).toBe(true);
    expect(Buffer.from(fb.suction!.buffer).equals(Buffer.from(fa.suction!.buffer))).toBe(true);
    a.dispose();
    b.dispose();
  });
});
