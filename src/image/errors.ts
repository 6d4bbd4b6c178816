/**
 * Every way an Image, CompressedImage or CameraInfo (or an argument of this module) can be unusable.
 * One code per fault, so callers (diagnostics, tests) can switch on it without parsing messages.
 */
export const IMAGE_FAULT_CODES = [
  // sensor_msgs/Image layout
  'UNKNOWN_ENCODING',
  'BAD_DATA_TYPE',
  'EMPTY_DATA',
  'ZERO_SIZE',
  'STEP_TOO_SMALL',
  'STEP_MISALIGNED',
  'DATA_TRUNCATED',
  'DATA_TOO_LONG',
  'BAD_ENDIANNESS',
  'ODD_DIMENSIONS',
  'WRONG_ENCODING',
  // sensor_msgs/CompressedImage, PNG and JPEG bytes
  'COMPRESSED_UNSUPPORTED',
  'COMPRESSED_CORRUPT',
  // sensor_msgs/CameraInfo
  'INTRINSICS_MISSING',
  'BAD_INTRINSICS',
  'BAD_MATRIX_SIZE',
  'BAD_DISTORTION',
  'UNKNOWN_DISTORTION_MODEL',
  'BAD_ROI',
  'SIZE_MISMATCH',
  // Arguments that are not messages (tensor options, array lengths), and OpenCV failures.
  'INVALID_ARGUMENT',
  'OPENCV_ERROR',
] as const;

export type ImageFaultCode = (typeof IMAGE_FAULT_CODES)[number];

/**
 * A malformed image, compressed image or camera message. `code` says which fault; the message
 * names it with the numbers involved. The subclasses only group codes by message type, so
 * `instanceof ImageFormatError` catches everything this module throws for bad input.
 */
export class ImageFormatError extends Error {
  constructor(
    readonly code: ImageFaultCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImageFormatError';
  }
}

/** A CompressedImage (or PNG/JPEG bytes) that is unsupported or does not decode. */
export class CompressedImageError extends ImageFormatError {
  constructor(code: 'COMPRESSED_UNSUPPORTED' | 'COMPRESSED_CORRUPT', message: string) {
    super(code, message);
    this.name = 'CompressedImageError';
  }
}

const CAMERA_CODES = [
  'INTRINSICS_MISSING',
  'BAD_INTRINSICS',
  'BAD_MATRIX_SIZE',
  'BAD_DISTORTION',
  'UNKNOWN_DISTORTION_MODEL',
  'BAD_ROI',
] as const;
type CameraFaultCode = (typeof CAMERA_CODES)[number];

/** A CameraInfo whose intrinsics, distortion or ROI cannot describe a pinhole camera. */
export class CameraInfoError extends ImageFormatError {
  constructor(code: CameraFaultCode | 'ZERO_SIZE' | 'SIZE_MISMATCH', message: string) {
    super(code, message);
    this.name = 'CameraInfoError';
  }
}

/** Throws the error class that goes with `code`. Typed `never` so it narrows at call sites. */
export function fault(code: ImageFaultCode, message: string): never {
  if (code === 'COMPRESSED_UNSUPPORTED' || code === 'COMPRESSED_CORRUPT') {
    throw new CompressedImageError(code, message);
  }
  if ((CAMERA_CODES as readonly string[]).includes(code)) {
    throw new CameraInfoError(code as CameraFaultCode, message);
  }
  throw new ImageFormatError(code, message);
}

/** Throws a CameraInfoError (used for faults whose code is shared with Image, like SIZE_MISMATCH). */
export function cameraFault(code: CameraFaultCode | 'ZERO_SIZE' | 'SIZE_MISMATCH', message: string): never {
  throw new CameraInfoError(code, message);
}
