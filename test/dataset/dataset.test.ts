import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  assignSplits,
  decodeRle,
  encodeRle,
  evaluationImages,
  loadScene,
  openDataset,
  parseSplit,
  rleArea,
  SPLITS,
  writeDataset,
} from '../../src/dataset';
import { PACKAGE_ROOT } from '../../src/msg';
import { BinPickingSim, deriveSeed } from '../../src/sim';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gp-ds-'));
const options = (out: string, seed = 7) => ({
  out,
  scenes: 5,
  seed,
  width: 160,
  height: 120,
  split: [60, 20, 20] as [number, number, number],
  objects: [2, 6] as [number, number],
});

function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('COCO RLE', () => {
  it('round-trips any mask and counts its area', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.boolean(), { minLength: 81, maxLength: 81 }),
        (w, h, bits) => {
          const mask = Uint8Array.from(bits.slice(0, w * h), (b) => (b ? 1 : 0));
          const rle = encodeRle(mask, w, h);
          expect(Array.from(decodeRle(rle))).toEqual(Array.from(mask));
          expect(rleArea(rle)).toBe(mask.reduce((a, b) => a + b, 0));
        },
      ),
      { seed: 13, numRuns: 200 },
    );
  });
  it('is column-major and starts with zeros, as pycocotools', () => {
    // 2x2 mask [[0,1],[1,1]] → column-major 0,1,1,1 → counts [1,3].
    expect(encodeRle([0, 1, 1, 1], 2, 2).counts).toEqual([1, 3]);
    expect(encodeRle([1, 0, 0, 0], 2, 2).counts).toEqual([0, 1, 3]);
  });
});

describe('dataset writer and readers', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tmp();
    await writeDataset(options(dir));
  });

  it('same seed → byte-identical dataset; another seed differs', async () => {
    const again = tmp();
    await writeDataset(options(again));
    expect(hashTree(again)).toEqual(hashTree(dir));
    const other = tmp();
    await writeDataset(options(other, 8));
    const a = hashTree(dir);
    const b = hashTree(other);
    expect(Object.keys(b).filter((k) => k.endsWith('.png') && a[k] === b[k])).toEqual([]);
  });

  it('splits by scene with the requested proportions', () => {
    const ds = openDataset(dir);
    expect(ds.manifest.split).toEqual({ train: 3, val: 1, test: 1 });
    const scenes = SPLITS.flatMap((s) => ds.splits[s].images.map((i) => i.scene));
    expect(new Set(scenes).size).toBe(5);
    expect(assignSplits(100, 3, [60, 20, 20]).filter((s) => s === 'test')).toHaveLength(20);
    expect(() => parseSplit('70/20/20')).toThrow('summing to 100');
    expect(evaluationImages(ds).split).toBe('test');
    expect(evaluationImages(ds).images).toEqual(ds.splits.test.images);
    const all = evaluationImages(ds, 'all');
    expect([all.split, all.images.length]).toEqual(['all', 5]);
    // Without a test split, evaluation refuses instead of scoring the training scenes.
    const noTest = {
      ...ds,
      splits: { ...ds.splits, test: { ...ds.splits.test, images: [], annotations: [] } },
    };
    expect(() => evaluationImages(noTest)).toThrow(
      /: no test split \(4 scenes: 3 train, 1 val\); evaluate on every scene, training scenes included, with --split all$/,
    );
    expect(evaluationImages(noTest, 'all').images).toHaveLength(4);
  });

  it('annotations decode to the simulator’s own ground truth', async () => {
    const ds = openDataset(dir);
    const image = ds.splits.train.images[0];
    const scene = loadScene(ds, image, ds.splits.train.annotations);
    const sim = await BinPickingSim.random(
      { count: image.objects, seed: image.seed },
      { camera: { width: 160, height: 120, fx: 153.75, fy: 153.75 } },
    );
    const frame = sim.frame({ realism: true });
    sim.dispose();
    expect(image.seed).toBe(deriveSeed(7, `scene-${image.id}`) & 0x7fffffff);
    expect(Buffer.compare(Buffer.from(scene.rgb), Buffer.from(frame.rgb))).toBe(0);
    expect(scene.annotations.length).toBeGreaterThan(0);
    for (const { annotation, visible, amodal } of scene.annotations) {
      const o = frame.objects.find((x) => x.id === annotation.object_id)!;
      expect(visible.reduce((s, v) => s + v, 0)).toBe(o.visibleArea);
      expect(amodal.reduce((s, v) => s + v, 0)).toBe(o.amodalArea);
      // Visible pixels are where the instance map says this object is nearest.
      for (let i = 0; i < visible.length; i++) if (visible[i]) expect(frame.instance[i]).toBe(o.id);
      expect(annotation.occlusion).toBeCloseTo(o.occlusion, 5);
    }
    for (let i = 0; i < scene.depth.length; i += 37) {
      if (frame.depth[i] > 0)
        expect(Math.abs(scene.depth[i] - frame.depth[i])).toBeLessThanOrEqual(0.0005 + 1e-6);
    }
  });

  it('the Python reader (training/) reads the same totals as the TypeScript reader', () => {
    const py = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [path.join(PACKAGE_ROOT, 'training', 'grasp_dataset.py'), dir, '--summary'],
        { encoding: 'utf8' },
      ),
    );
    const ds = openDataset(dir);
    for (const split of SPLITS) {
      let visible = 0;
      let amodal = 0;
      for (const image of ds.splits[split].images) {
        const s = loadScene(ds, image, ds.splits[split].annotations);
        for (const a of s.annotations) {
          visible += a.visible.reduce((x, v) => x + v, 0);
          amodal += a.amodal.reduce((x, v) => x + v, 0);
        }
      }
      expect(py[split]).toMatchObject({
        scenes: ds.splits[split].images.length,
        visible_px: visible,
        amodal_px: amodal,
      });
    }
  });

  it('a damaged annotations file is one error naming the file and field', () => {
    const broken = tmp();
    fs.cpSync(dir, broken, { recursive: true });
    const file = path.join(broken, 'val', 'annotations.json');
    const j = JSON.parse(fs.readFileSync(file, 'utf8'));
    j.annotations[0].bbox = 'oops';
    fs.writeFileSync(file, JSON.stringify(j));
    expect(() => openDataset(broken)).toThrow(/val\/annotations\.json: annotations\.0\.bbox: /);
  });
});
