import { type CompressedImage, type Header, type Image } from '../msg';
import { encodeFloat32Image } from './depth';
import { ENCODINGS, validateImage } from './encodings';
import { CompressedImageError, fault } from './errors';
import { imageToMat, matToImage, matTypeName } from './mat';
import { type Cv, type Mat, withCv } from './opencv';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** compressed_depth_image_transport's ConfigHeader: int32 format, float32 depthParam[2]. */
const DEPTH_CONFIG_HEADER_BYTES = 12;

const EMPTY_HEADER: Header = { stamp: { sec: 0, nanosec: 0 }, frame_id: '' };

const EIGHT_BIT_TARGETS = ['rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8', '8UC1'];
const SIXTEEN_BIT_TARGETS = ['16UC1', 'mono16'];

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.byteLength < offset + signature.length) return false;
  return signature.every((b, i) => bytes[offset + i] === b);
}

function checkBytes(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array)) {
    fault('BAD_DATA_TYPE', `${what} must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  if (bytes.byteLength === 0) fault('EMPTY_DATA', `${what} is empty`);
}

/**
 * The Mat OpenCV's encoders expect: gray, BGR or BGRA, 8- or 16-bit. JPEG is 8-bit without
 * alpha; PNG keeps alpha and 16 bits. yuv422 and 32FC1 have no lossless PNG form: convert first.
 */
function codecMat(img: Image, codec: 'png' | 'jpeg'): Mat {
  const info = validateImage(img);
  if (info.kind === 'yuv' || info.elementBytes === 4 || (codec === 'jpeg' && info.elementBytes !== 1)) {
    fault(
      'WRONG_ENCODING',
      `${codec.toUpperCase()} cannot hold ${img.encoding}; ${codec === 'png' ? 'rgb8, bgr8, rgba8, bgra8, mono8, mono16 or 16UC1' : 'an 8-bit encoding'} is needed`,
    );
  }
  const mat = imageToMat(img);
  return withCv(`preparing ${img.encoding} for ${codec}`, (c) => {
    const alpha = codec === 'png';
    switch (img.encoding) {
      case 'rgb8':
        return mat.cvtColor(c.COLOR_RGB2BGR);
      case 'rgba8':
        return mat.cvtColor(alpha ? c.COLOR_RGBA2BGRA : c.COLOR_RGBA2BGR);
      case 'bgra8':
        return alpha ? mat : mat.cvtColor(c.COLOR_BGRA2BGR);
      default:
        return mat;
    }
  });
}

/**
 * Lossless PNG of an 8-bit (rgb8, bgr8, rgba8, bgra8, mono8, 8UC1) or 16-bit (mono16, 16UC1)
 * image; 16-bit stays 16-bit, so depth in millimetres survives exactly. `compression` 0–9 trades
 * size for speed (zlib level).
 */
export function encodePng(img: Image, compression = 3): Uint8Array {
  if (!Number.isInteger(compression) || compression < 0 || compression > 9) {
    fault('INVALID_ARGUMENT', `PNG compression must be an integer 0–9, got ${compression}`);
  }
  const mat = codecMat(img, 'png');
  return withCv(
    'encoding PNG',
    (c) => new Uint8Array(c.imencode('.png', mat, [c.IMWRITE_PNG_COMPRESSION, compression])),
  );
}

/** JPEG of an 8-bit image (alpha dropped), quality 1–100. */
export function encodeJpeg(img: Image, quality = 90): Uint8Array {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    fault('INVALID_ARGUMENT', `JPEG quality must be an integer 1–100, got ${quality}`);
  }
  const mat = codecMat(img, 'jpeg');
  return withCv(
    'encoding JPEG',
    (c) => new Uint8Array(c.imencode('.jpg', mat, [c.IMWRITE_JPEG_QUALITY, quality])),
  );
}

/** imdecode as-is (no colour or depth conversion); anything that does not decode is COMPRESSED_CORRUPT. */
function decodeMat(c: Cv, bytes: Uint8Array, what: string): Mat {
  let mat: Mat;
  try {
    mat = c.imdecode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), c.IMREAD_UNCHANGED);
  } catch (err) {
    throw new CompressedImageError(
      'COMPRESSED_CORRUPT',
      `${what} does not decode: ${(err as Error).message}`,
    );
  }
  if (!mat || mat.empty || mat.rows === 0 || mat.cols === 0) {
    fault('COMPRESSED_CORRUPT', `${what} does not decode (${bytes.byteLength} bytes)`);
  }
  return mat;
}

/** Encodings a decoded Mat can become, the default first. */
function targetsFor(c: Cv, mat: Mat): string[] {
  if (mat.type === c.CV_16UC1) return SIXTEEN_BIT_TARGETS;
  if (mat.type === c.CV_8UC1) return ['mono8', ...EIGHT_BIT_TARGETS.filter((e) => e !== 'mono8')];
  if (mat.type === c.CV_8UC3) return EIGHT_BIT_TARGETS;
  if (mat.type === c.CV_8UC4) return ['rgba8', ...EIGHT_BIT_TARGETS.filter((e) => e !== 'rgba8')];
  return [];
}

/** Converts a decoded (gray / BGR / BGRA, 8- or 16-bit) Mat to an Image in `target`. */
function decodedToImage(c: Cv, mat: Mat, target: string, header: Header): Image {
  const from = mat.channels; // 1, 3 or 4
  const to = ENCODINGS[target].channels;
  const bgrFirst = target.startsWith('bgr');
  const codes: Record<number, Record<number, number | null>> = {
    1: {
      1: null,
      3: bgrFirst ? c.COLOR_GRAY2BGR : c.COLOR_GRAY2RGB,
      4: bgrFirst ? c.COLOR_GRAY2BGRA : c.COLOR_GRAY2RGBA,
    },
    3: {
      1: c.COLOR_BGR2GRAY,
      3: bgrFirst ? null : c.COLOR_BGR2RGB,
      4: bgrFirst ? c.COLOR_BGR2BGRA : c.COLOR_BGR2RGBA,
    },
    4: {
      1: c.COLOR_BGRA2GRAY,
      3: bgrFirst ? c.COLOR_BGRA2BGR : c.COLOR_BGRA2RGB,
      4: bgrFirst ? null : c.COLOR_BGRA2RGBA,
    },
  };
  const code = codes[from][to];
  return matToImage(code === null ? mat : mat.cvtColor(code), target, header);
}

/**
 * Decodes PNG/JPEG (or any format OpenCV reads) to an Image. Without `encoding`: rgb8 for colour,
 * rgba8 with alpha, mono8 for gray, 16UC1 for 16-bit gray. With it: converted to that encoding if
 * the pixels allow (8-bit ↔ any 8-bit encoding; 16-bit gray → 16UC1 or mono16), else WRONG_ENCODING.
 */
export function decodeImageBytes(
  bytes: Uint8Array,
  header: Header = EMPTY_HEADER,
  encoding?: string,
  what = 'image data',
): Image {
  return decodeWith(bytes, header, what, encoding);
}

/** decodeImageBytes, plus a `preferred` encoding used only when the decoded pixels allow it. */
function decodeWith(
  bytes: Uint8Array,
  header: Header,
  what: string,
  encoding?: string,
  preferred?: string,
): Image {
  checkBytes(bytes, what);
  return withCv(`decoding ${what}`, (c) => {
    const mat = decodeMat(c, bytes, what);
    const targets = targetsFor(c, mat);
    if (targets.length === 0) {
      fault(
        'COMPRESSED_UNSUPPORTED',
        `${what} decodes to ${matTypeName(c, mat.type)}, which has no sensor_msgs encoding here (8-bit gray/colour or 16-bit gray)`,
      );
    }
    const target =
      encoding ?? (preferred !== undefined && targets.includes(preferred) ? preferred : targets[0]);
    if (!targets.includes(target)) {
      fault(
        'WRONG_ENCODING',
        `${what} decodes to ${matTypeName(c, mat.type)}, which cannot become '${target}' (possible: ${targets.join(', ')})`,
      );
    }
    return decodedToImage(c, mat, target, header);
  });
}

/** Decodes PNG bytes (8- or 16-bit) to an Image; see decodeImageBytes for the encoding chosen. */
export function decodePng(bytes: Uint8Array, header: Header = EMPTY_HEADER, encoding?: string): Image {
  checkBytes(bytes, 'PNG data');
  if (!startsWith(bytes, PNG_SIGNATURE)) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    fault('COMPRESSED_CORRUPT', `PNG data lacks the PNG signature (starts ${head})`);
  }
  return decodeImageBytes(bytes, header, encoding, 'PNG data');
}

/** sensor_msgs/CompressedImage `format`, parsed. */
export interface CompressedFormat {
  /** The raw image's encoding before compression ('rgb8' in 'rgb8; jpeg compressed bgr8'), if given. */
  readonly sourceEncoding?: string;
  /** 'jpeg', 'png', … lower case ('jpg' reads as 'jpeg'); '' when the format names none. */
  readonly codec: string;
  /** The encoding the codec was given ('bgr8' above), if given. */
  readonly compressedEncoding?: string;
  /** compressed_depth_image_transport's format ('16UC1; compressedDepth png'). */
  readonly depth: boolean;
}

/**
 * Parses image_transport format strings: 'jpeg', 'png' (old style), '<enc>; jpeg compressed
 * <enc>' (compressed), '<enc>; compressedDepth [png|rvl]' (compressedDepth; png when unnamed).
 */
export function parseCompressedFormat(format: string): CompressedFormat {
  const text = typeof format === 'string' ? format.trim() : '';
  const semi = text.indexOf(';');
  const source = semi >= 0 ? text.slice(0, semi).trim() : '';
  const tokens = (semi >= 0 ? text.slice(semi + 1) : text).trim().split(/\s+/).filter(Boolean);
  const norm = (t: string | undefined) => (t?.toLowerCase() === 'jpg' ? 'jpeg' : (t?.toLowerCase() ?? ''));
  const sourceEncoding = source || undefined;
  if (tokens[0]?.toLowerCase() === 'compresseddepth') {
    return { sourceEncoding, codec: norm(tokens[1]) || 'png', depth: true };
  }
  const compressedEncoding = tokens[1]?.toLowerCase() === 'compressed' ? tokens[2] : undefined;
  return { sourceEncoding, codec: norm(tokens[0]), compressedEncoding, depth: false };
}

/**
 * compressedDepth PNG: 16UC1/mono16 are the PNG's millimetres; 32FC1 is quantised inverse depth,
 * depth = A / (v − B) with A, B from the 12-byte header, and v = 0 meaning invalid (NaN).
 */
function decodeCompressedDepth(msg: CompressedImage, source: string): Image {
  const data = msg.data;
  // The PNG normally follows the 12-byte header; a bare PNG is tolerated where A and B are not needed.
  let payload = data;
  if (startsWith(data, PNG_SIGNATURE, DEPTH_CONFIG_HEADER_BYTES)) {
    payload = data.subarray(DEPTH_CONFIG_HEADER_BYTES);
  } else if (!startsWith(data, PNG_SIGNATURE) || source === '32FC1') {
    fault(
      'COMPRESSED_CORRUPT',
      `compressedDepth data (${data.byteLength} bytes) has no PNG after its ${DEPTH_CONFIG_HEADER_BYTES}-byte configuration header`,
    );
  }
  const what = `compressedDepth ${source} PNG`;
  return withCv(`decoding ${what}`, (c) => {
    const mat = decodeMat(c, payload, what);
    if (mat.type !== c.CV_16UC1) {
      fault('COMPRESSED_CORRUPT', `${what} decodes to ${matTypeName(c, mat.type)}, expected 16-bit gray`);
    }
    if (source !== '32FC1') return matToImage(mat, source, msg.header);
    const view = new DataView(data.buffer, data.byteOffset, DEPTH_CONFIG_HEADER_BYTES);
    const a = view.getFloat32(4, true);
    const b = view.getFloat32(8, true);
    if (!Number.isFinite(a) || !Number.isFinite(b) || a === 0) {
      fault('COMPRESSED_CORRUPT', `${what} has unusable quantisation parameters A=${a}, B=${b}`);
    }
    const raw = matToImage(mat, '16UC1', msg.header);
    const inv = new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.width * raw.height);
    const metres = new Float32Array(inv.length);
    for (let i = 0; i < inv.length; i++) {
      const d = inv[i] === 0 ? NaN : a / (inv[i] - b);
      metres[i] = d > 0 && d < Infinity ? d : NaN;
    }
    return encodeFloat32Image(metres, raw.width, raw.height, msg.header);
  });
}

/**
 * Decodes a sensor_msgs/CompressedImage from image_transport's `compressed` (jpeg, png) or
 * `compressedDepth` (png; 16UC1, mono16 or 32FC1) transports into an Image with the message's
 * header. The result takes the format's source encoding when the pixels allow it ('bgr8; jpeg
 * compressed bgr8' gives bgr8), otherwise the decodeImageBytes default; `encoding` overrides.
 */
export function decodeCompressedImage(msg: CompressedImage, encoding?: string): Image {
  if (msg === null || typeof msg !== 'object') fault('BAD_DATA_TYPE', `a CompressedImage must be an object`);
  const format = parseCompressedFormat(msg.format);
  if (format.depth) {
    const source = format.sourceEncoding ?? '16UC1';
    if (format.codec !== 'png') {
      fault(
        'COMPRESSED_UNSUPPORTED',
        `compressedDepth codec '${format.codec}' in '${msg.format}' is not supported (png)`,
      );
    }
    if (!['16UC1', 'mono16', '32FC1'].includes(source)) {
      fault(
        'COMPRESSED_UNSUPPORTED',
        `compressedDepth of '${source}' is not supported (16UC1, mono16 or 32FC1)`,
      );
    }
    checkBytes(msg.data, `compressed depth data (format '${msg.format}')`);
    const img = decodeCompressedDepth(msg, source);
    if (encoding !== undefined && encoding !== img.encoding) {
      fault(
        'WRONG_ENCODING',
        `compressedDepth '${msg.format}' decodes to ${img.encoding}, not '${encoding}'`,
      );
    }
    return img;
  }
  if (format.codec !== 'jpeg' && format.codec !== 'png') {
    fault(
      'COMPRESSED_UNSUPPORTED',
      `compressed format '${msg.format}' is not supported (jpeg or png, optionally '<encoding>; <codec> compressed <encoding>')`,
    );
  }
  const what = `compressed ${format.codec} data`;
  checkBytes(msg.data, `${what} (format '${msg.format}')`);
  return decodeWith(msg.data, msg.header, what, encoding, format.sourceEncoding);
}

export interface CompressOptions {
  readonly format: 'jpeg' | 'png';
  /** JPEG quality 1–100 (default 90). */
  readonly jpegQuality?: number;
  /** PNG zlib level 0–9 (default 3). */
  readonly pngCompression?: number;
}

/**
 * Image → CompressedImage with image_transport's format string ('rgb8; jpeg compressed bgr8'),
 * so image_transport's republisher and rqt decode it too.
 */
export function encodeCompressedImage(img: Image, options: CompressOptions): CompressedImage {
  if (!options || (options.format !== 'jpeg' && options.format !== 'png')) {
    fault('INVALID_ARGUMENT', `compressed format must be 'jpeg' or 'png', got '${options?.format}'`);
  }
  const info = validateImage(img);
  const data =
    options.format === 'jpeg' ? encodeJpeg(img, options.jpegQuality) : encodePng(img, options.pngCompression);
  const alpha = options.format === 'png' && info.channels === 4;
  const packed = info.kind === 'color' ? (alpha ? 'bgra8' : 'bgr8') : img.encoding;
  return { header: img.header, format: `${img.encoding}; ${options.format} compressed ${packed}`, data };
}
