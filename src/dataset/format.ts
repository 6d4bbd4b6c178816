import { z } from 'zod';

/**
 * The on-disk dataset format (docs/dataset.md), shared by the writer, the TypeScript reader and
 * (by the same field names) training/grasp_dataset.py. Bump FORMAT_VERSION on any change.
 */
export const FORMAT_VERSION = 1;
export const SPLITS = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

const rle = z.object({
  size: z.tuple([z.number().int(), z.number().int()]),
  counts: z.array(z.number().int()),
});
const box = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const vec3 = z.object({ x: z.number(), y: z.number(), z: z.number() });

export const annotationSchema = z.object({
  id: z.number().int(),
  image_id: z.number().int(),
  category_id: z.number().int(),
  /** Simulator object id (the value in the visible instance map). */
  object_id: z.number().int(),
  /** Amodal box [x, y, width, height] (COCO's bbox). */
  bbox: box,
  visible_bbox: box.nullable(),
  /** Visible mask (COCO's segmentation), uncompressed RLE. */
  segmentation: rle,
  amodal_segmentation: rle,
  area: z.number(),
  amodal_area: z.number(),
  occlusion: z.number(),
  occluded: z.boolean(),
  center_of_mass: z.object({ camera: vec3, pixel: z.object({ u: z.number(), v: z.number() }) }),
  iscrowd: z.literal(0),
});

export const imageSchema = z.object({
  id: z.number().int(),
  scene: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  rgb: z.string(),
  depth: z.string(),
  semantic: z.string(),
  suction: z.string(),
  /** fx, fy, cx, cy in pixels. */
  intrinsics: z.object({ fx: z.number(), fy: z.number(), cx: z.number(), cy: z.number() }),
  /** World-from-optical camera pose. */
  camera_pose: z.object({
    position: vec3,
    orientation: z.object({ x: z.number(), y: z.number(), z: z.number(), w: z.number() }),
  }),
  seed: z.number().int(),
  objects: z.number().int(),
  /** Cell datasets only: the scene's sensor model, colour-to-depth shift (colour = depth shifted by it), no bin. */
  sensor: z.string().optional(),
  misregistration_px: z.tuple([z.number().int(), z.number().int()]).optional(),
  tabletop: z.boolean().optional(),
});

export const annotationsFileSchema = z.object({
  info: z.object({
    format_version: z.literal(FORMAT_VERSION),
    split: z.enum(SPLITS),
    description: z.string(),
  }),
  images: z.array(imageSchema),
  annotations: z.array(annotationSchema),
  categories: z.array(z.object({ id: z.number().int(), name: z.string() })),
});

export const manifestSchema = z.object({
  format_version: z.literal(FORMAT_VERSION),
  generator: z.string(),
  seed: z.number().int(),
  scenes: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  split: z.record(z.enum(SPLITS), z.number().int()),
  depth_scale_m: z.number(),
  suction_scale: z.number(),
  semantic_classes: z.array(z.object({ id: z.number().int(), name: z.string() })),
  /** The cell the scenes were drawn from (absent: the simulator's default scenes). */
  cell: z.object({ name: z.string(), file: z.string() }).optional(),
});

export type Annotation = z.infer<typeof annotationSchema>;
export type ImageRecord = z.infer<typeof imageSchema>;
export type AnnotationsFile = z.infer<typeof annotationsFileSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

/** Depth PNGs hold millimetres; suction PNGs hold score × 65535. */
export const DEPTH_SCALE_M = 0.001;
export const SUCTION_SCALE = 65535;
