import fc from 'fast-check';
import {
  decodeDepth,
  encodeDepth16,
  encodeFloat32Image,
  HOST_IS_BIG_ENDIAN,
  type ImageFormatError,
} from '../../src/image';
import { f32Bytes, header, thrown, u16Bytes, wireImage } from './helpers';

const metres = (img: Parameters<typeof decodeDepth>[0]) => Array.from(decodeDepth(img).metres);
const approx = (a: number[]) => a.map((v) => (Number.isNaN(v) ? NaN : Math.round(v * 1e5) / 1e5));

describe('decodeDepth (REP 118)', () => {
  it('16UC1 millimetres → metres; 0 is invalid → NaN', () => {
    const img = wireImage('16UC1', 2, 2, u16Bytes([1000, 0, 65535, 1]));
    const d = decodeDepth(img);
    expect([d.width, d.height]).toEqual([2, 2]);
    expect(approx(Array.from(d.metres))).toEqual([1, NaN, 65.535, 0.001]);
  });

  it('16UC1 big-endian with a padded step', () => {
    const img = wireImage('16UC1', 3, 2, u16Bytes([700, 701, 702, 0, 1500, 2]), { pad: 4, bigEndian: 1 });
    expect(img.data.subarray(0, 2)).toEqual(Uint8Array.from([0x02, 0xbc]));
    expect(approx(metres(img))).toEqual([0.7, 0.701, 0.702, NaN, 1.5, 0.002]);
  });

  it('32FC1 metres in both byte orders; NaN, 0, negative and ±Inf are invalid → NaN', () => {
    const values = [0.5, NaN, 0, -1, Infinity, -Infinity, 2.25, 1e-3];
    for (const bigEndian of [0, 1] as const) {
      const img = wireImage('32FC1', 4, 2, f32Bytes(values), { pad: 8, bigEndian });
      expect(metres(img)).toEqual([0.5, NaN, NaN, NaN, NaN, NaN, 2.25, Math.fround(1e-3)]);
    }
  });

  it('mono16 is read as millimetres too', () => {
    expect(approx(metres(wireImage('mono16', 1, 1, u16Bytes([1234]))))).toEqual([1.234]);
  });

  it('works on data at an odd byte offset (a message decoded in place)', () => {
    const backing = new Uint8Array(9);
    backing.set(u16Bytes([1000, 2000, 3000, 4000]), 1);
    const img = { ...wireImage('16UC1', 2, 2, u16Bytes([0, 0, 0, 0])), data: backing.subarray(1) };
    expect(approx(metres(img))).toEqual([1, 2, 3, 4]);
  });

  it('refuses a colour image (WRONG_ENCODING)', () => {
    const e = thrown(() =>
      decodeDepth(wireImage('rgb8', 1, 1, Uint8Array.from([1, 2, 3]))),
    ) as ImageFormatError;
    expect(e.code).toBe('WRONG_ENCODING');
    expect(e.message).toContain("depth (REP 118) needs 16UC1 or 32FC1 or mono16, got 'rgb8'");
  });
});

describe('encodeDepth16 / encodeFloat32Image', () => {
  it('rounds to millimetres; invalid and out-of-range depths become 0', () => {
    const img = encodeDepth16([0.7, 0.0004, 1.2345, 70, NaN, -1, Infinity, 65.535], 4, 2, header);
    expect([img.encoding, img.step, img.width, img.height, img.header]).toEqual(['16UC1', 8, 4, 2, header]);
    expect(img.is_bigendian).toBe(HOST_IS_BIG_ENDIAN ? 1 : 0);
    expect(Array.from(new Uint16Array(img.data.buffer))).toEqual([700, 0, 1235, 0, 0, 0, 0, 65535]);
  });

  it('32FC1 output keeps the values, NaN included, and decodes back', () => {
    const img = encodeFloat32Image(new Float32Array([0.25, NaN]), 2, 1, header);
    expect([img.encoding, img.step]).toEqual(['32FC1', 8]);
    expect(metres(img)).toEqual([0.25, NaN]);
  });

  it('rejects a wrong value count or size with typed errors', () => {
    expect((thrown(() => encodeDepth16(new Float32Array(5), 2, 2, header)) as ImageFormatError).code).toBe(
      'SIZE_MISMATCH',
    );
    expect((thrown(() => encodeDepth16(new Float32Array(0), 0, 2, header)) as ImageFormatError).code).toBe(
      'ZERO_SIZE',
    );
    expect(
      (thrown(() => encodeFloat32Image(new Float32Array(3), 2, 2, header)) as ImageFormatError).message,
    ).toBe('32FC1 image has 3 values, 2x2 needs 4');
  });

  it('property: metres → 16UC1 → metres within 0.5 mm, in either byte order and with padding', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: Math.fround(0.0006), max: Math.fround(65.5), noNaN: true }), {
          minLength: 1,
          maxLength: 48,
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom<0 | 1>(0, 1),
        (values, rows, padElements, bigEndian) => {
          const width = values.length;
          const input = new Float32Array(width * rows);
          for (let i = 0; i < input.length; i++) input[i] = values[i % width];
          const tight = encodeDepth16(input, width, rows, header);
          const wire = wireImage('16UC1', width, rows, tight.data, { pad: 2 * padElements, bigEndian });
          const back = decodeDepth(wire).metres;
          for (let i = 0; i < input.length; i++) {
            expect(Math.abs(back[i] - input[i])).toBeLessThanOrEqual(0.0005 + 1e-5);
          }
        },
      ),
      { seed: 118, numRuns: 200 },
    );
  });
});
