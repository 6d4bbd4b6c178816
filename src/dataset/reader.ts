import * as fs from 'node:fs';
import * as path from 'node:path';
import { type z } from 'zod';
import { decodeDepth, decodePng } from '../image';
import {
  type Annotation,
  type AnnotationsFile,
  annotationsFileSchema,
  type ImageRecord,
  type Manifest,
  manifestSchema,
  SPLITS,
  type SplitName,
  SUCTION_SCALE,
} from './format';
import { decodeRle } from './rle';

export class DatasetFormatError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DatasetFormatError';
  }
}

function readJson<T>(file: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DatasetFormatError(
      file,
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not JSON (${(err as Error).message})`,
    );
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DatasetFormatError(file, `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data;
}

export interface Dataset {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly splits: Readonly<Record<SplitName, AnnotationsFile>>;
}

/** Opens a dataset written by `grasp-perception dataset`, validating its JSON files. */
export function openDataset(dir: string): Dataset {
  const manifest = readJson(path.join(dir, 'dataset.json'), manifestSchema);
  const splits = Object.fromEntries(
    SPLITS.map((s) => [s, readJson(path.join(dir, s, 'annotations.json'), annotationsFileSchema)]),
  ) as Record<SplitName, AnnotationsFile>;
  return { dir, manifest, splits };
}

/**
 * What evaluation runs on: the held-out test split (what is reported), the validation split (what designs,
 * thresholds and checkpoints are chosen on), or (asked for explicitly) every scene.
 */
export type EvaluationSplit = 'test' | 'val' | 'all';

/** Says, in an evaluation's output, that an `all` score is not a held-out one. */
export const ALL_SPLIT_NOTE = 'every scene evaluated, training scenes included: not a held-out score';

/**
 * The test split, or every scene with `split: 'all'`. A dataset without a test split is refused rather
 * than silently scored on the scenes a model was trained on.
 */
export function evaluationImages(
  ds: Dataset,
  split: EvaluationSplit = 'test',
): {
  split: EvaluationSplit;
  images: ImageRecord[];
  annotations: Annotation[];
} {
  if (split === 'all') {
    return {
      split: 'all',
      images: SPLITS.flatMap((s) => ds.splits[s].images),
      annotations: SPLITS.flatMap((s) => ds.splits[s].annotations),
    };
  }
  if (ds.splits[split].images.length === 0) {
    const counts = SPLITS.filter((s) => ds.splits[s].images.length > 0)
      .map((s) => `${String(ds.splits[s].images.length)} ${s}`)
      .join(', ');
    const total = SPLITS.reduce((n, s) => n + ds.splits[s].images.length, 0);
    throw new DatasetFormatError(
      ds.dir,
      `no ${split} split (${String(total)} scenes: ${counts || 'none'}); evaluate on every scene, training scenes included, with --split all`,
    );
  }
  return { split, ...ds.splits[split] };
}

export interface LoadedScene {
  readonly image: ImageRecord;
  readonly rgb: Uint8Array;
  /** Metres; NaN = missing. */
  readonly depth: Float32Array;
  readonly semantic: Uint8Array;
  readonly suction: Float32Array;
  readonly annotations: { annotation: Annotation; visible: Uint8Array; amodal: Uint8Array }[];
}

export function loadScene(ds: Dataset, image: ImageRecord, annotations: readonly Annotation[]): LoadedScene {
  const read = (rel: string) => decodePng(new Uint8Array(fs.readFileSync(path.join(ds.dir, rel))));
  const rgb = read(image.rgb);
  const depthPng = read(image.depth);
  const semantic = read(image.semantic);
  const suctionPng = read(image.suction);
  const s16 = new Uint16Array(
    suctionPng.data.buffer.slice(
      suctionPng.data.byteOffset,
      suctionPng.data.byteOffset + suctionPng.data.byteLength,
    ),
  );
  return {
    image,
    rgb: rgb.data,
    depth: decodeDepth(depthPng).metres,
    semantic: semantic.data,
    suction: Float32Array.from(s16, (v) => v / SUCTION_SCALE),
    annotations: annotations
      .filter((a) => a.image_id === image.id)
      .map((a) => ({
        annotation: a,
        visible: decodeRle(a.segmentation),
        amodal: decodeRle(a.amodal_segmentation),
      })),
  };
}
