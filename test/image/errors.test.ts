import fc from 'fast-check';
import {
  cameraModelFromInfo,
  CameraInfoError,
  CompressedImageError,
  decodeCompressedImage,
  decodeDepth,
  decodePng,
  encodeCompressedImage,
  encodePng,
  IMAGE_FAULT_CODES,
  type ImageFaultCode,
  imageToMat,
  imageToRgb,
  imageToRgbTensor,
  ImageFormatError,
  matToImage,
  validateImage,
  withCv,
} from '../../src/image';
import { type CameraInfo, type Image } from '../../src/msg';
import {
  cameraInfo,
  header,
  onlyTypedErrors,
  pseudoRandomBytes,
  thrown,
  u16Bytes,
  wireImage,
} from './helpers';

const rgb = (over: Partial<Image> = {}): Image => ({
  ...wireImage('rgb8', 640, 2, new Uint8Array(640 * 2 * 3)),
  ...over,
});
const info = (k: number[], over: Partial<CameraInfo> = {}) => cameraInfo({ k: new Float64Array(k), ...over });

type ErrorClass = typeof ImageFormatError | typeof CameraInfoError | typeof CompressedImageError;

/** [fault, code, class, call, text the message must contain]: one row per distinct fault. */
const FAULTS: [string, ImageFaultCode, ErrorClass, () => unknown, string][] = [
  [
    'unknown encoding',
    'UNKNOWN_ENCODING',
    ImageFormatError,
    () => validateImage(rgb({ encoding: 'rgb9' })),
    "unknown encoding 'rgb9' (supported: rgb8, bgr8",
  ],
  [
    'data is not bytes',
    'BAD_DATA_TYPE',
    ImageFormatError,
    () => imageToMat(rgb({ data: [1, 2] as unknown as Uint8Array })),
    'data must be a Uint8Array, got object',
  ],
  [
    'empty data',
    'EMPTY_DATA',
    ImageFormatError,
    () => imageToMat(rgb({ data: new Uint8Array(0) })),
    'data is empty for a 640x2 rgb8 image',
  ],
  [
    'zero width',
    'ZERO_SIZE',
    ImageFormatError,
    () => imageToMat(rgb({ width: 0 })),
    'image size 0x2 is not a positive integer size',
  ],
  [
    'zero height',
    'ZERO_SIZE',
    ImageFormatError,
    () => decodeDepth({ ...rgb(), encoding: '16UC1', height: 0 }),
    'image size 640x0',
  ],
  [
    'step smaller than a row',
    'STEP_TOO_SMALL',
    ImageFormatError,
    () => imageToMat(rgb({ step: 1919 })),
    'step 1919 < width 640 × 3 bytes/pixel = 1920 for rgb8',
  ],
  [
    'step not a multiple of the element size',
    'STEP_MISALIGNED',
    ImageFormatError,
    () => decodeDepth({ ...wireImage('16UC1', 2, 2, u16Bytes([1, 2, 3, 4]), { pad: 1 }) }),
    'step 5 is not a multiple of the 2-byte element of 16UC1',
  ],
  [
    'truncated data',
    'DATA_TRUNCATED',
    ImageFormatError,
    () => imageToMat(rgb({ data: new Uint8Array(3839) })),
    'data has 3839 bytes, step 1920 × height 2 needs 3840',
  ],
  [
    'data longer than step × height',
    'DATA_TOO_LONG',
    ImageFormatError,
    () => imageToMat(rgb({ data: new Uint8Array(3841) })),
    'data has 3841 bytes, more than step 1920 × height 2 = 3840',
  ],
  [
    'is_bigendian not 0 or 1',
    'BAD_ENDIANNESS',
    ImageFormatError,
    () => imageToMat(rgb({ is_bigendian: 2 })),
    'is_bigendian must be 0 or 1, got 2',
  ],
  [
    'odd width for yuv422',
    'ODD_DIMENSIONS',
    ImageFormatError,
    () => imageToRgb({ ...wireImage('mono8', 6, 1, new Uint8Array(6)), encoding: 'yuv422', width: 3 }),
    'yuv422 needs a width that is a multiple of 2, got 3',
  ],
  [
    'depth decoder given rgb8',
    'WRONG_ENCODING',
    ImageFormatError,
    () => decodeDepth(rgb()),
    "depth (REP 118) needs 16UC1 or 32FC1 or mono16, got 'rgb8'",
  ],
  [
    'unsupported compressed format',
    'COMPRESSED_UNSUPPORTED',
    CompressedImageError,
    () => decodeCompressedImage({ header, format: 'rgb8; tiff compressed bgr8', data: new Uint8Array(4) }),
    "compressed format 'rgb8; tiff compressed bgr8' is not supported",
  ],
  [
    'compressed data that does not decode',
    'COMPRESSED_CORRUPT',
    CompressedImageError,
    () => decodeCompressedImage({ header, format: 'png', data: Uint8Array.from([1, 2, 3]) }),
    'compressed png data does not decode (3 bytes)',
  ],
  [
    'CameraInfo K all zeros',
    'INTRINSICS_MISSING',
    CameraInfoError,
    () => cameraModelFromInfo(info([0, 0, 0, 0, 0, 0, 0, 0, 0])),
    'camera_info K is all zeros',
  ],
  [
    'CameraInfo zero focal length',
    'BAD_INTRINSICS',
    CameraInfoError,
    () => cameraModelFromInfo(info([0, 0, 320, 0, 615, 240, 0, 0, 1])),
    'camera_info focal length fx = 0 must be a positive finite number',
  ],
  [
    'CameraInfo negative focal length',
    'BAD_INTRINSICS',
    CameraInfoError,
    () => cameraModelFromInfo(info([615, 0, 320, 0, -615, 240, 0, 0, 1])),
    'focal length fy = -615',
  ],
  [
    'CameraInfo NaN focal length',
    'BAD_INTRINSICS',
    CameraInfoError,
    () => cameraModelFromInfo(info([NaN, 0, 320, 0, 615, 240, 0, 0, 1])),
    'focal length fx = NaN',
  ],
  [
    'CameraInfo K last row not [0, 0, 1]',
    'BAD_INTRINSICS',
    CameraInfoError,
    () => cameraModelFromInfo(info([615, 0, 320, 0, 615, 240, 0, 0, 2])),
    "K's last row must be [0, 0, 1], got [0, 0, 2]",
  ],
  [
    'CameraInfo K of 4 values',
    'BAD_MATRIX_SIZE',
    CameraInfoError,
    () => cameraModelFromInfo(info([615, 0, 0, 615])),
    'camera_info K must have 9 values, got 4',
  ],
  [
    'CameraInfo P of 9 values',
    'BAD_MATRIX_SIZE',
    CameraInfoError,
    () => cameraModelFromInfo(cameraInfo({ p: new Float64Array(9) })),
    'camera_info P must have 12 values (or none), got 9',
  ],
  [
    'CameraInfo wrong D length for the model',
    'BAD_DISTORTION',
    CameraInfoError,
    () => cameraModelFromInfo(cameraInfo({ d: new Float64Array([0.1, 0.2]) })),
    'plumb_bob takes 5 coefficients, D has 2',
  ],
  [
    'CameraInfo NaN in D',
    'BAD_DISTORTION',
    CameraInfoError,
    () => cameraModelFromInfo(cameraInfo({ d: new Float64Array([0, NaN, 0, 0, 0]) })),
    'non-finite coefficient',
  ],
  [
    'CameraInfo unknown distortion model with non-empty D',
    'UNKNOWN_DISTORTION_MODEL',
    CameraInfoError,
    () => cameraModelFromInfo(cameraInfo({ distortion_model: 'fisheye9', d: new Float64Array([0, 0]) })),
    "unknown distortion model 'fisheye9' with 2 coefficients",
  ],
  [
    'CameraInfo ROI outside the sensor',
    'BAD_ROI',
    CameraInfoError,
    () =>
      cameraModelFromInfo(
        cameraInfo({ roi: { x_offset: 600, y_offset: 0, width: 100, height: 100, do_rectify: false } }),
      ),
    'ROI 100x100 at (600, 0) does not fit the 640x480 sensor',
  ],
  [
    'CameraInfo zero size',
    'ZERO_SIZE',
    CameraInfoError,
    () => cameraModelFromInfo(cameraInfo({ width: 0 })),
    'camera_info size 0x480 is not a positive integer size',
  ],
  [
    'CameraInfo size ≠ image size',
    'SIZE_MISMATCH',
    CameraInfoError,
    () => cameraModelFromInfo(cameraInfo(), { width: 320, height: 240 }),
    'camera_info is 640x480 but the image is 320x240',
  ],
  [
    'bad tensor options',
    'INVALID_ARGUMENT',
    ImageFormatError,
    () => imageToRgbTensor(rgb(), { width: -1, height: 2, mean: [0, 0, 0], std: [1, 1, 1], layout: 'NCHW' }),
    'tensor width -1 must be a positive integer',
  ],
  [
    'an OpenCV exception',
    'OPENCV_ERROR',
    ImageFormatError,
    () =>
      withCv('testing', () => {
        throw new Error('boom');
      }),
    'OpenCV failed while testing: boom',
  ],
];

describe('malformed input: each fault has its own typed error', () => {
  it.each(FAULTS)('%s → %s', (_what, code, cls, fn, text) => {
    const err = thrown(fn);
    expect(err).toBeInstanceOf(ImageFormatError);
    expect(err).toBeInstanceOf(cls);
    expect((err as ImageFormatError).code).toBe(code);
    expect((err as ImageFormatError).message).toContain(text);
  });

  it('every fault code is exercised above', () => {
    expect(new Set(FAULTS.map((f) => f[1]))).toEqual(new Set(IMAGE_FAULT_CODES));
  });

  it('errors are Errors with a name per class', () => {
    const e = thrown(() => cameraModelFromInfo(info([0, 0, 0, 0, 0, 0, 0, 0, 0]))) as Error;
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('CameraInfoError');
    expect((thrown(() => decodePng(Uint8Array.from([1]))) as Error).name).toBe('CompressedImageError');
    expect((thrown(() => validateImage(rgb({ encoding: 'x' }))) as Error).name).toBe('ImageFormatError');
  });
});

describe('garbage never escapes as anything but a typed error', () => {
  it('property: random Image fields through every Image function', () => {
    fc.assert(
      fc.property(
        fc.record({
          encoding: fc.constantFrom(
            'rgb8',
            'bgra8',
            'mono16',
            '16UC1',
            '32FC1',
            'yuv422',
            'x',
            '',
            'constructor',
          ),
          width: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constantFrom(NaN, 1.5, Infinity)),
          height: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constant(NaN)),
          step: fc.oneof(fc.integer({ min: -1, max: 40 }), fc.constant(NaN)),
          is_bigendian: fc.integer({ min: -1, max: 3 }),
          len: fc.integer({ min: 0, max: 120 }),
          seed: fc.integer({ min: 1, max: 1000 }),
        }),
        (r) => {
          const img: Image = { header, ...r, data: pseudoRandomBytes(r.len, r.seed) };
          for (const fn of [
            () => imageToMat(img),
            () => decodeDepth(img),
            () => imageToRgb(img),
            () =>
              imageToRgbTensor(img, { width: 3, height: 2, mean: [0, 0, 0], std: [1, 1, 1], layout: 'NHWC' }),
            () => encodePng(img),
            () => encodeCompressedImage(img, { format: 'jpeg' }),
          ]) {
            onlyTypedErrors(fn);
          }
        },
      ),
      { seed: 5, numRuns: 400 },
    );
  });

  it('property: truncated, bit-flipped and mislabelled compressed data', () => {
    const png = encodePng(wireImage('rgb8', 8, 8, pseudoRandomBytes(192, 1)));
    fc.assert(
      fc.property(
        fc.constantFrom(
          'png',
          'jpeg',
          'rgb8; jpeg compressed bgr8',
          '16UC1; compressedDepth png',
          '32FC1; compressedDepth',
          'x',
        ),
        fc.integer({ min: 0, max: png.length }),
        fc.integer({ min: 0, max: png.length - 1 }),
        (format, cut, flip) => {
          const data = png.slice(0, cut);
          if (flip < data.length) data[flip] ^= 0xff;
          onlyTypedErrors(() => decodeCompressedImage({ header, format, data }));
          onlyTypedErrors(() => decodePng(data));
        },
      ),
      { seed: 9, numRuns: 150 },
    );
  });

  it('property: random CameraInfo fields', () => {
    fc.assert(
      fc.property(
        fc.record({
          k: fc.array(fc.constantFrom(0, 1, -1, 615, NaN, Infinity, 320), { maxLength: 10 }),
          d: fc.array(fc.constantFrom(0, 0.1, NaN), { maxLength: 9 }),
          distortion_model: fc.constantFrom(
            'plumb_bob',
            'rational_polynomial',
            'equidistant',
            '',
            'toString',
          ),
          width: fc.integer({ min: -1, max: 700 }),
          binning_x: fc.integer({ min: 0, max: 3 }),
          x_offset: fc.integer({ min: -1, max: 700 }),
        }),
        (r) => {
          const ci = cameraInfo({
            k: new Float64Array(r.k),
            d: new Float64Array(r.d),
            distortion_model: r.distortion_model,
            width: r.width,
            binning_x: r.binning_x,
            roi: { x_offset: r.x_offset, y_offset: 0, width: 0, height: 0, do_rectify: false },
          });
          onlyTypedErrors(() => cameraModelFromInfo(ci, { width: 640, height: 480 }));
        },
      ),
      { seed: 3, numRuns: 300 },
    );
  });

  it('matToImage with something that is not a Mat', () => {
    onlyTypedErrors(() => matToImage({} as never, 'rgb8', header));
    onlyTypedErrors(() => matToImage(null as never, 'rgb8', header));
  });
});
