import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cpuIsa } from '../../src/eval/nas-latency';

describe('cpuIsa', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpuinfo-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("names the SIMD extensions onnxruntime dispatches on, from the first processor's flags", () => {
    const file = path.join(dir, 'cpuinfo');
    fs.writeFileSync(
      file,
      'processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse4_2 avx fma avx2 avx512f avx512bw rdtscp\n\n' +
        'processor\t: 1\nflags\t\t: fpu sse4_2\n',
    );
    expect(cpuIsa(file)).toEqual(['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw']);
  });

  it('is empty where the file cannot be read (a machine without /proc)', () => {
    expect(cpuIsa(path.join(dir, 'missing'))).toEqual([]);
  });
});
