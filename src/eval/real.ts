// `grasp-perception eval real`: the perception node's path (model, grasp source, camera resolution) on
// an integrator's own labelled RGB-D frames, or on a simulator dataset's held-out scenes in the same
// terms. Frame layout: one directory per frame with rgb.png, depth.png (16-bit mm, aligned),
// camera.yaml (camera_calibration), objects.png (0 = not an object, k = object k) and an optional
// meta.json ({ empty_scene, instances_reliable }). Metric definitions: docs/grasping.md#eval-real.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type CameraModel,
  cameraInfoFromCalibrationYaml,
  cameraModelFromInfo,
  decodeDepth,
  decodePng,
  type DepthImage,
  ImageFormatError,
} from '../image';
import { evaluationImages, type EvaluationSplit, loadScene, openDataset } from '../dataset';
import { type Image, PACKAGE_ROOT } from '../msg';
import { openModel, type ModelSession } from '../models/session';
import { type GraspStageParams, needsModel, perceiveFrame } from '../perception/grasp-source';
import { type CameraGrasp, type CameraInstance, type PerceptionParams } from '../perception/pipeline';
import { rgbImage } from '../perception/preprocess';
import { averagePrecision } from './metrics';

/** One labelled frame. */
export interface LabelledFrame {
  name: string;
  color: Image;
  depth: DepthImage;
  camera: CameraModel;
  /** Object id per pixel, 0 = not a graspable object. */
  objects: Uint16Array;
  emptyScene: boolean;
  instancesReliable: boolean;
}

/** A grasp hits when its pixel is within this many pixels of an object pixel. */
export const HIT_RADIUS_PX = 3;
/** A grasp scoring at least this is confident. */
export const CONFIDENT_SCORE = 0.5;
export const PRECISION_KS = [1, 5, 10] as const;

const FRAME_FILES = ['rgb.png', 'depth.png', 'camera.yaml', 'objects.png'] as const;

function readBytes(file: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${file}: ${code === 'ENOENT' ? 'missing' : `cannot read (${code ?? String(err)})`}`, {
      cause: err,
    });
  }
}

/** Runs `read`; an image or calibration fault becomes one line naming the file. */
function inFile<T>(file: string, read: () => T, expected: string): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ImageFormatError)
      throw new Error(`${file}: ${err.message} (${expected})`, { cause: err });
    throw err;
  }
}

const metaSchema = (file: string, raw: unknown): { emptyScene?: boolean; instancesReliable?: boolean } => {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error(`${file}: not a JSON object`);
  const o = raw as Record<string, unknown>;
  for (const k of ['empty_scene', 'instances_reliable']) {
    if (k in o && typeof o[k] !== 'boolean') throw new Error(`${file}: ${k} must be true or false`);
  }
  return {
    emptyScene: o.empty_scene as boolean | undefined,
    instancesReliable: o.instances_reliable as boolean | undefined,
  };
};

/** One frame directory; every fault is an Error whose message starts with the file. */
export function loadLabelledFrame(dir: string): LabelledFrame {
  const file = (f: string) => path.join(dir, f);
  const rgbFile = file('rgb.png');
  const color = inFile(rgbFile, () => decodePng(readBytes(rgbFile)), 'an 8-bit colour PNG expected');
  if (!['rgb8', 'rgba8', 'mono8'].includes(color.encoding)) {
    throw new Error(`${rgbFile}: expected an 8-bit colour PNG, got ${color.encoding}`);
  }
  const depthFile = file('depth.png');
  const depth = inFile(
    depthFile,
    () => decodeDepth(decodePng(readBytes(depthFile), undefined, '16UC1')),
    'a 16-bit PNG in millimetres expected',
  );
  const camFile = file('camera.yaml');
  const info = cameraInfoFromCalibrationYaml(Buffer.from(readBytes(camFile)).toString('utf8'), camFile);
  const camera = inFile(camFile, () => cameraModelFromInfo(info, color), 'camera_calibration YAML expected');
  const objFile = file('objects.png');
  const objImage = inFile(
    objFile,
    () => decodePng(readBytes(objFile)),
    'an 8- or 16-bit instance PNG expected',
  );
  if (!['mono8', 'mono16', '8UC1', '16UC1'].includes(objImage.encoding)) {
    throw new Error(
      `${objFile}: expected a single-channel 8- or 16-bit instance mask, got ${objImage.encoding}`,
    );
  }
  for (const [f, img] of [
    [depthFile, depth],
    [objFile, objImage],
  ] as const) {
    if (img.width !== color.width || img.height !== color.height) {
      throw new Error(
        `${f} is ${img.width}x${img.height}, ${rgbFile} is ${color.width}x${color.height}: it must be aligned to colour`,
      );
    }
  }
  const n = color.width * color.height;
  const objects = new Uint16Array(n);
  const wide = objImage.encoding === 'mono16' || objImage.encoding === '16UC1';
  const bytes = objImage.data;
  const rowBytes = objImage.step;
  for (let v = 0; v < color.height; v++) {
    for (let u = 0; u < color.width; u++) {
      const o = v * rowBytes + (wide ? 2 * u : u);
      objects[v * color.width + u] = wide
        ? objImage.is_bigendian
          ? (bytes[o] << 8) | bytes[o + 1]
          : bytes[o] | (bytes[o + 1] << 8)
        : bytes[o];
    }
  }
  let meta: { emptyScene?: boolean; instancesReliable?: boolean } = {};
  const metaFile = file('meta.json');
  if (fs.existsSync(metaFile)) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    } catch (err) {
      throw new Error(`${metaFile}: not JSON (${(err as Error).message})`, { cause: err });
    }
    meta = metaSchema(metaFile, raw);
  }
  return {
    name: path.basename(dir),
    color,
    depth,
    camera,
    objects,
    emptyScene: meta.emptyScene ?? !objects.some((o) => o > 0),
    instancesReliable: meta.instancesReliable ?? true,
  };
}

/** The frame directories of DIR (sorted), or DIR itself when it holds one frame's files. */
export function frameDirectories(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a directory`);
  if (FRAME_FILES.some((f) => fs.existsSync(path.join(dir, f)))) return [dir];
  const dirs = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(dir, e.name))
    .sort();
  if (dirs.length === 0) {
    throw new Error(`${dir}: no frames (a directory per frame with ${FRAME_FILES.join(', ')} expected)`);
  }
  return dirs;
}

/** A simulator dataset's evaluation scenes as labelled frames (objects = visible instance masks). */
export function datasetFrames(
  dir: string,
  split: EvaluationSplit = 'test',
  limit = Infinity,
): LabelledFrame[] {
  const ds = openDataset(dir);
  const { images, annotations } = evaluationImages(ds, split);
  return images.slice(0, limit).map((image) => {
    const scene = loadScene(ds, image, annotations);
    const { width, height } = image;
    const objects = new Uint16Array(width * height);
    scene.annotations.forEach(({ visible }, k) => {
      for (let i = 0; i < visible.length; i++) if (visible[i]) objects[i] = k + 1;
    });
    const { fx, fy, cx, cy } = image.intrinsics;
    return {
      name: image.scene,
      color: rgbImage(width, height, scene.rgb),
      depth: { width, height, metres: scene.depth },
      camera: { width, height, fx, fy, cx, cy, distortionModel: 'plumb_bob', d: [] },
      objects,
      emptyScene: scene.annotations.length === 0,
      instancesReliable: true,
    };
  });
}

/** Object id at or nearest to (u, v) within HIT_RADIUS_PX, 0 when none. */
export function objectNear(
  f: { objects: Uint16Array; camera: { width: number; height: number } },
  u: number,
  v: number,
): number {
  const { width, height } = f.camera;
  const r = HIT_RADIUS_PX;
  let best = 0;
  let bestD = Infinity;
  for (let y = Math.max(0, Math.round(v) - r); y <= Math.min(height - 1, Math.round(v) + r); y++) {
    for (let x = Math.max(0, Math.round(u) - r); x <= Math.min(width - 1, Math.round(u) + r); x++) {
      const id = f.objects[y * width + x];
      const d = (x - u) ** 2 + (y - v) ** 2;
      if (id > 0 && d <= r * r && d < bestD) {
        best = id;
        bestD = d;
      }
    }
  }
  return best;
}

/** Fraction of valid-depth pixels within HIT_RADIUS_PX of an object: a random pixel's precision. */
export function randomPixelPrecision(f: LabelledFrame): number {
  let hits = 0;
  let total = 0;
  const { width, height } = f.camera;
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      if (!(f.depth.metres[v * width + u] > 0)) continue;
      total++;
      if (objectNear(f, u, v) > 0) hits++;
    }
  }
  return total > 0 ? hits / total : 0;
}

export interface FrameMetrics {
  frame: string;
  empty_scene: boolean;
  instances_reliable: boolean;
  objects: number;
  grasps: number;
  /** Per k: hits among the first min(k, grasps) grasps / min(k, grasps); null on empty scenes; 0 when no grasp was returned. */
  precision_at: Record<string, number | null>;
  /** Objects hit by the first 10 grasps / objects (reliable, non-empty frames only). */
  objects_hit_at_10: number | null;
  recall_at_10: number | null;
  confident: number;
  confident_off_objects: number;
  instances: number;
  /** Valid-depth pixels within HIT_RADIUS_PX of an object: a random pixel's precision. */
  random_pixel_precision: number;
  top_grasps: { u: number; v: number; score: number; hit: boolean }[];
}

export interface RealMetrics {
  data: string;
  model: string | null;
  grasp_source: string;
  frames: number;
  precision_at: Record<string, { mean: number | null; frames: number }>;
  recall_at_10: { value: number | null; frames: number; objects: number };
  confident_off_objects: number;
  confident_on_empty: { grasps: number; frames: number };
  visible_mask_ap50: { value: number | null; frames: number };
  random_pixel_precision: number | null;
  per_frame: FrameMetrics[];
}

interface MaskDet {
  score: number;
  iou: number[];
}

/** IoU of a camera instance's visible mask with each object of the frame (ids 1..K). */
function instanceIoUs(inst: CameraInstance, f: LabelledFrame, areas: number[]): number[] {
  const inter = new Array<number>(areas.length).fill(0);
  let area = 0;
  const { x, y, width, height } = inst.crop;
  const cw = f.camera.width;
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      if (!inst.visibleMask[j * width + i]) continue;
      area++;
      const id = f.objects[(y + j) * cw + x + i];
      if (id > 0 && id <= areas.length) inter[id - 1]++;
    }
  }
  return areas.map((a, k) => (a + area - inter[k] > 0 ? inter[k] / (a + area - inter[k]) : 0));
}

/** Per-frame grasp metrics (pure). */
export function frameMetrics(
  f: LabelledFrame,
  grasps: readonly CameraGrasp[],
  instances: number,
): FrameMetrics {
  const ids = new Set<number>();
  for (const o of f.objects) if (o > 0) ids.add(o);
  const hitIds = grasps.map((g) => objectNear(f, g.u, g.v));
  const precision: Record<string, number | null> = {};
  for (const k of PRECISION_KS) {
    const n = Math.min(k, grasps.length);
    precision[String(k)] = f.emptyScene
      ? null
      : n === 0
        ? 0
        : hitIds.slice(0, n).filter((h) => h > 0).length / n;
  }
  const covered = new Set(hitIds.slice(0, 10).filter((h) => h > 0));
  const recallApplies = f.instancesReliable && !f.emptyScene && ids.size > 0;
  const confident = grasps.filter((g) => g.score >= CONFIDENT_SCORE);
  return {
    frame: f.name,
    empty_scene: f.emptyScene,
    instances_reliable: f.instancesReliable,
    objects: ids.size,
    grasps: grasps.length,
    precision_at: precision,
    objects_hit_at_10: recallApplies ? covered.size : null,
    recall_at_10: recallApplies ? covered.size / ids.size : null,
    confident: confident.length,
    confident_off_objects: grasps.filter((g, i) => g.score >= CONFIDENT_SCORE && hitIds[i] === 0).length,
    instances,
    random_pixel_precision: randomPixelPrecision(f),
    top_grasps: grasps
      .slice(0, 10)
      .map((g, i) => ({ u: g.u, v: g.v, score: +g.score.toFixed(4), hit: hitIds[i] > 0 })),
  };
}

/** Pools per-frame metrics; `maskImages` are the reliable frames' instance masks for AP50. */
export function poolMetrics(
  perFrame: FrameMetrics[],
  maskImages: { detections: MaskDet[]; groundTruths: number[] }[] | null,
  info: { data: string; model: string | null; source: string },
): RealMetrics {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const precision: RealMetrics['precision_at'] = {};
  for (const k of PRECISION_KS) {
    const xs = perFrame.map((f) => f.precision_at[String(k)]).filter((x): x is number => x !== null);
    precision[String(k)] = { mean: mean(xs), frames: xs.length };
  }
  const recallFrames = perFrame.filter((f) => f.recall_at_10 !== null);
  const objects = recallFrames.reduce((s, f) => s + f.objects, 0);
  const hit = recallFrames.reduce((s, f) => s + (f.objects_hit_at_10 ?? 0), 0);
  const empties = perFrame.filter((f) => f.empty_scene);
  let ap: number | null = null;
  if (maskImages && maskImages.length > 0) {
    const v = averagePrecision(maskImages, {
      score: (d) => d.score,
      ignore: () => false,
      similarity: (d, g) => d.iou[g],
      thresholds: [0.5],
    });
    ap = Number.isNaN(v) ? null : v;
  }
  return {
    data: info.data,
    model: info.model,
    grasp_source: info.source,
    frames: perFrame.length,
    precision_at: precision,
    recall_at_10: { value: objects > 0 ? hit / objects : null, frames: recallFrames.length, objects },
    confident_off_objects: perFrame.reduce((s, f) => s + f.confident_off_objects, 0),
    confident_on_empty: { grasps: empties.reduce((s, f) => s + f.confident, 0), frames: empties.length },
    visible_mask_ap50: { value: ap, frames: maskImages?.length ?? 0 },
    random_pixel_precision: mean(perFrame.filter((f) => !f.empty_scene).map((f) => f.random_pixel_precision)),
    per_frame: perFrame,
  };
}

export interface RealEvalOptions {
  /** A directory of frame directories, one frame directory, or a simulator dataset (dataset.json). */
  data: string;
  /** Perception model manifest; not needed (and not loaded) for the geometric source. */
  model?: string;
  stage: GraspStageParams;
  params: PerceptionParams;
  threads?: number;
  /** Simulator datasets: the split evaluated and the most scenes. */
  split?: EvaluationSplit;
  limit?: number;
  onFrame?: (done: number, total: number) => void;
}

/** Every frame through the node's pipeline at camera resolution, then the metrics. */
export async function evaluateReal(o: RealEvalOptions): Promise<RealMetrics> {
  const isDataset = fs.existsSync(path.join(o.data, 'dataset.json'));
  const dirs = isDataset ? [] : frameDirectories(o.data);
  // Load (and so validate) every frame before the model: a bad file is reported at once.
  const frames = isDataset
    ? datasetFrames(o.data, o.split, o.limit)
    : dirs.slice(0, o.limit ?? Infinity).map(loadLabelledFrame);
  let session: ModelSession | null = null;
  if (needsModel(o.stage.source)) {
    if (!o.model) throw new Error(`the ${o.stage.source} grasp source needs --model`);
    // Relative manifests: from the working directory, else from the package (as `infer` reads them).
    const manifest = fs.existsSync(o.model) ? o.model : path.join(PACKAGE_ROOT, o.model);
    session = await openModel(manifest, { intraOpThreads: o.threads ?? 1, warmupRuns: 1 });
    if (session.manifest.task !== 'perception') {
      await session.release();
      throw new Error(`${o.model}: a ${session.manifest.task} model; eval real needs a perception model`);
    }
  }
  try {
    const perFrame: FrameMetrics[] = [];
    const masks: { detections: MaskDet[]; groundTruths: number[] }[] = [];
    for (const [i, f] of frames.entries()) {
      const out = await perceiveFrame(
        session,
        { color: f.color, depth: f.depth, camera: f.camera },
        o.params,
        o.stage,
        () => undefined,
      );
      perFrame.push(frameMetrics(f, out.grasps, out.instances.length));
      if (f.instancesReliable) {
        let ids = 0;
        for (const id of f.objects) if (id > ids) ids = id;
        const areas = new Array<number>(ids).fill(0);
        for (const id of f.objects) if (id > 0) areas[id - 1]++;
        const present = areas.map((a, k) => (a > 0 ? k : -1)).filter((k) => k >= 0);
        masks.push({
          detections: out.instances.map((inst) => ({ score: inst.score, iou: instanceIoUs(inst, f, areas) })),
          groundTruths: present,
        });
      }
      o.onFrame?.(i + 1, frames.length);
    }
    return poolMetrics(perFrame, session ? masks : null, {
      data: o.data,
      model: session ? session.manifest.name : null,
      source: o.stage.source,
    });
  } finally {
    await session?.release();
  }
}

const SECTION_BEGIN = '<!-- real-frames begin (grasp-perception eval real --write-results; do not edit) -->';
const SECTION_END = '<!-- real-frames end -->';

/** RESULTS.md's real-frames section: every grasp source side by side on the same frames. */
export function realFramesSection(
  results: readonly RealMetrics[],
  o: { data: string; label: string; threads: number; date?: string; machine?: string },
): string {
  const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(2));
  const first = results[0];
  const frames = first?.frames ?? 0;
  const empties = first?.confident_on_empty.frames ?? 0;
  const date = o.date ?? new Date().toISOString().slice(0, 10);
  const machine = o.machine ?? `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${String(os.cpus().length)} cores`;
  const title = o.label ? `${o.label} (${frames} frames)` : `${path.basename(o.data)} (${frames} frames)`;
  return [
    SECTION_BEGIN,
    `## Real frames: ${title}`,
    '',
    `Measured by \`grasp-perception eval real --data ${o.data} --write-results models/RESULTS.md\` on ${date}, on ${machine},`,
    `${String(o.threads)} intra-op thread(s): perception_node's path and parameters at camera resolution, each grasp source in turn.`,
    'A grasp hits when its pixel is within 3 px of an object pixel; P@k divides by min(k, grasps returned) and is',
    `averaged over the ${String(first?.precision_at['1'].frames ?? 0)} frames with objects; object recall@10 pools the frames whose instances are reliable`,
    `(${String(first?.recall_at_10.frames ?? 0)} frames, ${String(first?.recall_at_10.objects ?? 0)} objects); confident = score ≥ 0.5; ${String(empties)} empty scene(s). A development set: looked at,`,
    'never trained on; too few frames for intervals, so read differences of one grasp as noise. Definitions: docs/grasping.md.',
    '',
    '| grasp source | model | P@1 | P@5 | P@10 | object recall@10 | confident off objects | confident on empty | visible-mask AP50 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (m) =>
        `| ${m.grasp_source} | ${m.model ?? '—'} | ${f(m.precision_at['1'].mean)} | ${f(m.precision_at['5'].mean)} | ${f(m.precision_at['10'].mean)} | ${f(m.recall_at_10.value)} | ${m.confident_off_objects} | ${m.confident_on_empty.grasps} | ${m.model ? f(m.visible_mask_ap50.value) : 'n/a'} |`,
    ),
    `| random pixel (baseline) | — | ${f(first?.random_pixel_precision ?? null)} | ${f(first?.random_pixel_precision ?? null)} | ${f(first?.random_pixel_precision ?? null)} | — | — | — | — |`,
    SECTION_END,
  ].join('\n');
}

/** The section as RESULTS.md holds it ('' when absent), so regenerating the other tables keeps it. */
export function readRealSection(resultsFile: string): string {
  if (!fs.existsSync(resultsFile)) return '';
  const old = fs.readFileSync(resultsFile, 'utf8');
  const i = old.indexOf(SECTION_BEGIN);
  const j = old.indexOf(SECTION_END);
  return i >= 0 && j > i ? old.slice(i, j + SECTION_END.length) : '';
}

/** Replaces (or appends) the real-frames section of a RESULTS.md. */
export function writeRealSection(resultsFile: string, section: string): void {
  const old = fs.existsSync(resultsFile) ? fs.readFileSync(resultsFile, 'utf8') : '# Results\n';
  const i = old.indexOf(SECTION_BEGIN);
  const j = old.indexOf(SECTION_END);
  const next =
    i >= 0 && j > i
      ? `${old.slice(0, i)}${section}${old.slice(j + SECTION_END.length)}`
      : `${old.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(resultsFile, next);
}
