import { type Header, type Image } from '../msg';
import {
  bytesPerPixel,
  encodingInfo,
  type EncodingInfo,
  HOST_IS_BIGENDIAN_FLAG,
  requireEncoding,
  tightHostBytes,
  validateImage,
} from './encodings';
import { fault } from './errors';
import { bytesToMat, type Cv, cv, type Mat, matBytes, withCv } from './opencv';

/** The OpenCV element type that holds one pixel of `info`. */
export function cvTypeOf(info: EncodingInfo, c: Cv = cv()): number {
  if (info.elementBytes === 4) return c.CV_32FC1;
  if (info.elementBytes === 2) return c.CV_16UC1;
  return [c.CV_8UC1, c.CV_8UC2, c.CV_8UC3, c.CV_8UC4][info.channels - 1];
}

/** 'CV_8UC3' etc. for messages. */
export function matTypeName(c: Cv, type: number): string {
  const name = Object.keys(c).find(
    (k) =>
      /^CV_(8U|8S|16U|16S|32S|32F|64F)C[1-4]$/.test(k) &&
      (c as unknown as Record<string, unknown>)[k] === type,
  );
  return name ?? `type ${type}`;
}

/**
 * A Mat over the image's pixels in the image's own encoding and channel order (an rgb8 image
 * gives an RGB Mat, though OpenCV's drawing and codecs assume BGR: use imageToBgrMat for those).
 * Step padding is dropped and 16/32-bit elements are in host byte order.
 */
export function imageToMat(img: Image): Mat {
  const info = validateImage(img);
  const bytes = tightHostBytes(img, info);
  return withCv('building a Mat', (c) => bytesToMat(c, bytes, img.height, img.width, cvTypeOf(info, c)));
}

/**
 * An Image from a Mat, with a tight step and host byte order. The Mat's type must be the one the
 * encoding implies (e.g. CV_8UC3 for rgb8 or bgr8: the caller vouches for the channel order).
 */
export function matToImage(mat: Mat, encoding: string, header: Header): Image {
  const info = encodingInfo(encoding);
  return withCv('reading a Mat', (c) => {
    if (mat.empty || mat.rows <= 0 || mat.cols <= 0) {
      fault('ZERO_SIZE', `cannot make a ${encoding} image from an empty ${mat.cols}x${mat.rows} Mat`);
    }
    if (mat.type !== cvTypeOf(info, c)) {
      fault(
        'WRONG_ENCODING',
        `a ${matTypeName(c, mat.type)} Mat cannot be ${encoding} (needs ${matTypeName(c, cvTypeOf(info, c))})`,
      );
    }
    const data = matBytes(mat);
    const img: Image = {
      header,
      height: mat.rows,
      width: mat.cols,
      encoding,
      is_bigendian: HOST_IS_BIGENDIAN_FLAG,
      step: mat.cols * bytesPerPixel(info),
      data,
    };
    validateImage(img);
    return img;
  });
}

/** Encodings that can serve as the colour input (converted to RGB on the way in). */
export const COLOR_INPUT_ENCODINGS = [
  'rgb8',
  'bgr8',
  'rgba8',
  'bgra8',
  'mono8',
  '8UC1',
  'mono16',
  'yuv422',
  'yuv422_yuy2',
] as const;

/** Checks an image is well-formed and usable as the colour input; returns its layout. */
export function validateColorImage(img: Image): EncodingInfo {
  const info = validateImage(img);
  requireEncoding(img, COLOR_INPUT_ENCODINGS, 'the colour input');
  return info;
}

type Order = 'rgb' | 'bgr';

/** OpenCV cvtColor codes from each colour-input encoding to RGB / BGR; null = no conversion. */
function conversionCode(c: Cv, encoding: string, order: Order): number | null {
  const rgb = order === 'rgb';
  switch (encoding) {
    case 'rgb8':
      return rgb ? null : c.COLOR_RGB2BGR;
    case 'bgr8':
      return rgb ? c.COLOR_BGR2RGB : null;
    case 'rgba8':
      return rgb ? c.COLOR_RGBA2RGB : c.COLOR_RGBA2BGR;
    case 'bgra8':
      return rgb ? c.COLOR_BGRA2RGB : c.COLOR_BGRA2BGR;
    case 'yuv422':
      return rgb ? c.COLOR_YUV2RGB_UYVY : c.COLOR_YUV2BGR_UYVY;
    case 'yuv422_yuy2':
      return rgb ? c.COLOR_YUV2RGB_YUYV : c.COLOR_YUV2BGR_YUYV;
    default: // mono8, 8UC1, mono16 (after scaling to 8 bits)
      return rgb ? c.COLOR_GRAY2RGB : c.COLOR_GRAY2BGR;
  }
}

/** 8-bit 3-channel Mat in the given order from any colour-input encoding. */
export function imageToColorMat(img: Image, order: Order): Mat {
  validateColorImage(img);
  const mat = imageToMat(img);
  return withCv(`converting ${img.encoding} to ${order}`, (c) => {
    // cv_bridge's 16→8-bit scaling: full range onto full range.
    const src = img.encoding === 'mono16' ? mat.convertTo(c.CV_8UC1, 255 / 65535) : mat;
    const code = conversionCode(c, img.encoding, order);
    return code === null ? src : src.cvtColor(code);
  });
}

/** BGR Mat from any colour-input encoding, for OpenCV drawing and codecs (overlays). */
export function imageToBgrMat(img: Image): Mat {
  return imageToColorMat(img, 'bgr');
}

/** Tight RGB bytes (3 per pixel, row-major) from any colour-input encoding. */
export function imageToRgb(img: Image): Uint8Array {
  validateColorImage(img);
  // Already tight RGB: hand back the caller's bytes without a round trip through OpenCV.
  if (img.encoding === 'rgb8' && img.step === img.width * 3) return img.data;
  return matBytes(imageToColorMat(img, 'rgb'));
}
