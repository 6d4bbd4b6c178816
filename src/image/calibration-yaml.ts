// ROS camera_calibration YAML (what camera_calibration writes and camera_info_manager reads) to a
// CameraInfo message, validated with zod so a bad file is one line naming the field.
import { parse } from 'yaml';
import { z } from 'zod';
import { type CameraInfo } from '../msg';

const matrix = (rows: number, cols: number) =>
  z.object({
    rows: z.literal(rows),
    cols: z.literal(cols),
    data: z.array(z.number()).length(rows * cols),
  });

const calibrationSchema = z.object({
  image_width: z.number().int().positive(),
  image_height: z.number().int().positive(),
  camera_name: z.string().optional(),
  camera_matrix: matrix(3, 3),
  distortion_model: z.string().default('plumb_bob'),
  distortion_coefficients: z.object({
    rows: z.number().int(),
    cols: z.number().int(),
    data: z.array(z.number()),
  }),
  rectification_matrix: matrix(3, 3).optional(),
  projection_matrix: matrix(3, 4).optional(),
});

export class CalibrationFileError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'CalibrationFileError';
  }
}

/** NUL, other control characters than tab/newline/CR, or bytes that are not UTF-8: not a text file. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what marks binary data
const BINARY = /[\u0000-\u0008\u000e-\u001f\ufffd]/;

export function cameraInfoFromCalibrationYaml(text: string, file = 'camera info'): CameraInfo {
  if (BINARY.test(text)) {
    const what = text.startsWith('\ufffdPNG')
      ? ' (a PNG image?)'
      : text.startsWith('\ufffd\ufffd\ufffd')
        ? ' (a JPEG image?)'
        : '';
    throw new CalibrationFileError(file, `binary data${what}, not a camera_calibration YAML file`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new CalibrationFileError(file, `not YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const r = calibrationSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CalibrationFileError(
      file,
      `${issue.path.join('.') || '(root)'}: ${issue.message} (camera_calibration format expected)`,
    );
  }
  const c = r.data;
  const k = c.camera_matrix.data;
  return {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: c.camera_name ?? 'camera' },
    height: c.image_height,
    width: c.image_width,
    distortion_model: c.distortion_model,
    d: Float64Array.from(c.distortion_coefficients.data),
    k: Float64Array.from(k),
    r: Float64Array.from(c.rectification_matrix?.data ?? [1, 0, 0, 0, 1, 0, 0, 0, 1]),
    p: Float64Array.from(
      c.projection_matrix?.data ?? [k[0], k[1], k[2], 0, k[3], k[4], k[5], 0, k[6], k[7], k[8], 0],
    ),
    binning_x: 0,
    binning_y: 0,
    roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
  };
}

/** The inverse, for tools that write a calibration file (tests, `sim render --camera-info`). */
export function calibrationYamlFromCameraInfo(info: CameraInfo, cameraName = 'camera'): string {
  const m = (rows: number, cols: number, data: ArrayLike<number>) =>
    `  rows: ${rows}\n  cols: ${cols}\n  data: [${Array.from(data).join(', ')}]\n`;
  return (
    `image_width: ${info.width}\nimage_height: ${info.height}\ncamera_name: ${cameraName}\n` +
    `camera_matrix:\n${m(3, 3, info.k)}distortion_model: ${info.distortion_model}\n` +
    `distortion_coefficients:\n${m(1, info.d.length, info.d)}rectification_matrix:\n${m(3, 3, info.r)}` +
    `projection_matrix:\n${m(3, 4, info.p)}`
  );
}
