import fc from 'fast-check';
import {
  cv,
  ENCODINGS,
  HOST_IS_BIG_ENDIAN,
  imageToBgrMat,
  imageToMat,
  imageToRgb,
  ImageFormatError,
  matToImage,
} from '../../src/image';
import { f32Bytes, header, pseudoRandomBytes, rowBytes, thrown, u16Bytes, wireImage } from './helpers';

const bytesOf = (img: { data: Uint8Array }) => Array.from(img.data);
const table = (mat: ReturnType<typeof imageToMat>) => mat.getDataAsArray();

describe('imageToMat: each encoding, known pixels', () => {
  it('rgb8 with a padded step keeps RGB order and drops the padding', () => {
    const img = wireImage('rgb8', 2, 2, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), { pad: 2 });
    expect(img.step).toBe(8);
    const mat = imageToMat(img);
    expect([mat.rows, mat.cols, mat.type]).toEqual([2, 2, cv().CV_8UC3]);
    expect(table(mat)).toEqual([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [7, 8, 9],
        [10, 11, 12],
      ],
    ]);
  });

  it('bgr8 stays BGR in the Mat; imageToRgb swaps to RGB, imageToBgrMat does not', () => {
    const img = wireImage('bgr8', 1, 1, Uint8Array.from([10, 20, 30]), { pad: 1 });
    expect(table(imageToMat(img))).toEqual([[[10, 20, 30]]]);
    expect(Array.from(imageToRgb(img))).toEqual([30, 20, 10]);
    expect(table(imageToBgrMat(img))).toEqual([[[10, 20, 30]]]);
    expect(table(imageToBgrMat(wireImage('rgb8', 1, 1, Uint8Array.from([10, 20, 30]))))).toEqual([
      [[30, 20, 10]],
    ]);
  });

  it('rgba8 and bgra8 keep alpha in the Mat and drop it for RGB', () => {
    const rgba = wireImage('rgba8', 2, 1, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), { pad: 3 });
    expect(imageToMat(rgba).type).toBe(cv().CV_8UC4);
    expect(table(imageToMat(rgba))).toEqual([
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
    ]);
    expect(Array.from(imageToRgb(rgba))).toEqual([1, 2, 3, 5, 6, 7]);
    const bgra = wireImage('bgra8', 1, 1, Uint8Array.from([10, 20, 30, 40]));
    expect(Array.from(imageToRgb(bgra))).toEqual([30, 20, 10]);
  });

  it('mono8 and 8UC1 are single-channel; RGB replicates the gray value', () => {
    for (const enc of ['mono8', '8UC1']) {
      const img = wireImage(enc, 3, 1, Uint8Array.from([0, 77, 255]), { pad: 5 });
      expect(imageToMat(img).type).toBe(cv().CV_8UC1);
      expect(table(imageToMat(img))).toEqual([[0, 77, 255]]);
      expect(Array.from(imageToRgb(img))).toEqual([0, 0, 0, 77, 77, 77, 255, 255, 255]);
    }
  });

  it('mono16 little- and big-endian read the same values; RGB scales 16 → 8 bits', () => {
    const host = u16Bytes([0x0102, 65535, 0]);
    for (const bigEndian of [0, 1] as const) {
      const img = wireImage('mono16', 3, 1, host, { bigEndian, pad: 2 });
      expect(table(imageToMat(img))).toEqual([[0x0102, 65535, 0]]);
    }
    const be = wireImage('mono16', 1, 1, u16Bytes([0x0102]), { bigEndian: 1 });
    expect(Array.from(be.data)).toEqual([0x01, 0x02]); // the wire really is big-endian
    expect(Array.from(imageToRgb(wireImage('mono16', 2, 1, u16Bytes([65535, 0]))))).toEqual([
      255, 255, 255, 0, 0, 0,
    ]);
  });

  it('16UC1 big-endian millimetres come out in host order', () => {
    const img = {
      ...wireImage('16UC1', 2, 1, u16Bytes([1000, 1])),
      is_bigendian: 1,
      data: Uint8Array.from([3, 232, 0, 1]),
    };
    expect(table(imageToMat(img))).toEqual([[1000, 1]]);
    expect(imageToMat(img).type).toBe(cv().CV_16UC1);
  });

  it('32FC1 in both byte orders with padding', () => {
    const host = f32Bytes([1.5, -2.25, 0]);
    for (const bigEndian of [0, 1] as const) {
      const mat = imageToMat(wireImage('32FC1', 3, 1, host, { bigEndian, pad: 4 }));
      expect(mat.type).toBe(cv().CV_32FC1);
      expect(table(mat)).toEqual([[1.5, -2.25, 0]]);
    }
    const be = wireImage('32FC1', 1, 1, f32Bytes([1.5]), { bigEndian: 1 });
    expect(Array.from(be.data)).toEqual([0x3f, 0xc0, 0, 0]);
  });

  it('yuv422 (UYVY) and yuv422_yuy2 (YUYV) convert to RGB with OpenCV (BT.601)', () => {
    // Neutral chroma, luma 100: 1.164 × (100 − 16) ≈ 98 on every channel.
    const uyvy = wireImage('yuv422', 2, 1, Uint8Array.from([128, 100, 128, 100]), { pad: 2 });
    expect(imageToMat(uyvy).type).toBe(cv().CV_8UC2);
    expect(Array.from(imageToRgb(uyvy))).toEqual([98, 98, 98, 98, 98, 98]);
    const yuyv = wireImage('yuv422_yuy2', 2, 1, Uint8Array.from([100, 128, 100, 128]));
    expect(Array.from(imageToRgb(yuyv))).toEqual([98, 98, 98, 98, 98, 98]);
  });

  it('the Mat is a copy: changing the message afterwards does not change it', () => {
    const img = wireImage('mono8', 2, 1, Uint8Array.from([5, 6]));
    const mat = imageToMat(img);
    img.data[0] = 99;
    expect(table(mat)).toEqual([[5, 6]]);
  });
});

describe('matToImage', () => {
  it('writes a tight step and host byte order', () => {
    const img = matToImage(
      imageToMat(wireImage('16UC1', 3, 2, u16Bytes([1, 2, 3, 4, 5, 6]), { pad: 6, bigEndian: 1 })),
      '16UC1',
      header,
    );
    expect(img.step).toBe(6);
    expect(img.is_bigendian).toBe(HOST_IS_BIG_ENDIAN ? 1 : 0);
    expect(bytesOf(img)).toEqual(Array.from(u16Bytes([1, 2, 3, 4, 5, 6])));
    expect(img.header).toBe(header);
  });

  it('a 640×480 rgb8 image round-trips byte-exactly', () => {
    const tight = pseudoRandomBytes(640 * 480 * 3, 42);
    const img = wireImage('rgb8', 640, 480, tight);
    const back = matToImage(imageToMat(img), 'rgb8', header);
    expect([back.width, back.height, back.step, back.encoding]).toEqual([640, 480, 1920, 'rgb8']);
    expect(Buffer.compare(Buffer.from(back.data), Buffer.from(tight))).toBe(0);
  });

  it('reads a region-of-interest Mat (whose getData OpenCV refuses)', () => {
    const mat = imageToMat(wireImage('mono8', 3, 2, Uint8Array.from([1, 2, 3, 4, 5, 6])));
    const roi = mat.getRegion(new (cv().Rect)(1, 0, 2, 2));
    expect(bytesOf(matToImage(roi, 'mono8', header))).toEqual([2, 3, 5, 6]);
  });

  it('refuses a Mat whose type does not fit the encoding, and an empty Mat', () => {
    const rgb = imageToMat(wireImage('rgb8', 1, 1, Uint8Array.from([1, 2, 3])));
    const e = thrown(() => matToImage(rgb, 'mono16', header)) as ImageFormatError;
    expect(e).toBeInstanceOf(ImageFormatError);
    expect(e.code).toBe('WRONG_ENCODING');
    expect(e.message).toContain('CV_8UC3 Mat cannot be mono16 (needs CV_16UC1)');
    expect((thrown(() => matToImage(new (cv().Mat)(), 'mono8', header)) as ImageFormatError).code).toBe(
      'ZERO_SIZE',
    );
    expect((thrown(() => matToImage(rgb, 'rgb9', header)) as ImageFormatError).code).toBe('UNKNOWN_ENCODING');
  });

  it('property: any encoding, size, padding and byte order round-trips byte-exactly', () => {
    const encodings = Object.keys(ENCODINGS);
    fc.assert(
      fc.property(
        fc.constantFrom(...encodings),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom<0 | 1>(0, 1),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (encoding, w, height, padElements, bigEndian, seed) => {
          const e = ENCODINGS[encoding];
          const width = w * e.widthMultiple;
          // Raw random bytes, NaN patterns included for 32FC1: the codec must not interpret them.
          const tight = pseudoRandomBytes(rowBytes(encoding, width) * height, seed);
          const img = wireImage(encoding, width, height, tight, {
            pad: padElements * e.elementBytes,
            bigEndian,
          });
          const back = matToImage(imageToMat(img), encoding, img.header);
          expect(back.step).toBe(rowBytes(encoding, width));
          expect(Buffer.compare(Buffer.from(back.data), Buffer.from(tight))).toBe(0);
          // And back to the wire form the sender would produce on this host.
          expect(matToImage(imageToMat(back), encoding, header).data).toEqual(back.data);
        },
      ),
      { seed: 20261122, numRuns: 300 },
    );
  });
});
