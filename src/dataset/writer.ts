import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeDepth16, encodePng } from '../image';
import { type Header } from '../msg';
import { BinPickingSim, type CroppedMask, deriveSeed, Rng, SEMANTIC_CLASSES, type SimFrame } from '../sim';
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
  /** Objects per scene are drawn uniformly from this range. */
  readonly objects?: readonly [number, number];
  readonly onProgress?: (done: number, total: number) => void;
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

/**
 * Renders `scenes` random-clutter scenes and writes them in the dataset format: same options →
 * byte-identical files (every random draw is derived from `seed`).
 */
export async function writeDataset(o: DatasetOptions): Promise<Manifest> {
  if (!Number.isInteger(o.scenes) || o.scenes < 1)
    throw new Error(`--scenes must be a positive integer, got ${o.scenes}`);
  const [minObjects, maxObjects] = o.objects ?? [3, 15];
  const splits = assignSplits(o.scenes, o.seed, o.split);
  const files = Object.fromEntries(
    SPLITS.map((s) => [s, { images: [] as ImageRecord[], annotations: [] as Annotation[] }]),
  ) as Record<SplitName, { images: ImageRecord[]; annotations: Annotation[] }>;
  const scale = o.width / 640;
  const camera = { width: o.width, height: o.height, fx: 615 * scale, fy: 615 * scale };
  fs.mkdirSync(o.out, { recursive: true });
  let annId = 1;
  for (let i = 0; i < o.scenes; i++) {
    const seed = deriveSeed(o.seed, `scene-${i}`) & 0x7fffffff;
    const count = minObjects + new Rng(seed).int(maxObjects - minObjects + 1);
    const sim = await BinPickingSim.random({ count, seed }, { camera });
    try {
      const split = splits[i];
      const rel = `${split}/scene_${String(i).padStart(5, '0')}`;
      const { image, annotations } = writeScene(o.out, rel, i, sim.frame({ realism: true }), seed, annId);
      annId += annotations.length;
      files[split].images.push(image);
      files[split].annotations.push(...annotations);
    } finally {
      sim.dispose();
    }
    o.onProgress?.(i + 1, o.scenes);
  }
  const categories = SEMANTIC_CLASSES.filter((c) => c.id >= 2).map((c) => ({ id: c.id, name: c.name }));
  for (const split of SPLITS) {
    const content: AnnotationsFile = {
      info: { format_version: FORMAT_VERSION, split, description: 'grasp_perception simulator dataset' },
      images: files[split].images,
      annotations: files[split].annotations,
      categories,
    };
    fs.mkdirSync(path.join(o.out, split), { recursive: true });
    fs.writeFileSync(path.join(o.out, split, 'annotations.json'), JSON.stringify(content));
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
  };
  fs.writeFileSync(path.join(o.out, 'dataset.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
