import fc from 'fast-check';
import {
  cv,
  decodeCompressedImage,
  decodeDepth,
  decodePng,
  encodeCompressedImage,
  encodeDepth16,
  encodeJpeg,
  encodePng,
  ENCODINGS,
  imageToMat,
  ImageFormatError,
  parseCompressedFormat,
} from '../../src/image';
import { type CompressedImage } from '../../src/msg';
import { f32Bytes, header, pseudoRandomBytes, rowBytes, thrown, u16Bytes, wireImage } from './helpers';

const codeOf = (fn: () => unknown) => (thrown(fn) as ImageFormatError).code;
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('PNG', () => {
  it('property: 8-bit PNG is lossless for every 8-bit encoding, padding and size', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8', '8UC1'),
        fc.integer({ min: 1, max: 17 }),
        fc.integer({ min: 1, max: 13 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (encoding, width, height, pad, seed) => {
          const tight = pseudoRandomBytes(rowBytes(encoding, width) * height, seed);
          const png = encodePng(wireImage(encoding, width, height, tight, { pad }));
          const back = decodePng(png, header, encoding);
          expect([back.encoding, back.width, back.height]).toEqual([encoding, width, height]);
          expect(same(back.data, tight)).toBe(true);
        },
      ),
      { seed: 8, numRuns: 120 },
    );
  });

  it('property: 16-bit PNG is lossless for 16UC1 and mono16 in either byte order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('16UC1', 'mono16'),
        fc.integer({ min: 1, max: 17 }),
        fc.integer({ min: 1, max: 13 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom<0 | 1>(0, 1),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (encoding, width, height, padElements, bigEndian, seed) => {
          const tight = pseudoRandomBytes(rowBytes(encoding, width) * height, seed);
          const png = encodePng(
            wireImage(encoding, width, height, tight, { pad: 2 * padElements, bigEndian }),
          );
          const back = decodePng(png, header, encoding);
          expect(back.encoding).toBe(encoding);
          expect(same(back.data, tight)).toBe(true);
        },
      ),
      { seed: 16, numRuns: 80 },
    );
  });

  it('decodes to rgb8 / rgba8 / mono8 / 16UC1 by default, with the colours in the right place', () => {
    const bgr = wireImage('bgr8', 1, 1, Uint8Array.from([10, 20, 30]));
    const rgb = decodePng(encodePng(bgr));
    expect([rgb.encoding, ...rgb.data]).toEqual(['rgb8', 30, 20, 10]);
    expect(decodePng(encodePng(wireImage('bgra8', 1, 1, Uint8Array.from([1, 2, 3, 4])))).encoding).toBe(
      'rgba8',
    );
    expect(decodePng(encodePng(wireImage('mono8', 1, 1, Uint8Array.from([9])))).encoding).toBe('mono8');
    const depth = decodePng(encodePng(encodeDepth16([1.5], 1, 1, header)), header);
    expect([depth.encoding, ...decodeDepth(depth).metres]).toEqual(['16UC1', 1.5]);
    expect(decodePng(encodePng(bgr), header, 'mono8').encoding).toBe('mono8');
  });

  it('refuses what PNG cannot hold, and bytes that are not PNG', () => {
    expect(codeOf(() => encodePng(wireImage('32FC1', 1, 1, f32Bytes([1]))))).toBe('WRONG_ENCODING');
    expect(codeOf(() => encodePng(wireImage('yuv422', 2, 1, Uint8Array.from([1, 2, 3, 4]))))).toBe(
      'WRONG_ENCODING',
    );
    expect(codeOf(() => encodePng(wireImage('mono8', 1, 1, Uint8Array.from([1])), 12))).toBe(
      'INVALID_ARGUMENT',
    );
    const jpeg = encodeJpeg(wireImage('mono8', 8, 8, new Uint8Array(64)));
    const e = thrown(() => decodePng(jpeg)) as ImageFormatError;
    expect(e.code).toBe('COMPRESSED_CORRUPT');
    expect(e.message).toContain('lacks the PNG signature (starts ff d8 ff');
    const png = encodePng(wireImage('rgb8', 16, 16, pseudoRandomBytes(768, 3)));
    expect(codeOf(() => decodePng(png.subarray(0, 40)))).toBe('COMPRESSED_CORRUPT');
    expect(codeOf(() => decodePng(new Uint8Array(0)))).toBe('EMPTY_DATA');
    expect(codeOf(() => decodePng(png, header, '32FC1'))).toBe('WRONG_ENCODING');
  });

  it('a 16-bit colour PNG has no encoding here (COMPRESSED_UNSUPPORTED)', () => {
    const c = cv();
    const png = new Uint8Array(c.imencode('.png', new c.Mat(2, 2, c.CV_16UC3, [1000, 2000, 3000])));
    expect(codeOf(() => decodePng(png))).toBe('COMPRESSED_UNSUPPORTED');
  });
});

describe('CompressedImage', () => {
  it('parses image_transport format strings', () => {
    expect(parseCompressedFormat('jpeg')).toEqual({ codec: 'jpeg', depth: false });
    expect(parseCompressedFormat('rgb8; jpeg compressed bgr8')).toEqual({
      sourceEncoding: 'rgb8',
      codec: 'jpeg',
      compressedEncoding: 'bgr8',
      depth: false,
    });
    expect(parseCompressedFormat('mono8; jpeg compressed ')).toEqual({
      sourceEncoding: 'mono8',
      codec: 'jpeg',
      depth: false,
    });
    expect(parseCompressedFormat('16UC1; compressedDepth png')).toEqual({
      sourceEncoding: '16UC1',
      codec: 'png',
      depth: true,
    });
    expect(parseCompressedFormat('16UC1; compressedDepth')).toEqual({
      sourceEncoding: '16UC1',
      codec: 'png',
      depth: true,
    });
    expect(parseCompressedFormat('32FC1; compressedDepth rvl').codec).toBe('rvl');
    expect(parseCompressedFormat('JPG').codec).toBe('jpeg');
  });

  // A saturated colour checks channel order through the JPEG (BGR inside) round trip.
  const colour = wireImage(
    'rgb8',
    16,
    8,
    Uint8Array.from({ length: 16 * 8 * 3 }, (_, i) => [200, 30, 90][i % 3]),
  );

  it("decodes jpeg in the source encoding ('bgr8; jpeg compressed bgr8' → bgr8, old 'jpeg' → rgb8)", () => {
    const jpeg = encodeJpeg(colour, 95);
    const old = decodeCompressedImage({ header, format: 'jpeg', data: jpeg });
    expect([old.encoding, old.width, old.height, old.header]).toEqual(['rgb8', 16, 8, header]);
    expect(Array.from(old.data.subarray(0, 3)).every((v, i) => Math.abs(v - [200, 30, 90][i]) <= 4)).toBe(
      true,
    );
    const bgr = decodeCompressedImage({ header, format: 'bgr8; jpeg compressed bgr8', data: jpeg });
    expect(bgr.encoding).toBe('bgr8');
    expect(Array.from(bgr.data.subarray(0, 3)).every((v, i) => Math.abs(v - [90, 30, 200][i]) <= 4)).toBe(
      true,
    );
    // A source encoding the pixels cannot become falls back to the default.
    expect(
      decodeCompressedImage({ header, format: 'bayer_rggb8; jpeg compressed bgr8', data: jpeg }).encoding,
    ).toBe('rgb8');
    expect(codeOf(() => decodeCompressedImage({ header, format: 'jpeg', data: jpeg }, '16UC1'))).toBe(
      'WRONG_ENCODING',
    );
  });

  it('encodeCompressedImage writes image_transport format strings that decode back', () => {
    const png = encodeCompressedImage(colour, { format: 'png' });
    expect(png.format).toBe('rgb8; png compressed bgr8');
    expect(same(decodeCompressedImage(png).data, colour.data)).toBe(true);
    const rgba = wireImage('rgba8', 2, 2, pseudoRandomBytes(16, 9));
    const pngA = encodeCompressedImage(rgba, { format: 'png' });
    expect(pngA.format).toBe('rgba8; png compressed bgra8');
    expect(same(decodeCompressedImage(pngA).data, rgba.data)).toBe(true);
    const mono16 = wireImage('mono16', 3, 2, pseudoRandomBytes(12, 4), { bigEndian: 1 });
    const png16 = encodeCompressedImage(mono16, { format: 'png' });
    expect(png16.format).toBe('mono16; png compressed mono16');
    const back16 = decodeCompressedImage(png16);
    expect(back16.encoding).toBe('mono16');
    expect(same(back16.data, imageToMat(mono16).getData())).toBe(true);
    const jpeg = encodeCompressedImage(wireImage('mono8', 8, 8, new Uint8Array(64).fill(77)), {
      format: 'jpeg',
    });
    expect(jpeg.format).toBe('mono8; jpeg compressed mono8');
    const j = decodeCompressedImage(jpeg);
    expect([j.encoding, j.data[0]]).toEqual(['mono8', 77]);
    expect(codeOf(() => encodeCompressedImage(colour, { format: 'webp' as 'png' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => encodeCompressedImage(mono16, { format: 'jpeg' }))).toBe('WRONG_ENCODING');
  });

  /** compressed_depth_image_transport framing: int32 format, float32 A, float32 B, then PNG. */
  function compressedDepth(format: string, png: Uint8Array, a = 0, b = 0): CompressedImage {
    const data = new Uint8Array(12 + png.length);
    const view = new DataView(data.buffer);
    view.setInt32(0, 0, true);
    view.setFloat32(4, a, true);
    view.setFloat32(8, b, true);
    data.set(png, 12);
    return { header, format, data };
  }

  it('compressedDepth png, 16UC1: millimetres exactly, after the 12-byte header', () => {
    const depth = encodeDepth16([0.5, 0, 1.234, 65.535], 2, 2, header);
    for (const format of ['16UC1; compressedDepth png', '16UC1; compressedDepth']) {
      const img = decodeCompressedImage(compressedDepth(format, encodePng(depth)));
      expect(img.encoding).toBe('16UC1');
      expect(same(img.data, depth.data)).toBe(true);
    }
  });

  it('compressedDepth png, 32FC1: quantised inverse depth, depth = A / (v − B), 0 → NaN', () => {
    // The publisher's defaults: depth_quantization 100, depth_max 10 m.
    const a = 100 * 101;
    const b = 1 - a / 10;
    const inv = (z: number) => Math.round(a / z + b);
    const png = encodePng(wireImage('16UC1', 3, 1, u16Bytes([inv(1), 0, inv(0.5)])));
    const img = decodeCompressedImage(compressedDepth('32FC1; compressedDepth png', png, a, b));
    expect(img.encoding).toBe('32FC1');
    const m = decodeDepth(img).metres;
    expect(Math.abs(m[0] - 1)).toBeLessThan(1e-4);
    expect(m[1]).toBeNaN();
    expect(Math.abs(m[2] - 0.5)).toBeLessThan(1e-4);
  });

  it('unsupported formats and corrupt data are typed errors', () => {
    const png = encodePng(wireImage('mono8', 2, 2, Uint8Array.from([1, 2, 3, 4])));
    const cases: [CompressedImage, string, string][] = [
      [
        { header, format: 'webp', data: png },
        'COMPRESSED_UNSUPPORTED',
        "compressed format 'webp' is not supported",
      ],
      [{ header, format: '', data: png }, 'COMPRESSED_UNSUPPORTED', "compressed format '' is not supported"],
      [{ header, format: 'h264', data: png }, 'COMPRESSED_UNSUPPORTED', 'not supported'],
      [
        { header, format: '32FC1; compressedDepth rvl', data: png },
        'COMPRESSED_UNSUPPORTED',
        "compressedDepth codec 'rvl'",
      ],
      [
        { header, format: 'rgb8; compressedDepth png', data: png },
        'COMPRESSED_UNSUPPORTED',
        "compressedDepth of 'rgb8'",
      ],
      [
        { header, format: 'jpeg', data: Uint8Array.from([0xff, 0xd8, 0xff, 0, 1, 2]) },
        'COMPRESSED_CORRUPT',
        'does not decode',
      ],
      [
        { header, format: 'png', data: png.subarray(0, png.length - 20) },
        'COMPRESSED_CORRUPT',
        'does not decode',
      ],
      [
        { header, format: '16UC1; compressedDepth png', data: Uint8Array.from([0, 0, 0]) },
        'COMPRESSED_CORRUPT',
        'has no PNG after its 12-byte configuration header',
      ],
      [
        compressedDepth('16UC1; compressedDepth png', png),
        'COMPRESSED_CORRUPT',
        'decodes to CV_8UC1, expected 16-bit gray',
      ],
      [{ header, format: 'png', data: new Uint8Array(0) }, 'EMPTY_DATA', 'is empty'],
    ];
    for (const [msg, code, message] of cases) {
      const e = thrown(() => decodeCompressedImage(msg)) as ImageFormatError;
      expect(e).toBeInstanceOf(ImageFormatError);
      expect([msg.format, e.code]).toEqual([msg.format, code]);
      expect(e.message).toContain(message);
    }
  });

  it('every 8-bit encoding survives png CompressedImage exactly', () => {
    for (const encoding of ['rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8', '8UC1']) {
      const e = ENCODINGS[encoding];
      const img = wireImage(encoding, 5, 3, pseudoRandomBytes(15 * e.channels, 77), { pad: 1 });
      const back = decodeCompressedImage(encodeCompressedImage(img, { format: 'png' }));
      expect(back.encoding).toBe(encoding);
      expect(same(back.data, imageToMat(img).getData())).toBe(true);
    }
  });
});
