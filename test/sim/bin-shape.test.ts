// Rectangular bins and hand-hold slots: geometry, rendering, labels, physics, cell and scenario files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BinPickingSim,
  type BinSpec,
  CellError,
  createCamera,
  DEFAULT_BIN,
  emptyScene,
  generateClutter,
  initPhysics,
  loadCell,
  makeObject,
  parseCell,
  parseScenario,
  renderFrame,
  sampleCellScene,
  type Scene,
  ScenarioError,
} from '../../src/sim';
import { PhysicsWorld } from '../../src/sim/physics';
import {
  buildPrimitives,
  HIT_NONE,
  HIT_TABLE,
  RayCaster,
  F_CLASS,
  PRIMITIVE_STRIDE,
} from '../../src/sim/raycast';
import { binBoxes, binHalf, DEFAULT_HANDLES, handleAxis } from '../../src/sim/scene';
import { BACKGROUND_CLASS, BIN_CLASS } from '../../src/sim/shapes';
import { pixelOf } from './helpers';

const cellsDir = join(__dirname, '..', '..', 'cells');
/** 0.6 m along x, 0.3 m along y: the short walls (with the slots) are the ±x walls. */
const TOTE: BinSpec = {
  ...DEFAULT_BIN,
  innerSize: [0.6, 0.3],
  wallHeight: 0.2,
  handles: { width: 0.12, height: 0.04, belowRim: 0.03 },
};
const SLOT_Z = TOTE.wallHeight - 0.03 - 0.02; // slot centre height

function sceneOf(bin: BinSpec, seed = 3): Scene {
  return { ...emptyScene(seed), bin };
}

/** A straight-down camera at height h over (x, y), 1 mm pixels at the floor when f = h / 0.001. */
function downCamera(x: number, y: number, h: number, size = 81) {
  return createCamera({
    width: size,
    height: size,
    fx: 200,
    fy: 200,
    pose: { position: { x, y, z: h }, orientation: { x: 1, y: 0, z: 0, w: 0 } },
  });
}

function cellError(data: unknown, file = 'cells/bad.yaml'): CellError {
  try {
    parseCell(data, file);
  } catch (e) {
    if (e instanceof CellError) return e;
    throw e;
  }
  throw new Error('expected a CellError');
}

describe('rectangular bins', () => {
  it('builds five boxes whose inner faces lie at ±x/2 and ±y/2, the floor under both', () => {
    const bin = { ...TOTE, handles: undefined };
    const boxes = binBoxes(bin);
    expect(boxes).toHaveLength(5);
    const [floor, px, nx, py, ny] = boxes;
    expect(floor.half[0]).toBeCloseTo(0.3 + bin.wallThickness, 12);
    expect(floor.half[1]).toBeCloseTo(0.15 + bin.wallThickness, 12);
    expect(px.center.x - px.half[0]).toBeCloseTo(0.3, 12);
    expect(nx.center.x + nx.half[0]).toBeCloseTo(-0.3, 12);
    expect(py.center.y - py.half[1]).toBeCloseTo(0.15, 12);
    expect(ny.center.y + ny.half[1]).toBeCloseTo(-0.15, 12);
    // Walls reach from the table (under the floor slab) to the rim.
    for (const w of [px, nx, py, ny]) {
      expect(w.center.z - w.half[2]).toBeCloseTo(-bin.floorThickness, 12);
      expect(w.center.z + w.half[2]).toBeCloseTo(bin.wallHeight, 12);
    }
  });

  it('renders floor, wall tops and the table where the geometry puts them (depth at known pixels)', () => {
    const h = 1;
    const cam = downCamera(0, 0, h, 161);
    const frame = renderFrame(sceneOf({ ...TOTE, handles: undefined }), cam, { suction: false });
    const depthAt = (x: number, y: number, z: number): number => frame.depthExact[pixelOf(cam, { x, y, z })];
    const classAt = (x: number, y: number, z: number): number => frame.semantic[pixelOf(cam, { x, y, z })];
    // Inside along x beyond the square's half-width of y: still floor (a square 0.3 bin would show wall/table).
    expect(depthAt(0.25, 0, 0)).toBeCloseTo(h, 4);
    expect(classAt(0.25, 0, 0)).toBe(BIN_CLASS);
    // The long walls' tops at y = ±(0.15 + wt/2), the short walls' at x = ±(0.3 + wt/2).
    const wt = TOTE.wallThickness;
    expect(depthAt(0, 0.15 + wt / 2, 0.2)).toBeCloseTo(h - 0.2, 4);
    expect(depthAt(0.3 + wt / 2, 0.05, 0.2)).toBeCloseTo(h - 0.2, 4);
    // Beyond the long wall (y = 0.3, clear of its top): the table, 1 cm under the floor; not the bin.
    expect(depthAt(0, 0.3, -TOTE.floorThickness)).toBeCloseTo(h + TOTE.floorThickness, 4);
    expect(classAt(0, 0.3, -TOTE.floorThickness)).toBe(BACKGROUND_CLASS);
  });

  it('drops and settles objects inside the rectangle', async () => {
    await initPhysics();
    const bin: BinSpec = { ...DEFAULT_BIN, innerSize: [0.5, 0.22], wallHeight: 0.12 };
    const scene = generateClutter({ count: 12, seed: 5, bin });
    const [hx, hy] = binHalf(bin);
    for (const o of scene.objects) {
      expect(Math.abs(o.pose.position.x)).toBeLessThan(hx);
      expect(Math.abs(o.pose.position.y)).toBeLessThan(hy);
    }
    const sim = await BinPickingSim.create(scene);
    try {
      const settled = sim.scene.objects;
      expect(settled.length).toBeGreaterThanOrEqual(10);
      for (const o of settled) {
        expect(Math.abs(o.pose.position.x)).toBeLessThan(hx);
        expect(Math.abs(o.pose.position.y)).toBeLessThan(hy);
        expect(o.pose.position.z).toBeGreaterThan(0);
      }
    } finally {
      sim.dispose();
    }
  });
});

describe('hand-hold slots', () => {
  it('cut the two short walls into four boxes each, leaving exactly the slot open', () => {
    expect(handleAxis(TOTE)).toBe('x');
    expect(handleAxis({ innerSize: [0.3, 0.6] })).toBe('y');
    expect(handleAxis({ innerSize: [0.4, 0.4] })).toBe('x');
    const boxes = binBoxes(TOTE);
    expect(boxes).toHaveLength(11);
    const { width, height, belowRim } = TOTE.handles!;
    const inside = (x: number, y: number, z: number): boolean =>
      boxes.some(
        (b) =>
          Math.abs(x - b.center.x) < b.half[0] &&
          Math.abs(y - b.center.y) < b.half[1] &&
          Math.abs(z - b.center.z) < b.half[2],
      );
    const xWall = 0.3 + TOTE.wallThickness / 2;
    const slotTop = TOTE.wallHeight - belowRim;
    for (const sx of [xWall, -xWall]) {
      expect(inside(sx, 0, slotTop - height / 2)).toBe(false); // the slot
      expect(inside(sx, width / 2 - 0.002, slotTop - 0.002)).toBe(false);
      expect(inside(sx, width / 2 + 0.002, slotTop - height / 2)).toBe(true); // beside it
      expect(inside(sx, 0, slotTop + 0.002)).toBe(true); // above it
      expect(inside(sx, 0, slotTop - height - 0.002)).toBe(true); // below it
    }
    // The long walls stay solid.
    expect(inside(0, 0.15 + TOTE.wallThickness / 2, slotTop - height / 2)).toBe(true);
  });

  it('a ray through the slot reaches the table beyond; through the wall beside it, the bin', () => {
    const set = buildPrimitives(sceneOf(TOTE));
    const caster = new RayCaster(set);
    // From inside the bin, down and out through the slot's centre to the table 5 cm beyond the wall.
    const through = { x: 0.3 + TOTE.wallThickness / 2, y: 0, z: SLOT_Z };
    const table = { x: 0.4, y: 0, z: -TOTE.floorThickness };
    const d = { x: table.x - through.x, y: table.y - through.y, z: table.z - through.z };
    const origin = { x: through.x - d.x, y: through.y - d.y, z: through.z - d.z };
    const hit = caster.cast(origin.x, origin.y, origin.z, d.x, d.y, d.z, Infinity, null, 0);
    expect(hit).toBe(HIT_TABLE);
    expect(caster.last.t).toBeCloseTo(2, 9);
    // The same ray 8 cm to the side meets the wall beside the slot: a bin box, class container.
    const side = caster.cast(origin.x, origin.y + 0.08, origin.z, d.x, d.y, d.z, Infinity, null, 0);
    expect(side).not.toBe(HIT_TABLE);
    expect(side).not.toBe(HIT_NONE);
    expect(set.data[side * PRIMITIVE_STRIDE + F_CLASS]).toBe(BIN_CLASS);
    // Without the slot the centre ray meets the wall too.
    const solid = new RayCaster(buildPrimitives(sceneOf({ ...TOTE, handles: undefined })));
    expect(solid.cast(origin.x, origin.y, origin.z, d.x, d.y, d.z, Infinity, null, 0)).not.toBe(HIT_TABLE);
  });

  it('labels: a camera facing the short wall sees container around the slot, what lies beyond in it', () => {
    // From the bin's far end, level with the slot, looking along +x at the slotted wall; a box on the
    // table 10 cm behind the wall, just lower than the rim, shows through the slot only.
    const behind = makeObject(1, { kind: 'box', size: [0.05, 0.3, 0.2] }, { x: 0.42, y: 0, z: 0.09 });
    const scene: Scene = { ...sceneOf(TOTE), objects: [behind] };
    const cam = createCamera({
      width: 121,
      height: 121,
      fx: 300,
      fy: 300,
      lookAt: {
        eye: { x: -0.25, y: 0, z: SLOT_Z },
        target: { x: 1, y: 0, z: SLOT_Z },
        up: { x: 0, y: 0, z: 1 },
      },
    });
    const frame = renderFrame(scene, cam, { suction: false });
    const xWall = 0.3;
    const at = (y: number, z: number) => pixelOf(cam, { x: xWall, y, z });
    const { width, height } = TOTE.handles!;
    // In the slot: the object behind the wall (its instance, its class), never the container.
    for (const [y, z] of [
      [0, SLOT_Z],
      [width / 2 - 0.01, SLOT_Z],
      [0, SLOT_Z + height / 2 - 0.008],
    ]) {
      expect(frame.instance[at(y, z)]).toBe(1);
      expect(frame.semantic[at(y, z)]).not.toBe(BIN_CLASS);
    }
    // Around it: the wall.
    for (const [y, z] of [
      [width / 2 + 0.015, SLOT_Z],
      [-width / 2 - 0.015, SLOT_Z],
      [0, SLOT_Z + height / 2 + 0.012],
      [0, SLOT_Z - height / 2 - 0.012],
    ]) {
      expect(frame.semantic[at(y, z)]).toBe(BIN_CLASS);
      expect(frame.instance[at(y, z)]).toBe(0);
    }
    // The object's visible mask is the slot's opening seen from the eye (its outer edge bounds it).
    const visible = frame.instance.reduce((n, v) => n + (v === 1 ? 1 : 0), 0);
    const distance = xWall + TOTE.wallThickness + 0.25;
    const expected = ((width * 300) / distance) * ((height * 300) / distance);
    expect(visible).toBeGreaterThan(0.8 * expected);
    expect(visible).toBeLessThan(1.2 * expected);
  });

  it('physics: a part resting in the slot sits on its sill (a solid wall would push it out)', async () => {
    await initPhysics();
    const { height, belowRim } = TOTE.handles!;
    const sill = TOTE.wallHeight - belowRim - height;
    const x = 0.3 + TOTE.wallThickness / 2;
    const part = makeObject(1, { kind: 'box', size: [0.04, 0.06, 0.02] }, { x, y: 0, z: sill + 0.0101 });
    for (const handles of [TOTE.handles, undefined]) {
      const world = new PhysicsWorld({ ...TOTE, handles });
      world.addObject(part);
      world.settle(1);
      const p = world.pose(1).position;
      world.free();
      if (handles) {
        expect(p.z).toBeCloseTo(sill + 0.01, 2);
        expect(Math.abs(p.x - x)).toBeLessThan(0.005);
      } else {
        expect(Math.abs(p.z - (sill + 0.01)) + Math.abs(p.x - x)).toBeGreaterThan(0.01);
      }
    }
  });
});

describe('cell and scenario files', () => {
  it('inner_size: a number is the square [n, n]; [x, y] a rectangle', () => {
    const a = parseCell({ name: 'a', bin: { inner_size: 0.4 } });
    const b = parseCell({ name: 'a', bin: { inner_size: [0.4, 0.4] } });
    expect(a.bin?.innerSize).toEqual([0.4, 0.4]);
    expect(b).toEqual(a);
    for (const seed of [1, 8]) expect(sampleCellScene(b, seed)).toEqual(sampleCellScene(a, seed));
    const r = parseCell({ name: 'r', bin: { inner_size: [0.6, 0.35] } });
    expect(r.bin?.innerSize).toEqual([0.6, 0.35]);
    const s1 = parseScenario({ name: 's', bin: { inner_size: 0.3 }, random: { count: 3 } });
    const s2 = parseScenario({ name: 's', bin: { inner_size: [0.3, 0.3] }, random: { count: 3 } });
    expect(s2.bin).toEqual(s1.bin);
    // A placed object must lie inside the rectangle, not the square of the long side.
    expect(() =>
      parseScenario(
        {
          name: 's',
          bin: { inner_size: [0.6, 0.3] },
          objects: [{ shape: 'sphere', radius: 0.02, position: [0, 0.2, 0.02] }],
        },
        'scenarios/bad.yaml',
      ),
    ).toThrow('scenarios/bad.yaml: objects[0].position: must lie inside the bin (|x| ≤ 0.3, |y| ≤ 0.15');
  });

  it('handles: true is the default slot; a mapping sets its size', () => {
    expect(parseCell({ name: 'h', bin: { wall_height: 0.2, handles: true } }).bin?.handles).toEqual(
      DEFAULT_HANDLES,
    );
    expect(parseCell({ name: 'h', bin: { handles: false } }).bin?.handles).toBeUndefined();
    expect(parseCell({ name: 'h', bin: { wall_height: 0.2, handles: { width: 0.1 } } }).bin?.handles).toEqual(
      {
        ...DEFAULT_HANDLES,
        width: 0.1,
      },
    );
  });

  describe('bad bin values: one error naming the file and the key', () => {
    it.each([
      ['negative size', { inner_size: -0.4 }, 'bin.inner_size', 'Too small'],
      ['negative side', { inner_size: [0.5, -0.3] }, 'bin.inner_size[1]', 'Too small'],
      ['three sides', { inner_size: [0.5, 0.3, 0.2] }, 'bin.inner_size', ''],
      [
        'slot wider than the short wall',
        { inner_size: [0.6, 0.3], wall_height: 0.2, handles: { width: 0.29 } },
        'bin.handles.width',
        'does not fit the short wall (0.3 m inside',
      ],
      [
        'slot taller than the wall',
        { wall_height: 0.1, handles: { height: 0.08 } },
        'bin.handles.height',
        'does not fit a 0.1 m wall',
      ],
      [
        'default slot in a low wall',
        { wall_height: 0.05, handles: true },
        'bin.handles',
        'does not fit a 0.05 m wall',
      ],
      ['negative slot', { handles: { width: -0.1 } }, 'bin.handles.width', ''],
      ['unknown slot key', { handles: { depth: 0.1 } }, 'bin.handles.depth', 'unknown key'],
    ])('%s', (_name, bin, key, text) => {
      const e = cellError({ name: 'x', bin });
      expect(e.file).toBe('cells/bad.yaml');
      expect(e.key).toBe(key);
      expect(e.message.startsWith(`cells/bad.yaml: ${key}: `)).toBe(true);
      expect(e.message).toContain(text);
      expect(e.message.split('\n')).toHaveLength(1);
    });

    it.each([
      ['aspect under 1', { aspect: [0.5, 1.5] }, 'randomization.bin.aspect[0]', 'Too small'],
      ['reversed aspect', { aspect: [1.6, 1.2] }, 'randomization.bin.aspect', 'impossible range'],
      ['handle share over 1', { handles: 1.5 }, 'randomization.bin.handles', ''],
      [
        'slot fits no drawn bin',
        { wall_height: [0.04, 0.06], handles: 0.5 },
        'randomization.bin.handles',
        'fits no bin',
      ],
    ])('randomization: %s', (_name, bin, key, text) => {
      const e = cellError({ name: 'x', randomization: { bin } });
      expect(e.key).toBe(key);
      expect(e.message).toContain(text);
    });

    it('from a file: the loader names the file', () => {
      const file = join(mkdtempSync(join(tmpdir(), 'gp-bin-')), 'cell.yaml');
      writeFileSync(file, 'name: x\nbin:\n  inner_size: [0.4, 0.3]\n  handles: { width: 0.5 }\n');
      expect(() => loadCell(file)).toThrow(`${file}: bin.handles.width: slot 0.5 m wide does not fit`);
    });

    it('scenario files share the bin keys and their errors', () => {
      const e = (() => {
        try {
          parseScenario(
            { name: 's', bin: { inner_size: [0.4, -1] }, random: { count: 2 } },
            'scenarios/bad.yaml',
          );
        } catch (err) {
          return err as ScenarioError;
        }
        throw new Error('expected a ScenarioError');
      })();
      expect(e).toBeInstanceOf(ScenarioError);
      expect(e.field).toBe('bin.inner_size[1]');
      const s = parseScenario({ name: 's', bin: { wall_height: 0.2, handles: true }, random: { count: 2 } });
      expect(s.bin.handles).toEqual(DEFAULT_HANDLES);
    });
  });
});

describe('shipped cells', () => {
  it('the ARC tote is a 0.35 × 0.6 m rectangle with slots in its short (±y) walls, in view', () => {
    const cell = loadCell(join(cellsDir, 'arc_tote_sr300.yaml'));
    expect(cell.bin?.innerSize).toEqual([0.35, 0.6]);
    expect(cell.bin?.handles).toBeDefined();
    expect(handleAxis(cell.bin!)).toBe('y');
    const s = sampleCellScene(cell, 4);
    expect(s.scene.bin.handles).toEqual(cell.bin?.handles);
    // The far short wall's slot is in the image (as in the ARC frames).
    const cam = createCamera(s.camera);
    const slot = { x: 0, y: 0.3 + cell.bin!.wallThickness / 2, z: cell.bin!.wallHeight - 0.025 - 0.0175 };
    const i = pixelOf(cam, slot);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(i).toBeLessThan(cam.intrinsics.width * cam.intrinsics.height);
  });

  it('domain randomisation draws rectangles in the aspect range and a share of slotted bins', () => {
    const cell = loadCell(join(cellsDir, 'domain_randomized.yaml'));
    const rb = cell.randomization.bin!;
    expect(rb.aspect).toEqual([1, 1.7]);
    let bins = 0;
    let slotted = 0;
    let tallEnough = 0;
    let elongated = 0;
    for (let seed = 0; seed < 100; seed++) {
      const s = sampleCellScene(cell, seed);
      if (s.tabletop) {
        expect(s.scene.bin.handles).toBeUndefined();
        continue;
      }
      bins++;
      const [x, y] = s.scene.bin.innerSize;
      // The long side along x (the cell's bin is square), in the size range; the short one by the aspect.
      expect(x).toBeGreaterThanOrEqual(y);
      expect(x).toBeGreaterThanOrEqual(0.3);
      expect(x).toBeLessThanOrEqual(0.6);
      expect(x / y).toBeGreaterThanOrEqual(1 - 1e-12);
      expect(x / y).toBeLessThanOrEqual(1.7 + 1e-12);
      if (x / y > 1.35) elongated++;
      if (s.scene.bin.wallHeight >= 0.071) tallEnough++;
      if (s.scene.bin.handles) {
        slotted++;
        expect(s.scene.bin.wallHeight).toBeGreaterThanOrEqual(0.07);
      }
    }
    expect(elongated).toBeGreaterThan(bins / 4);
    // 40 % of the bins whose walls can hold the slot (binomial, n ≈ 75: ±3.5 sd ≈ ±0.2).
    expect(slotted / tallEnough).toBeGreaterThan(0.2);
    expect(slotted / tallEnough).toBeLessThan(0.6);
  });

  it('same cell and seed → the same scene and byte-identical frames', async () => {
    const cell = loadCell(join(cellsDir, 'arc_tote_sr300.yaml'));
    const render = async () => {
      const { sim } = await BinPickingSim.fromCell(cell, 7, { size: { width: 160, height: 120 } });
      try {
        const f = sim.frame({ realism: true, suction: false });
        return Buffer.concat([Buffer.from(f.rgb), Buffer.from(f.depth.buffer), Buffer.from(f.semantic)]);
      } finally {
        sim.dispose();
      }
    };
    expect(sampleCellScene(cell, 7)).toEqual(sampleCellScene(cell, 7));
    const a = await render();
    const b = await render();
    expect(a.equals(b)).toBe(true);
  });

  it('the other shipped cells keep square, solid bins', () => {
    for (const f of ['default.yaml', 'black_bin_phoxi.yaml']) {
      const c = loadCell(join(cellsDir, f));
      expect(c.bin?.innerSize[0]).toBe(c.bin?.innerSize[1]);
      expect(c.bin?.handles).toBeUndefined();
      expect(sampleCellScene(c, 2).scene.bin.handles).toBeUndefined();
    }
    expect(Object.keys(sampleCellScene(loadCell(join(cellsDir, 'default.yaml')), 2).scene.bin)).toEqual(
      Object.keys(DEFAULT_BIN),
    );
  });
});
