import * as fs from 'node:fs';
import * as path from 'node:path';
import { fork } from 'node:child_process';
import { encodeDepth16, encodePng } from '../image';
import { type Header, PACKAGE_ROOT } from '../msg';
import {
  BinPickingSim,
  type Cell,
  type CroppedMask,
  defaultCameraConfig,
  deriveSeed,
  type FrameOptions,
  isObjectClass,
  loadCell,
  Rng,
  SEMANTIC_CLASSES,
  type SimFrame,
} from '../sim';
import {
  type Annotation,
  type AnnotationsFile,
  DEPTH_SCALE_M,
  FORMAT_VERSION,
  type ImageRecord,
  type Manifest,
  SPLITS,
  type SplitName,
  SUCTION_SCALE,
} from './format';
import { encodeRle } from './rle';

export interface DatasetOptions {
  readonly out: string;
  readonly scenes: number;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  /** Percentages for train/val/test, summing to 100. */
  readonly split: readonly [number, number, number];
  /** Objects per scene are drawn uniformly from this range (with a cell: replaces the cell's count). */
  readonly objects?: readonly [number, number];
  /** Cell file (cells/*.yaml); absent = the simulator's default scenes. */
  readonly cell?: string;
  /**
   * Worker processes rendering scenes in parallel (default 1: this process; the CLI's default is
   * the core count). They run the built copy (dist/dataset/worker.js).
   */
  readonly workers?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** What one scene needs to be rendered, by any worker. */
export interface SceneJob {
  index: number;
  rel: string;
  seed: number;
}

/** One written scene: its image record and annotations (ids from 0; renumbered in scene order). */
export interface SceneResult {
  index: number;
  image: ImageRecord;
  annotations: Annotation[];
  /** Bytes written for this scene (PNG and RLE in annotations are counted by the caller). */
  files: number;
}

const HEADER: Header = { stamp: { sec: 0, nanosec: 0 }, frame_id: '' };
const r6 = (v: number): number => Math.round(v * 1e6) / 1e6;

/** Parses '60/20/20' into three percentages summing to 100. */
export function parseSplit(text: string): [number, number, number] {
  const parts = text.split('/').map(Number);
  if (
    parts.length !== 3 ||
    parts.some((p) => !Number.isInteger(p) || p < 0) ||
    parts[0] + parts[1] + parts[2] !== 100
  ) {
    throw new Error(`--split must be three whole percentages summing to 100, like 60/20/20; got '${text}'`);
  }
  return parts as [number, number, number];
}

/** Scene index → split, by a seeded shuffle (so splits are by scene, and stable for a seed). */
export function assignSplits(
  scenes: number,
  seed: number,
  split: readonly [number, number, number],
): SplitName[] {
  const order = Array.from({ length: scenes }, (_, i) => i);
  const rng = new Rng(deriveSeed(seed, 'split'));
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nTrain = Math.round((scenes * split[0]) / 100);
  const nVal = Math.round((scenes * split[1]) / 100);
  const out = new Array<SplitName>(scenes);
  order.forEach((scene, k) => (out[scene] = k < nTrain ? 'train' : k < nTrain + nVal ? 'val' : 'test'));
  return out;
}

function fullMask(m: CroppedMask | null, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  if (!m) return out;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) if (m.data[y * m.width + x]) out[(m.y + y) * width + (m.x + x)] = 1;
  }
  return out;
}

const asBox = (b: { x: number; y: number; width: number; height: number } | null) =>
  b ? ([b.x, b.y, b.width, b.height] as [number, number, number, number]) : null;

function writePng(file: string, width: number, height: number, encoding: string, data: Uint8Array): void {
  // One PNG per label image; the dataset figure counts these files.
  const bpp = encoding === 'rgb8' ? 3 : encoding === 'mono8' ? 1 : 2;
  fs.writeFileSync(
    file,
    encodePng({ header: HEADER, width, height, encoding, is_bigendian: 0, step: width * bpp, data }),
  );
}

/** Writes one scene's images; returns its image record and annotations. */
function writeScene(
  dir: string,
  rel: string,
  imageId: number,
  frame: SimFrame,
  seed: number,
  firstAnnId: number,
) {
  const { width: w, height: h } = frame;
  fs.mkdirSync(path.join(dir, rel), { recursive: true });
  writePng(path.join(dir, rel, 'rgb.png'), w, h, 'rgb8', frame.rgb);
  fs.writeFileSync(path.join(dir, rel, 'depth.png'), encodePng(encodeDepth16(frame.depth, w, h, HEADER)));
  writePng(path.join(dir, rel, 'semantic.png'), w, h, 'mono8', frame.semantic);
  const suction = new Uint16Array(w * h);
  if (frame.suction)
    for (let i = 0; i < suction.length; i++) suction[i] = Math.round(frame.suction[i] * SUCTION_SCALE);
  writePng(path.join(dir, rel, 'suction.png'), w, h, 'mono16', new Uint8Array(suction.buffer));
  const image: ImageRecord = {
    id: imageId,
    scene: rel,
    width: w,
    height: h,
    rgb: `${rel}/rgb.png`,
    depth: `${rel}/depth.png`,
    semantic: `${rel}/semantic.png`,
    suction: `${rel}/suction.png`,
    intrinsics: {
      fx: frame.intrinsics.fx,
      fy: frame.intrinsics.fy,
      cx: frame.intrinsics.cx,
      cy: frame.intrinsics.cy,
    },
    camera_pose: {
      position: {
        x: r6(frame.cameraPose.position.x),
        y: r6(frame.cameraPose.position.y),
        z: r6(frame.cameraPose.position.z),
      },
      orientation: {
        x: r6(frame.cameraPose.orientation.x),
        y: r6(frame.cameraPose.orientation.y),
        z: r6(frame.cameraPose.orientation.z),
        w: r6(frame.cameraPose.orientation.w),
      },
    },
    seed,
    objects: frame.objects.length,
  };
  const annotations: Annotation[] = frame.objects
    .filter((o) => o.amodalMask && o.amodalArea > 0)
    .map((o, k) => ({
      id: firstAnnId + k,
      image_id: imageId,
      category_id: o.classId,
      object_id: o.id,
      bbox: asBox(o.amodalBox) as [number, number, number, number],
      visible_bbox: asBox(o.visibleBox),
      segmentation: encodeRle(fullMask(o.visibleMask, w, h), w, h),
      amodal_segmentation: encodeRle(fullMask(o.amodalMask, w, h), w, h),
      area: o.visibleArea,
      amodal_area: o.amodalArea,
      occlusion: r6(o.occlusion),
      occluded: o.occluded,
      center_of_mass: {
        camera: {
          x: r6(o.centerOfMassCamera.x),
          y: r6(o.centerOfMassCamera.y),
          z: r6(o.centerOfMassCamera.z),
        },
        pixel: { u: r6(o.centerOfMassPixel.u), v: r6(o.centerOfMassPixel.v) },
      },
      iscrowd: 0 as const,
    }));
  return { image, annotations };
}

/** Everything a worker needs to render scenes the way the main thread would. */
export interface RenderSettings {
  out: string;
  width: number;
  height: number;
  objects: readonly [number, number];
  cell: string | null;
  /** With a cell: the object count that replaces the cell's (null: the cell's own). */
  cellCount: readonly [number, number] | null;
}

/** Renders and writes one scene (the same bytes in any thread). */
export async function renderScene(
  settings: RenderSettings,
  cell: Cell | null,
  job: SceneJob,
): Promise<SceneResult> {
  let sim: BinPickingSim;
  const frameOptions: FrameOptions = { realism: true };
  // What a cell drew for this scene, on its image record (absent without a cell: same bytes as before).
  let cellRecord: Pick<ImageRecord, 'sensor' | 'misregistration_px' | 'tabletop'> = {};
  if (cell) {
    const counted = settings.cellCount
      ? {
          ...cell,
          objects: {
            count: settings.cellCount,
            entries: cell.objects.entries.map((e) => ({ ...e, count: null })),
          },
        }
      : cell;
    const made = await BinPickingSim.fromCell(counted, job.seed, { size: settings });
    // Its sensor model (frame defaults of the sim) replaces the generic depth noise.
    sim = made.sim;
    const { sensor, misregistration, tabletop } = made.sample;
    cellRecord = {
      ...(sensor ? { sensor } : {}),
      ...(misregistration[0] || misregistration[1] ? { misregistration_px: misregistration } : {}),
      ...(tabletop ? { tabletop } : {}),
    };
  } else {
    const [minObjects, maxObjects] = settings.objects;
    const count = minObjects + new Rng(job.seed).int(maxObjects - minObjects + 1);
    sim = await BinPickingSim.random(
      { count, seed: job.seed },
      { camera: defaultCameraConfig(settings.width, settings.height) },
    );
  }
  try {
    const { image, annotations } = writeScene(
      settings.out,
      job.rel,
      job.index,
      sim.frame(frameOptions),
      job.seed,
      0,
    );
    return { index: job.index, image: { ...image, ...cellRecord }, annotations, files: 4 };
  } finally {
    sim.dispose();
  }
}

/** The compiled worker (tests run from src/ with ts-jest, so they use the built copy in dist/). */
function workerFile(): string {
  const here = path.join(__dirname, 'worker.js');
  return fs.existsSync(here) ? here : path.join(PACKAGE_ROOT, 'dist', 'dataset', 'worker.js');
}

/**
 * Renders every job on `workers` processes, handing out scenes as they free up. Processes, not
 * threads: the OpenCV addon that encodes the PNGs cannot be loaded in worker threads.
 */
async function renderParallel(
  settings: RenderSettings,
  jobs: readonly SceneJob[],
  workers: number,
  onDone: (r: SceneResult) => void,
): Promise<void> {
  const file = workerFile();
  if (!fs.existsSync(file)) throw new Error(`dataset worker ${file} is missing: run \`npm run build\``);
  let next = 0;
  const children = Array.from({ length: Math.min(workers, jobs.length) }, () =>
    fork(file, [JSON.stringify(settings)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
  );
  try {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve, reject) => {
            let finished = false;
            const feed = (): void => {
              if (next >= jobs.length) {
                finished = true;
                return resolve();
              }
              child.send(jobs[next++]);
            };
            child.on('message', (m: SceneResult | { error: string }) => {
              if ('error' in m) return reject(new Error(m.error));
              onDone(m);
              feed();
            });
            child.once('error', reject);
            child.once('exit', (code, signal) => {
              if (!finished) reject(new Error(`dataset worker stopped (${signal ?? `exit code ${code}`})`));
            });
            feed();
          }),
      ),
    );
  } finally {
    // Wait until every worker has exited: none outlives the call (and their CPU time is then counted
    // as this process's children's, which the benchmark reads).
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill();
          }),
      ),
    );
  }
}

/**
 * Renders `scenes` scenes (random clutter, or a cell's scenes) and writes them in the dataset format:
 * same options → byte-identical files with any number of workers (every random draw is derived from
 * `seed` and the scene index, and annotations are gathered in scene order).
 */
export async function writeDataset(o: DatasetOptions): Promise<Manifest & { files: number }> {
  if (!Number.isInteger(o.scenes) || o.scenes < 1)
    throw new Error(`--scenes must be a positive integer, got ${o.scenes}`);
  const workers = o.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`--workers must be a positive integer, got ${workers}`);
  // Validate the cell before anything is written: a bad cell leaves no directory behind.
  const cell = o.cell ? loadCell(o.cell) : null;
  const settings: RenderSettings = {
    out: o.out,
    width: o.width,
    height: o.height,
    objects: o.objects ?? [3, 15],
    cell: o.cell ? path.resolve(o.cell) : null,
    cellCount: o.cell && o.objects ? o.objects : null,
  };
  const splits = assignSplits(o.scenes, o.seed, o.split);
  const jobs: SceneJob[] = splits.map((split, i) => ({
    index: i,
    rel: `${split}/scene_${String(i).padStart(5, '0')}`,
    seed: deriveSeed(o.seed, `scene-${i}`) & 0x7fffffff,
  }));
  fs.mkdirSync(o.out, { recursive: true });
  const results = new Array<SceneResult>(o.scenes);
  let done = 0;
  const collect = (r: SceneResult): void => {
    results[r.index] = r;
    o.onProgress?.(++done, o.scenes);
  };
  // One scene, or one worker: no process is worth forking.
  if (Math.min(workers, o.scenes) === 1) {
    for (const job of jobs) collect(await renderScene(settings, cell, job));
  } else {
    await renderParallel(settings, jobs, workers, collect);
  }
  const files = Object.fromEntries(
    SPLITS.map((s) => [s, { images: [] as ImageRecord[], annotations: [] as Annotation[] }]),
  ) as Record<SplitName, { images: ImageRecord[]; annotations: Annotation[] }>;
  let annId = 1;
  let written = 0;
  for (const [i, r] of results.entries()) {
    files[splits[i]].images.push(r.image);
    for (const a of r.annotations) files[splits[i]].annotations.push({ ...a, id: annId++ });
    written += r.files;
  }
  // Annotation categories: the object classes (families and custom), not background, bin, support, distractor.
  const objectClasses = SEMANTIC_CLASSES.filter((c) => isObjectClass(c.id));
  const categories = objectClasses.map(({ id, name }) => ({ id, name }));
  for (const split of SPLITS) {
    const content: AnnotationsFile = {
      info: { format_version: FORMAT_VERSION, split, description: 'grasp_perception simulator dataset' },
      images: files[split].images,
      annotations: files[split].annotations,
      categories,
    };
    fs.mkdirSync(path.join(o.out, split), { recursive: true });
    fs.writeFileSync(path.join(o.out, split, 'annotations.json'), JSON.stringify(content));
    written++;
  }
  const manifest: Manifest = {
    format_version: FORMAT_VERSION,
    generator: 'grasp-perception dataset',
    seed: o.seed,
    scenes: o.scenes,
    width: o.width,
    height: o.height,
    split: { train: files.train.images.length, val: files.val.images.length, test: files.test.images.length },
    depth_scale_m: DEPTH_SCALE_M,
    suction_scale: SUCTION_SCALE,
    semantic_classes: SEMANTIC_CLASSES.map((c) => ({ id: c.id, name: c.name })),
    ...(cell
      ? { cell: { name: cell.name, file: path.relative(o.out, path.resolve(o.cell as string)) } }
      : {}),
  };
  fs.writeFileSync(path.join(o.out, 'dataset.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  written++;
  return { ...manifest, files: written };
}
