// The heightmap is a camera-independent state: the same settled scene seen at 320x240, 640x480 and
// 1280x720 and from 0.5–1.2 m gives the same heights on the cells both views observe.
import {
  currentHeightmap,
  floorAgreement,
  heightmapAgreement,
  type InvarianceView,
  renderView,
  viewName,
} from '../../src/eval/policy-invariance';
import { type HeightmapGrid, VPG_GRID } from '../../src/policy/heightmap';
import { BinPickingSim, type SimFrame } from '../../src/sim';

/** models/policy_reduced*.json's grid (the policy's state): 62 x 62 cells of 7 mm. */
const POLICY_GRID: HeightmapGrid = {
  x: [-0.217, 0.217],
  y: [-0.217, 0.217],
  z: [0, 0.3],
  resolution: 0.007,
  method: 'footprint',
};

const REFERENCE: InvarianceView = { width: 640, height: 480, eye: 0.7 };
const VIEWS: InvarianceView[] = [
  { width: 320, height: 240, eye: 0.7 },
  { width: 1280, height: 720, eye: 0.7 },
  { width: 640, height: 480, eye: 0.5 },
  { width: 320, height: 240, eye: 0.5 },
  { width: 640, height: 480, eye: 1.2 },
  { width: 320, height: 240, eye: 1.2 },
];

/** Per seed: the reference frame and the other views' frames of one settled 20-object scene. */
let frames: { seed: number; reference: SimFrame; views: SimFrame[] }[] = [];

beforeAll(async () => {
  for (const seed of [7001, 7002]) {
    const sim = await BinPickingSim.random({ count: 20, seed }, { camera: { width: 64, height: 48 } });
    const scene = sim.scene;
    sim.dispose();
    frames.push({
      seed,
      reference: renderView(scene, REFERENCE),
      views: VIEWS.map((v) => renderView(scene, v)),
    });
  }
}, 240000);

afterAll(() => {
  frames = [];
});

describe.each([
  ['VPG grid (2 mm)', { ...VPG_GRID, method: 'footprint' } as HeightmapGrid],
  ['policy grid (7 mm)', POLICY_GRID],
])('%s', (name, grid) => {
  test('every view agrees with 640x480 at 0.7 m within 5 mm on ≥ 95 % of the cells both observe', () => {
    const rows: string[] = [];
    for (const { seed, reference, views } of frames) {
      const ref = currentHeightmap(reference, grid, reference.depthExact);
      // The trivial baseline, an all-floor map, is far from the target on these scenes.
      const baseline = floorAgreement(ref);
      expect(baseline).toBeLessThan(0.8);
      VIEWS.forEach((view, n) => {
        const hm = currentHeightmap(views[n], grid, views[n].depthExact);
        const a = heightmapAgreement(hm, ref);
        rows.push(
          `seed ${seed} ${viewName(view)}: ${(100 * a).toFixed(1)} % (all-floor ${(100 * baseline).toFixed(1)} %)`,
        );
        expect({ view: viewName(view), seed, agreement: a >= 0.95 ? 'ok' : a }).toEqual({
          view: viewName(view),
          seed,
          agreement: 'ok',
        });
      });
    }
    console.log(`${name}\n${rows.join('\n')}`);
  });
});
