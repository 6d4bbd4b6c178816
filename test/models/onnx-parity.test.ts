// Every architecture exported to ONNX (opset 17) gives the torch outputs within 1e-4 in onnxruntime-node.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { runPython } from '../training/python-tools';

jest.setTimeout(600_000);

interface Reference {
  arch: string;
  input_shape: number[];
  outputs: Record<string, number[]>;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-parity-'));
let index: Reference[] = [];

beforeAll(() => {
  runPython(['parity.py', '--out', dir]);
  index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as Reference[];
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const f32 = (file: string) => {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

test('six architectures were exported', () => {
  expect(index.map((r) => r.arch).sort()).toEqual(
    ['attendseg', 'efficientnet_graspnext', 'fast_graspnext', 'lraspp', 'mobilenet_graspnext', 'resnet_graspnext'],
  );
});

test.each([
  'fast_graspnext',
  'resnet_graspnext',
  'efficientnet_graspnext',
  'mobilenet_graspnext',
  'attendseg',
  'lraspp',
])('%s: onnxruntime-node matches torch within 1e-4', async (arch) => {
  const ref = index.find((r) => r.arch === arch)!;
  const session = await ort.InferenceSession.create(path.join(dir, `${arch}.onnx`), { intraOpNumThreads: 2 });
  const input = new ort.Tensor('float32', f32(path.join(dir, `${arch}.input.f32`)), ref.input_shape);
  const res = await session.run({ input });
  for (const [name, shape] of Object.entries(ref.outputs)) {
    const got = res[name];
    expect(got.dims).toEqual(shape);
    const want = f32(path.join(dir, `${arch}.${name}.f32`));
    const data = got.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(data[i] - want[i]));
    expect({ output: name, maxAbsDiff: worst, ok: worst <= 1e-4 }).toEqual({ output: name, maxAbsDiff: worst, ok: true });
  }
  await session.release();
});
