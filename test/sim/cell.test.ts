import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BinPickingSim,
  type Cell,
  CellError,
  createCamera,
  DEFAULT_CELL,
  generateClutter,
  loadCell,
  parseCell,
  projectPoint,
  sampleCellScene,
} from '../../src/sim';
import { workspaceCorners } from '../../src/sim/cell-scene';
import { DISTRACTOR_CLASS, SUPPORT_CLASS } from '../../src/sim/shapes';

const cellsDir = join(__dirname, '..', '..', 'cells');
/** A closed unit cube (OBJ, counter-clockwise faces seen from outside). */
const CUBE_OBJ = [
  'v -0.5 -0.5 -0.5',
  'v 0.5 -0.5 -0.5',
  'v 0.5 0.5 -0.5',
  'v -0.5 0.5 -0.5',
  'v -0.5 -0.5 0.5',
  'v 0.5 -0.5 0.5',
  'v 0.5 0.5 0.5',
  'v -0.5 0.5 0.5',
  'f 1 3 2',
  'f 1 4 3',
  'f 5 6 7',
  'f 5 7 8',
  'f 1 2 6',
  'f 1 6 5',
  'f 2 3 7',
  'f 2 7 6',
  'f 3 4 8',
  'f 3 8 7',
  'f 4 1 5',
  'f 4 5 8',
  '',
].join('\n');
const shipped = readdirSync(cellsDir)
  .filter((f) => f.endsWith('.yaml') && f !== 'sr300.yaml')
  .sort();

function errorOf(data: unknown, file = 'cells/bad.yaml'): CellError {
  try {
    parseCell(data, file);
  } catch (e) {
    if (e instanceof CellError) return e;
    throw e;
  }
  throw new Error('expected a CellError');
}

describe('cell files', () => {
  it('ships the four cells of issue 14, and each loads', () => {
    expect(shipped).toEqual(
      expect.arrayContaining([
        'default.yaml',
        'arc_tote_sr300.yaml',
        'tabletop_d435.yaml',
        'black_bin_phoxi.yaml',
      ]),
    );
    for (const f of shipped) expect(loadCell(join(cellsDir, f)).name).toBe(f.replace('.yaml', ''));
  });

  it('reads the ARC tote cell: SR300 calibration file, red bin, structured light', () => {
    const c = loadCell(join(cellsDir, 'arc_tote_sr300.yaml'));
    expect(c.intrinsics).toEqual({ width: 640, height: 480, fx: 617, fy: 617, cx: 318, cy: 243 });
    expect(c.bin?.innerSize).toEqual([0.35, 0.6]);
    expect(c.bin?.wallHeight).toBe(0.2);
    expect(c.randomization.bin?.colors).toEqual(['red']);
    expect(c.sensors).toEqual(['structured_light']);
    expect(c.cameraPose?.position.z).toBeCloseTo(0.64, 9);
    // Looking at its look_at point on the floor: it projects near the principal point.
    const cam = createCamera({ ...(c.intrinsics as object), pose: c.cameraPose as never });
    const p = projectPoint(cam, { x: 0, y: 0.11, z: 0 });
    expect(Math.abs(p.u - 318)).toBeLessThan(0.5);
    expect(Math.abs(p.v - 243)).toBeLessThan(0.5);
    expect(p.depth).toBeCloseTo(Math.hypot(0.43, 0.64), 6);
  });

  it('the default cell file and DEFAULT_CELL give exactly the simulator’s scene without a cell', () => {
    const file = loadCell(join(cellsDir, 'default.yaml'));
    for (const seed of [1, 2, 77, 123456]) {
      const a = sampleCellScene(file, seed);
      const b = sampleCellScene(DEFAULT_CELL as Cell, seed);
      const today = generateClutter({ count: a.scene.objects.length, seed });
      expect(a.scene).toEqual(today);
      expect(b.scene).toEqual(today);
      expect(a.camera).toEqual({ width: 640, height: 480, fx: 615, fy: 615 });
      expect(a.misregistration).toEqual([0, 0]);
      expect(a.sensor).toBeNull();
    }
  });

  it('table-top cells have no bin walls and drop objects over the workspace', () => {
    const c = loadCell(join(cellsDir, 'tabletop_d435.yaml'));
    expect(c.bin).toBeNull();
    const s = sampleCellScene(c, 5);
    expect(s.tabletop).toBe(true);
    expect(s.scene.bin.wallHeight).toBe(0);
    expect(s.scene.binAppearance).toEqual(s.scene.tableAppearance);
  });

  describe('bad input: one error naming the file and the key', () => {
    const ok = { name: 'x' };
    it.each([
      ['unknown key at the top', { ...ok, colour: 'red' }, 'colour', 'unknown key'],
      [
        'unknown nested key',
        { ...ok, bin: { inner_size: 0.4, handels: true } },
        'bin.handels',
        'unknown key',
      ],
      ['missing name', {}, 'name', ''],
      [
        'impossible range',
        { ...ok, randomization: { camera: { height: [1.2, 0.5] } } },
        'randomization.camera.height',
        'impossible range',
      ],
      [
        'reversed misregistration',
        { ...ok, randomization: { misregistration_px: [8, 2] } },
        'randomization.misregistration_px',
        'impossible range',
      ],
      [
        'camera below the walls',
        { ...ok, bin: { wall_height: 0.3 }, randomization: { camera: { height: [0.35, 1] } } },
        'randomization.camera.height',
        '',
      ],
      [
        'unknown bin colour',
        { ...ok, randomization: { bin: { colors: ['pink'] } } },
        'randomization.bin.colors[0]',
        '',
      ],
      [
        'unknown family',
        { ...ok, objects: { set: [{ family: 'teapot' }] } },
        'objects.set[0].family',
        'teapot',
      ],
      ['unknown sensor', { ...ok, sensor: 'lidar' }, 'sensor', ''],
      [
        'family and mesh',
        { ...ok, objects: { set: [{ family: 'box', mesh: 'a.stl' }] } },
        'objects.set[0]',
        'either',
      ],
      [
        'missing mesh',
        { ...ok, objects: { set: [{ mesh: 'parts/missing.stl' }] } },
        'objects.set[0].mesh',
        'not found',
      ],
      [
        'count and per-entry counts',
        { ...ok, objects: { count: 3, set: [{ family: 'box', count: 2 }] } },
        'objects.count',
        'not both',
      ],
      [
        'too many objects',
        {
          ...ok,
          objects: {
            set: [
              { family: 'box', count: 30 },
              { family: 'sphere', count: [1, 20] },
            ],
          },
        },
        'objects.set',
        'at most 40',
      ],
      [
        'fixed pose and camera randomisation',
        { ...ok, camera: { pose: { position: [0, 0, 1] } }, randomization: { camera: {} } },
        'randomization.camera',
        'camera.pose',
      ],
      [
        'bin randomisation without a bin',
        { ...ok, bin: null, randomization: { bin: { colors: ['red'] } } },
        'randomization.bin',
        'no bin',
      ],
      [
        'camera under the floor',
        { ...ok, camera: { pose: { position: [0, 0, 0.05] } } },
        'camera.pose.position',
        '',
      ],
      [
        'missing calibration file',
        { ...ok, camera: { calibration: 'nope.yaml' } },
        'camera.calibration',
        'cannot read',
      ],
    ])('%s', (_what, data, key, text) => {
      const e = errorOf(data);
      expect(e.file).toBe('cells/bad.yaml');
      expect(e.key).toBe(key);
      expect(e.message.startsWith(`cells/bad.yaml: ${key}: `)).toBe(true);
      expect(e.message).toContain(text);
    });

    it('a broken calibration file is named with the cell key', () => {
      const dir = mkdtempSync(join(tmpdir(), 'cell-'));
      writeFileSync(join(dir, 'cam.yaml'), 'image_width: 640\n');
      writeFileSync(join(dir, 'cell.yaml'), 'name: x\ncamera:\n  calibration: cam.yaml\n');
      expect(() => loadCell(join(dir, 'cell.yaml'))).toThrow(
        new RegExp(`^${join(dir, 'cell.yaml')}: camera.calibration: .*cam.yaml: image_height`),
      );
    });

    it('broken meshes are the cell’s error, with the mesh loader’s reason and the key', () => {
      const dir = mkdtempSync(join(tmpdir(), 'cell-'));
      writeFileSync(join(dir, 'empty.stl'), '');
      writeFileSync(join(dir, 'open.obj'), 'v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n');
      writeFileSync(join(dir, 'cube.obj'), CUBE_OBJ);
      const cell = (mesh: string) =>
        `name: x\nobjects:\n  set:\n    - family: box\n    - mesh: ${mesh}\n      scale: 0.05\n`;
      writeFileSync(join(dir, 'a.yaml'), cell('empty.stl'));
      expect(() => loadCell(join(dir, 'a.yaml'))).toThrow(
        `${join(dir, 'a.yaml')}: objects.set[1].mesh: mesh file '${join(dir, 'empty.stl')}': empty`,
      );
      writeFileSync(join(dir, 'b.yaml'), cell('open.obj'));
      expect(() => loadCell(join(dir, 'b.yaml'))).toThrow(
        new RegExp(`b\\.yaml: objects\\.set\\[1\\]\\.mesh: mesh file .*open\\.obj`),
      );
      // A good mesh loads once and is drawn as it is (5 cm cube), with its class `custom`.
      writeFileSync(
        join(dir, 'c.yaml'),
        `${cell('cube.obj')}      mass: 0.2\n      color: '#ff0000'\n      pattern: checker\n`,
      );
      const c = loadCell(join(dir, 'c.yaml'));
      const s = sampleCellScene(c, 2);
      const meshes = s.scene.objects.filter((o) => o.shape.kind === 'mesh');
      expect(meshes.length).toBeGreaterThan(0);
      for (const o of meshes) {
        expect(o.mass).toBe(0.2);
        expect(o.appearance.color).toEqual([1, 0, 0]);
        expect(o.appearance.pattern).toBe('checker');
      }
      // Family objects of the same cell keep their drawn looks.
      expect(s.scene.objects.some((o) => o.shape.kind === 'box' && o.appearance.color[1] > 0)).toBe(true);
    });

    it('unreadable and unparsable files', () => {
      const dir = mkdtempSync(join(tmpdir(), 'cell-'));
      expect(() => loadCell(join(dir, 'none.yaml'))).toThrow(
        `${join(dir, 'none.yaml')}: cannot read cell file: ENOENT`,
      );
      writeFileSync(join(dir, 'bad.yaml'), 'name: [unclosed\n');
      expect(() => loadCell(join(dir, 'bad.yaml'))).toThrow(/bad\.yaml: line \d+: not valid YAML/);
      writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
      expect(() => loadCell(join(dir, 'list.yaml'))).toThrow(/list\.yaml: expected a mapping/);
    });
  });
});

describe('camera randomisation', () => {
  const cell = loadCell(join(cellsDir, 'domain_randomized.yaml'));

  it('keeps every workspace corner in view for 200 sampled scenes, over the issue’s ranges', () => {
    const heights: number[] = [];
    const tilts: number[] = [];
    const fxs: number[] = [];
    const resolutions = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const s = sampleCellScene(cell, seed);
      const cam = createCamera(s.camera);
      if (!s.tabletop) expect(s.workspace).toEqual(workspaceCorners(s.scene.bin, null));
      // Every object's drop position lies over the workspace.
      const halfX = Math.max(...s.workspace.map((c) => c.x));
      const halfY = Math.max(...s.workspace.map((c) => c.y));
      for (const o of s.scene.objects) {
        const inside =
          Math.abs(o.pose.position.x) <= halfX + 1e-9 && Math.abs(o.pose.position.y) <= halfY + 1e-9;
        // Objects to pick are dropped over the workspace, distractors stand outside it.
        expect(inside).toBe(!o.distractor);
      }
      for (const c of s.workspace) {
        const p = projectPoint(cam, c);
        expect(p.depth).toBeGreaterThan(0.05);
        expect(p.u).toBeGreaterThanOrEqual(0);
        expect(p.u).toBeLessThanOrEqual(cam.intrinsics.width - 1);
        expect(p.v).toBeGreaterThanOrEqual(0);
        expect(p.v).toBeLessThanOrEqual(cam.intrinsics.height - 1);
      }
      const z = cam.pose.position.z;
      heights.push(z);
      // Optical axis (third column of world-from-camera) against straight down.
      const r = cam.worldFromCamera.rotation;
      tilts.push((Math.acos(-r[8]) * 180) / Math.PI);
      fxs.push(cam.intrinsics.fx);
      resolutions.add(`${cam.intrinsics.width}x${cam.intrinsics.height}`);
      expect(cam.intrinsics.fx).toBe(cam.intrinsics.fy);
    }
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(0.4);
    expect(Math.max(...heights)).toBeLessThanOrEqual(1.5);
    expect(Math.max(...heights) - Math.min(...heights)).toBeGreaterThan(0.7);
    // Tilt: aimed within 10 % of the span from the centre, so the axis tilt is the drawn one ± a little.
    expect(Math.max(...tilts)).toBeLessThanOrEqual(36);
    expect(Math.max(...tilts)).toBeGreaterThan(25);
    expect(Math.min(...fxs)).toBeGreaterThanOrEqual(450);
    expect(Math.max(...fxs)).toBeLessThanOrEqual(1400);
    expect(Math.max(...fxs)).toBeGreaterThan(900);
    expect([...resolutions].sort()).toEqual(['1280x720', '516x386', '640x480', '848x480']);
  });

  it('draws bins of the listed colours and sizes, table tops, and misregistration up to 10 px', () => {
    let tabletops = 0;
    let maxShift = 0;
    let distractors = 0;
    let dark = 0;
    let red = 0;
    const binPatterns = new Set<string>();
    const tablePatterns = new Set<string>();
    const sizes: number[] = [];
    for (let seed = 0; seed < 200; seed++) {
      const s = sampleCellScene(cell, seed);
      if (s.tabletop) tabletops++;
      else {
        sizes.push(Math.max(...s.scene.bin.innerSize));
        binPatterns.add(s.scene.binAppearance.pattern);
        // Black bins (the darkest of the six colours) absorb the projector's light.
        const [r, g, b] = s.scene.binAppearance.color;
        if (Math.max(r, g, b) < 0.05) expect(s.scene.binAppearance.material).toBe('dark');
        else expect(s.scene.binAppearance.material).toBeUndefined();
        if (Math.max(r, g, b) < 0.05) dark++;
        if (r > 0.3 && g < 0.1) red++;
      }
      tablePatterns.add(s.scene.tableAppearance.pattern);
      distractors += s.scene.objects.filter((o) => o.distractor).length;
      maxShift = Math.max(maxShift, Math.hypot(...s.misregistration));
    }
    expect(tabletops).toBeGreaterThan(15);
    expect(tabletops).toBeLessThan(50);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(0.3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(0.6);
    expect(maxShift).toBeGreaterThan(7);
    expect(distractors).toBeGreaterThan(100);
    // Six colours, about 1 in 6 bins each; every listed texture, for bins and tables.
    expect(dark).toBeGreaterThan(12);
    expect(red).toBeGreaterThan(12);
    expect(binPatterns.size).toBe(5);
    expect(tablePatterns.size).toBe(5);
    expect(maxShift).toBeLessThanOrEqual(10.8);
  });

  it('sensor_variation: each scene gets another unit of its drawn sensor model', () => {
    const a = sampleCellScene(cell, 31);
    const b = sampleCellScene(cell, 32);
    for (const s of [a, b]) {
      expect(typeof s.frame.sensor).toBe('object');
      expect((s.frame.sensor as { name: string }).name).toBe(s.sensor);
    }
    const fixed = sampleCellScene(loadCell(join(cellsDir, 'arc_tote_sr300.yaml')), 31);
    expect(fixed.frame.sensor).toBe('structured_light');
  });

  it('same cell and seed → the same sample; another seed → another', () => {
    expect(sampleCellScene(cell, 9)).toEqual(sampleCellScene(cell, 9));
    expect(sampleCellScene(cell, 9).camera).not.toEqual(sampleCellScene(cell, 10).camera);
  });
});

describe('colour-to-depth misregistration', () => {
  it('shifts the colour image by whole pixels; depth and labels stay put', async () => {
    const scene = generateClutter({ count: 4, seed: 21 });
    const camera = { width: 64, height: 48, fx: 61.5, fy: 61.5 };
    const plain = await BinPickingSim.create(scene, { camera, settle: false });
    const shifted = await BinPickingSim.create(scene, { camera, settle: false, misregistration: [3, -2] });
    try {
      const a = plain.frame();
      const b = shifted.frame();
      expect(b.depth).toEqual(a.depth);
      expect(b.instance).toEqual(a.instance);
      let different = 0;
      for (let v = 0; v < 48; v++) {
        for (let u = 0; u < 64; u++) {
          const su = Math.min(63, Math.max(0, u - 3));
          const sv = Math.min(47, Math.max(0, v + 2));
          for (let c = 0; c < 3; c++) expect(b.rgb[(v * 64 + u) * 3 + c]).toBe(a.rgb[(sv * 64 + su) * 3 + c]);
          if (b.rgb[(v * 64 + u) * 3] !== a.rgb[(v * 64 + u) * 3]) different++;
        }
      }
      expect(different).toBeGreaterThan(50);
    } finally {
      plain.dispose();
      shifted.dispose();
    }
  });
});

describe('distractors and table tops in the rendered labels', () => {
  it('distractors are seen but are no instance, class distractor, suction 0; table tops are support', async () => {
    const cell = parseCell(
      { name: 'd', bin: null, objects: { count: 3 }, randomization: { distractors: [3, 3] } },
      'cells/d.yaml',
    );
    const { sim, sample } = await BinPickingSim.fromCell(cell, 8, { size: { width: 160, height: 120 } });
    try {
      expect(sample.scene.objects.filter((o) => o.distractor)).toHaveLength(3);
      const f = sim.frame({ suction: true });
      const ids = new Set(f.objects.map((o) => o.id));
      for (const o of sample.scene.objects) expect(ids.has(o.id)).toBe(!o.distractor);
      let distractorPixels = 0;
      let supportPixels = 0;
      for (let i = 0; i < f.semantic.length; i++) {
        if (f.semantic[i] === DISTRACTOR_CLASS) {
          distractorPixels++;
          expect(f.instance[i]).toBe(0);
          expect(f.suction?.[i]).toBe(0);
        }
        if (f.semantic[i] === SUPPORT_CLASS) supportPixels++;
      }
      expect(distractorPixels).toBeGreaterThan(20);
      expect(supportPixels / f.semantic.length).toBeGreaterThan(0.3);
      // Nothing to pick there: a grasp on a distractor finds no object, and they are not counted.
      expect(sim.objectsRemaining).toBe(sample.scene.objects.filter((o) => !o.distractor).length);
    } finally {
      sim.dispose();
    }
  });
});

describe('each shipped cell renders', () => {
  it.each(shipped)('%s', async (f) => {
    const cell = loadCell(join(cellsDir, f));
    const { sim, sample } = await BinPickingSim.fromCell(cell, 3, { size: { width: 320, height: 240 } });
    try {
      const frame = sim.frame({ suction: false });
      // Fixed intrinsics are kept; randomised cameras are scaled to the requested width.
      if (cell.intrinsics)
        expect([frame.width, frame.height]).toEqual([cell.intrinsics.width, cell.intrinsics.height]);
      else expect(frame.width).toBe(320);
      // Objects are in view and labelled; the camera looks at the workspace.
      expect(frame.objects.length).toBeGreaterThan(0);
      const visible = frame.objects.filter((o) => o.visibleArea > 20).length;
      expect(visible).toBeGreaterThanOrEqual(Math.min(2, sample.count));
      let valid = 0;
      for (const d of frame.depthExact) if (d > 0) valid++;
      expect(valid / frame.depthExact.length).toBeGreaterThan(0.99);
    } finally {
      sim.dispose();
    }
  });
});
