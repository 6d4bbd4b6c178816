import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadManifest } from '../../src/models/manifest';
import { openModel } from '../../src/models/session';
import { PACKAGE_ROOT } from '../../src/msg';

const SHIPPED = path.join(PACKAGE_ROOT, 'models', 'fast_graspnext.json');

/** A copy of the shipped Fast GraspNeXt manifest and model in a temporary directory. */
function copy(): { dir: string; manifest: string; onnx: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-model-'));
  const m = JSON.parse(fs.readFileSync(SHIPPED, 'utf8')) as { model_file: string };
  const onnx = path.join(dir, m.model_file);
  fs.copyFileSync(path.join(path.dirname(SHIPPED), m.model_file), onnx);
  const manifest = path.join(dir, 'model.json');
  fs.copyFileSync(SHIPPED, manifest);
  return { dir, manifest, onnx };
}

test('the shipped manifest loads and names its model file', () => {
  const { manifest, modelPath } = loadManifest(SHIPPED);
  expect(manifest.task).toBe('perception');
  expect(fs.existsSync(modelPath)).toBe(true);
  // Input contract v2 (docs/models.md): a 4:3 input, letterboxed, depth as height above the support.
  expect(manifest.input.shape).toEqual([1, 4, 144, 192]);
  expect(manifest.input.contract).toMatchObject({ version: 2, fit: 'letterbox' });
});

test('missing, corrupt and replaced files each give one clear error', () => {
  const c = copy();
  expect(() => loadManifest(path.join(c.dir, 'nope.json'))).toThrow(/nope\.json: model manifest not found/);
  fs.writeFileSync(path.join(c.dir, 'bad.json'), '{ not json');
  expect(() => loadManifest(path.join(c.dir, 'bad.json'))).toThrow(/bad\.json: not a JSON model manifest/);
  const m = JSON.parse(fs.readFileSync(c.manifest, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(c.dir, 'noinput.json'), JSON.stringify({ ...m, input: undefined }));
  expect(() => loadManifest(path.join(c.dir, 'noinput.json'))).toThrow(/noinput\.json: input: /);
  const bytes = fs.readFileSync(c.onnx);
  bytes[bytes.length >> 1] ^= 0xff;
  fs.writeFileSync(c.onnx, bytes);
  expect(() => loadManifest(c.manifest)).toThrow(/does not match the manifest's sha256/);
  fs.writeFileSync(c.onnx, bytes.subarray(0, 100));
  expect(() => loadManifest(c.manifest)).toThrow(/has 100 bytes, the manifest says/);
  fs.rmSync(c.onnx);
  expect(() => loadManifest(c.manifest)).toThrow(/model file .* not found/);
  fs.rmSync(c.dir, { recursive: true, force: true });
});

test('execution providers fall back down the list, reporting each skipped one', async () => {
  const skipped: string[] = [];
  const s = await openModel(SHIPPED, {
    executionProviders: ['tensorrt', 'cuda', 'cpu'],
    intraOpThreads: 1,
    onFallback: (p, reason) => skipped.push(`${p}: ${reason}`),
  });
  expect(s.provider).toBe('cpu');
  expect(skipped).toHaveLength(2);
  expect(skipped[0]).toMatch(/^tensorrt: /);
  const out = await s.run(new Float32Array(4 * 144 * 192));
  expect(out.suction).toHaveLength(144 * 192);
  await expect(s.run(new Float32Array(3))).rejects.toThrow(/input has 3 values, the model takes 110592/);
  await s.release();
  await expect(openModel(SHIPPED, { executionProviders: ['gpu9000'] })).rejects.toThrow(
    /unknown execution provider gpu9000/,
  );
});

test('input contract versions: format 1 (no contract) and format 2 (contract) load; a mismatch is one clear error', () => {
  const c = copy();
  try {
    const m = JSON.parse(fs.readFileSync(c.manifest, 'utf8')) as Record<string, unknown> & {
      input: Record<string, unknown>;
    };
    const contract = {
      version: 2,
      fit: 'letterbox',
      pad_color: [0, 0, 0],
      depth_encoding: 'height_above_support',
      trained_aspects: [1.333],
    };
    const write = (name: string, value: unknown) => {
      const file = path.join(c.dir, name);
      fs.writeFileSync(file, JSON.stringify(value));
      return file;
    };
    const v2 = { ...m, format_version: 2, input: { ...m.input, contract } };
    expect(loadManifest(write('v2.json', v2)).manifest.input.contract).toEqual(contract);
    const v1 = { ...m, format_version: 1, input: { ...m.input, contract: undefined } };
    expect(loadManifest(write('v1.json', v1)).manifest.input.contract).toBeUndefined();
    expect(() => loadManifest(write('v2-none.json', { ...v1, format_version: 2 }))).toThrow(
      /v2-none\.json: format_version 2 needs input\.contract/,
    );
    expect(() => loadManifest(write('v1-with.json', { ...v2, format_version: 1 }))).toThrow(
      /v1-with\.json: input\.contract needs format_version 2/,
    );
    const colourOnly = { ...v2, input: { ...v2.input, contract: { ...contract, depth_encoding: null } } };
    expect(() => loadManifest(write('mismatch.json', colourOnly))).toThrow(
      /mismatch\.json: input\.contract\.depth_encoding null does not fit 4 input channels/,
    );
    expect(() =>
      loadManifest(write('squash.json', { ...v2, input: { ...v2.input, contract: { ...contract, fit: 'squash' } } })),
    ).toThrow(/squash\.json: input\.contract\.fit: /);
    expect(() => loadManifest(write('v3.json', { ...v2, format_version: 3 }))).toThrow(/v3\.json: format_version: /);
  } finally {
    fs.rmSync(c.dir, { recursive: true, force: true });
  }
});

test('training.checkpoint (the torch weights fine-tuning starts from): optional, and checked when present', () => {
  const c = copy();
  try {
    const m = JSON.parse(fs.readFileSync(c.manifest, 'utf8')) as Record<string, unknown> & {
      training: Record<string, unknown>;
    };
    const write = (name: string, checkpoint: unknown) => {
      const file = path.join(c.dir, name);
      fs.writeFileSync(file, JSON.stringify({ ...m, training: { ...m.training, checkpoint } }));
      return file;
    };
    const checkpoint = { file: 'model.pt', file_bytes: 1234, sha256: 'ab'.repeat(32) };
    expect(loadManifest(write('with.json', checkpoint)).manifest.training.checkpoint).toEqual(checkpoint);
    expect(() => loadManifest(write('nosha.json', { ...checkpoint, sha256: 'xyz' }))).toThrow(
      /nosha\.json: training\.checkpoint\.sha256: /,
    );
    expect(() => loadManifest(write('nofile.json', { sha256: checkpoint.sha256 }))).toThrow(
      /nofile\.json: training\.checkpoint\.file: /,
    );
  } finally {
    fs.rmSync(c.dir, { recursive: true, force: true });
  }
});
