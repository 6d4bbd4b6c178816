// CLI errors name the file they are about and never print binary data; `replay` reads a bag whose
// recorder died (no summary, no footer) as far as it is intact (issue 12). Each case failed before.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runMain } from './run-main';
import { readBag } from '../../src/bag/mcap';
import { recordSim } from '../../src/bag/replay';
import { openModel } from '../../src/models/session';
import {
  calibrationYamlFromCameraInfo,
  cameraInfoFromModel,
  encodeDepth16,
  encodePng,
} from '../../src/image';
import { type SuctionGraspArray } from '../../src/msg';

jest.setTimeout(120_000);

let dir = '';
const W = 64;
const H = 48;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-clierr-'));
  const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: 'camera' };
  const rgb = new Uint8Array(W * H * 3).fill(90);
  fs.writeFileSync(
    path.join(dir, 'rgb.png'),
    encodePng({ header, width: W, height: H, encoding: 'rgb8', is_bigendian: 0, step: W * 3, data: rgb }),
  );
  fs.writeFileSync(
    path.join(dir, 'depth.png'),
    encodePng(encodeDepth16(new Float32Array(W * H).fill(0.7), W, H, header)),
  );
  const ci = (fx: number) =>
    calibrationYamlFromCameraInfo(
      cameraInfoFromModel({ width: W, height: H, fx, fy: fx, cx: W / 2, cy: H / 2 }, header),
    );
  fs.writeFileSync(path.join(dir, 'ci.yaml'), ci(60));
  fs.writeFileSync(path.join(dir, 'zero-f.yaml'), ci(0));
  fs.writeFileSync(path.join(dir, 'not-a-png.png'), 'GIF89a this is not a PNG at all');
  const noise = Buffer.alloc(4096);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 167 + 0xa7) & 0xff;
  fs.writeFileSync(path.join(dir, 'noise.mcap'), noise);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const infer = (over: Record<string, string>) =>
  runMain([
    'infer',
    '--rgb',
    over.rgb ?? path.join(dir, 'rgb.png'),
    '--depth',
    over.depth ?? path.join(dir, 'depth.png'),
    '--camera-info',
    over.ci ?? path.join(dir, 'ci.yaml'),
    '--out',
    path.join(dir, 'out'),
  ]);

/** One line, printable text only (no raw bytes, no replacement characters). */
const expectOneReadableLine = (err: string) => {
  expect(err.split('\n').filter(Boolean)).toHaveLength(1);
  expect(err).toMatch(/^[\x20-\x7e\u00a0-\u2fff\n]*$/);
  expect(err).not.toMatch(/\ufffd/);
  expect(err.length).toBeLessThan(400);
};

describe('CLI errors name the file', () => {
  it('a non-PNG --rgb', async () => {
    const r = await infer({ rgb: path.join(dir, 'not-a-png.png') });
    expect(r.code).toBe(1);
    expect(r.err).toContain('not-a-png.png');
    expectOneReadableLine(r.err);
  });

  it('a zero focal length in --camera-info', async () => {
    const r = await infer({ ci: path.join(dir, 'zero-f.yaml') });
    expect(r.code).toBe(1);
    expect(r.err).toContain('zero-f.yaml');
    expect(r.err).toMatch(/focal length/);
    expectOneReadableLine(r.err);
  });

  it('a PNG given as --camera-info: named, and no raw bytes on the terminal', async () => {
    const r = await infer({ ci: path.join(dir, 'rgb.png') });
    expect(r.code).toBe(1);
    expect(r.err).toContain('rgb.png');
    expect(r.err).toMatch(/rgb\.png: binary data \(a PNG image\?\), not a camera_calibration YAML file/);
    expectOneReadableLine(r.err);
  });

  it('a file that is not MCAP given to replay: named, no hex dump', async () => {
    const r = await runMain(['replay', path.join(dir, 'noise.mcap'), '--out', path.join(dir, 'x.mcap')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('noise.mcap: not an MCAP file');
    expect(r.err).not.toMatch(/[0-9a-f]{2} [0-9a-f]{2} [0-9a-f]{2}/);
    expectOneReadableLine(r.err);
  });

  it('a corrupt .onnx blames the file, not the execution provider', async () => {
    const src = path.join(__dirname, '../../models/fast_graspnext.json');
    const m = JSON.parse(fs.readFileSync(src, 'utf8')) as { model_file: string };
    const corrupt = Buffer.from(fs.readFileSync(path.join(path.dirname(src), m.model_file)));
    corrupt.fill(0x5a, 0, 64); // same size, damaged header
    const crypto = await import('node:crypto');
    const manifest = { ...m, sha256: crypto.createHash('sha256').update(corrupt).digest('hex') };
    fs.writeFileSync(path.join(dir, 'm.json'), JSON.stringify(manifest));
    fs.writeFileSync(path.join(dir, m.model_file), corrupt);
    const fallbacks: string[] = [];
    const opened = openModel(path.join(dir, 'm.json'), { onFallback: (p) => fallbacks.push(p) });
    await expect(opened).rejects.toThrow(/fast_graspnext\.onnx: not a loadable ONNX model/);
    expect(fallbacks).toEqual([]);
  });
});

describe('replay of an interrupted recording', () => {
  it('reads the intact part of a bag cut off mid-write, with a WARN, and replays it', async () => {
    const full = path.join(dir, 'full.mcap');
    await recordSim({
      out: full,
      frames: 6,
      seed: 3,
      objects: 4,
      width: 320,
      height: 240,
      compressed: false,
    });
    const bytes = fs.readFileSync(full);
    const cut = path.join(dir, 'cut.mcap');
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6))); // recorder died: no summary, no footer
    const warnings: string[] = [];
    let messages = 0;
    for await (const msg of readBag(cut, undefined, (w) => warnings.push(w))) messages += msg ? 1 : 0;
    expect(messages).toBeGreaterThan(0);
    expect(messages).toBeLessThan(18);
    expect(warnings.some((w) => w.startsWith(`${cut}: unindexed`))).toBe(true);
    expect(warnings.some((w) => /truncated/.test(w))).toBe(true);

    const out = path.join(dir, 'cut-out.mcap');
    const r = await runMain(['replay', cut, '--out', out, '--no-segmentation']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: .*cut\.mcap: unindexed/);
    const result = JSON.parse(r.out) as { input_messages: number; warnings: string[] };
    expect(result.input_messages).toBe(messages);
    expect(result.warnings.length).toBeGreaterThanOrEqual(2);
    // Arguments echoed in an error are shown escaped, never as raw control bytes.
    const odd = await runMain(['replay', full, '--out', out, '--color-topic', '/cam\u0007\u001b[2J\u0000x']);
    expect(odd.code).toBe(1);
    expect(odd.err).toContain('full.mcap');
    expect(odd.err).toContain('\\u0007');
    expectOneReadableLine(odd.err);
    let grasps = 0;
    for await (const m of readBag(out, ['/perception_node/suction_grasps'])) {
      grasps += (m.message as SuctionGraspArray).header ? 1 : 0;
    }
    expect(grasps).toBeGreaterThanOrEqual(Math.floor(messages / 3) - 1);
    expect(grasps).toBeGreaterThan(0);
  });
});
