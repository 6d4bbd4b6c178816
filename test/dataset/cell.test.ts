import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDataset, writeDataset } from '../../src/dataset';
import { PACKAGE_ROOT } from '../../src/msg';
import { CellError } from '../../src/sim';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gp-cell-ds-'));
const cells = path.join(PACKAGE_ROOT, 'cells');
const bin = path.join(PACKAGE_ROOT, 'bin', 'grasp-perception.js');

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

const base = (out: string) => ({
  out,
  scenes: 4,
  seed: 3,
  width: 96,
  height: 72,
  split: [50, 25, 25] as [number, number, number],
});

describe('dataset with a cell', () => {
  it('cells/default.yaml writes byte-for-byte the dataset of no cell (apart from naming the cell)', async () => {
    const a = tmp();
    const b = tmp();
    await writeDataset({ ...base(a), objects: [3, 15] });
    const m = await writeDataset({ ...base(b), cell: path.join(cells, 'default.yaml') });
    expect(m.cell?.name).toBe('default');
    const ha = hashTree(a);
    const hb = hashTree(b);
    expect(Object.keys(hb).sort()).toEqual(Object.keys(ha).sort());
    for (const f of Object.keys(ha)) if (f !== 'dataset.json') expect([f, hb[f]]).toEqual([f, ha[f]]);
    const ma = JSON.parse(fs.readFileSync(path.join(a, 'dataset.json'), 'utf8'));
    const mb = JSON.parse(fs.readFileSync(path.join(b, 'dataset.json'), 'utf8'));
    delete mb.cell;
    expect(mb).toEqual(ma);
    // The figure counts every written file: 4 PNGs per scene, 3 annotation files, the manifest.
    expect(m.files).toBe(4 * 4 + 3 + 1);
  });

  it('a randomised cell writes readable scenes at the requested width, with its intrinsics per image', async () => {
    const out = tmp();
    await writeDataset({ ...base(out), cell: path.join(cells, 'domain_randomized.yaml') });
    const ds = openDataset(out);
    const images = Object.values(ds.splits).flatMap((s) => s.images);
    expect(images).toHaveLength(4);
    for (const im of images) {
      expect(im.width).toBe(96);
      // 4:3 (640×480, 516×386) or 16:9 (848×480, 1280×720) cameras scaled to 96 px wide.
      expect([54, 72]).toContain(im.height);
      expect(im.intrinsics.fx).toBeGreaterThan((450 * 96) / 1280 - 1e-9);
      expect(im.intrinsics.fx).toBeLessThan((1400 * 96) / 516 + 1e-9);
    }
    expect(new Set(images.map((im) => im.intrinsics.fx)).size).toBe(4);
    // What the cell drew is on each image record: its sensor model, and any colour shift (≤ 10 px).
    for (const im of images) {
      expect(['ideal', 'active_stereo', 'structured_light', 'industrial_structured_light']).toContain(
        im.sensor,
      );
      if (im.misregistration_px) expect(Math.hypot(...im.misregistration_px)).toBeLessThanOrEqual(10.8);
    }
  });

  it.each([
    ['unknown key', 'name: x\ncolour: red\n', 'colour: unknown key'],
    [
      'impossible range',
      'name: x\nrandomization:\n  camera:\n    fx: [900, 500]\n',
      'randomization.camera.fx: impossible range',
    ],
    [
      'missing mesh',
      'name: x\nobjects:\n  set:\n    - mesh: nope.stl\n',
      'objects.set[0].mesh: mesh file not found',
    ],
  ])(
    'a bad cell (%s) is one error naming the file and the key, and nothing is written',
    async (_w, text, key) => {
      const dir = tmp();
      const file = path.join(dir, 'cell.yaml');
      fs.writeFileSync(file, text);
      const out = path.join(dir, 'out');
      await expect(writeDataset({ ...base(out), cell: file })).rejects.toThrow(CellError);
      await expect(writeDataset({ ...base(out), cell: file })).rejects.toThrow(`${file}: ${key}`);
      expect(fs.existsSync(out)).toBe(false);
    },
  );

  describe('the CLI (dist/, built by setup and npm test)', () => {
    beforeAll(() => {
      if (!fs.existsSync(path.join(PACKAGE_ROOT, 'dist', 'dataset', 'worker.js'))) {
        throw new Error('dist/ is missing: run `npm run build` (scripts/setup.sh does)');
      }
    });
    const run = (out: string, workers: number) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            bin,
            'dataset',
            '--out',
            out,
            '--scenes',
            '5',
            '--seed',
            '11',
            '--width',
            '96',
            '--height',
            '72',
            '--cell',
            path.join(cells, 'domain_randomized.yaml'),
            '--workers',
            String(workers),
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
        ),
      );

    it('same seed and cell → byte-identical dataset with 1 and 2 workers', () => {
      const a = tmp();
      const b = tmp();
      const ra = run(a, 1);
      const rb = run(b, 2);
      expect(ra.workers).toBe(1);
      expect(rb.workers).toBe(2);
      expect(ra.files).toBe(5 * 4 + 4);
      expect(rb.files).toBe(ra.files);
      expect(hashTree(b)).toEqual(hashTree(a));
      // …and another seed gives other scenes.
      const c = tmp();
      execFileSync(
        process.execPath,
        [
          bin,
          'dataset',
          '--out',
          c,
          '--scenes',
          '5',
          '--seed',
          '12',
          '--width',
          '96',
          '--height',
          '72',
          '--cell',
          path.join(cells, 'domain_randomized.yaml'),
          '--workers',
          '1',
        ],
        { stdio: 'ignore' },
      );
      expect(hashTree(c)['dataset.json']).not.toEqual(hashTree(a)['dataset.json']);
    });

    it('a bad cell exits 1 with one line naming the file and the key, writing nothing', () => {
      const dir = tmp();
      const file = path.join(dir, 'cell.yaml');
      fs.writeFileSync(file, 'name: x\nbin:\n  inner_size: 0.4\n  handels: yes\n');
      const out = path.join(dir, 'out');
      const r = spawnSync(process.execPath, [bin, 'dataset', '--out', out, '--scenes', '2', '--cell', file], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([`grasp-perception: ${file}: bin.handels: unknown key`]);
      expect(fs.existsSync(out)).toBe(false);
    });
  });
});
