// The model manifest: the one contract between the training export (training/export.py writes it)
// and the runtime (this schema reads it). Fields are described in docs/models.md.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

/** 2: the manifest carries input contract v2 (`input.contract`); 1: the original squash-to-input contract. */
export const MANIFEST_VERSION = 2;
export const MANIFEST_VERSIONS = [1, 2] as const;

const outputSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().positive()),
  meaning: z.string(),
});

export const decodingSchema = z.object({
  stride: z.number().int().positive(),
  proto_stride: z.number().int().positive(),
  num_prototypes: z.number().int().positive(),
  peak_kernel: z.number().int().positive(),
  score_threshold: z.number().min(0).max(1),
  nms_iou: z.number().min(0).max(1),
  max_instances: z.number().int().positive(),
  mask_threshold: z.number().min(0).max(1),
  occlusion_threshold: z.number().min(0).max(1),
  com_threshold: z.number().min(0).max(1),
  min_visible_pixels: z.number().int().nonnegative(),
});
export type DecodingParams = z.infer<typeof decodingSchema>;

const range = z.tuple([z.number(), z.number()]);

/**
 * Input contract v2 (docs/models.md#input-contract): how a camera frame of any size and aspect becomes the
 * network input, and how network pixels map back. One runtime implementation applies it
 * (src/perception/preprocess.ts); the training data is encoded by that same code (`grasp-perception encode`).
 */
export const inputContractSchema = z.object({
  version: z.literal(2),
  /** Aspect ratio preserved: scaled to fit, centred, the rest padded (never a squash). */
  fit: z.literal('letterbox'),
  /** Padding: colour 0-255 per channel (RGB), depth channel invalid (0 after normalisation). */
  pad_color: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]),
  /**
   * The depth channel: null for colour-only models; `height_above_support`: metres above the support plane
   * fitted in the frame's own depth (src/geometry/support-plane.ts), so the camera's height and tilt do not
   * change it. Sampled by nearest neighbour at the network pixel's centre.
   */
  depth_encoding: z.enum(['height_above_support']).nullable(),
  /** Width / height of the cameras the training data came from (rounded to 3 decimals): the runtime WARNs for others. */
  trained_aspects: z.array(z.number().positive()).min(1),
});
export type InputContract = z.infer<typeof inputContractSchema>;

/** How a policy's heightmap is made from depth (src/policy/heightmap.ts); part of what it was trained on. */
export const HEIGHTMAP_METHODS = ['point_max', 'footprint'] as const;

/** A policy's workspace grid, as the manifest and the simulator server's `observe` carry it. */
export const heightmapGridSchema = z.object({
  x: range,
  y: range,
  z: range,
  resolution: z.number().positive(),
  method: z.enum(HEIGHTMAP_METHODS).optional(),
});

/** A push-and-grasp policy's action space: the heightmap it reads and the actions it may choose. */
export const policySchema = z.object({
  rotations: z.number().int().positive(),
  grid: heightmapGridSchema,
  push_length: z.number().positive(),
  object_height: z.number().positive(),
});
export type PolicyParams = z.infer<typeof policySchema>;

/**
 * `training.checkpoint`: the fp32 torch weights beside the ONNX (training/export.py writes `<name>.pt`, BatchNorm
 * not folded, with the input normalisation, size and contract), which fine-tuning for a cell starts from
 * (training/finetune.py, docs/models.md#fine-tune-for-your-cell). The runtime does not read it. Absent in
 * manifests exported before it existed (every v1 model): those cannot be fine-tuned.
 */
export const checkpointSchema = z.object({
  file: z.string().min(1),
  file_bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  content: z.string().optional(),
});
export type ModelCheckpoint = z.infer<typeof checkpointSchema>;

export const manifestSchema = z.object({
  format_version: z.union([z.literal(1), z.literal(2)]),
  name: z.string().min(1),
  task: z.enum(['perception', 'segmentation', 'policy']),
  architecture: z.string(),
  description: z.string(),
  model_file: z.string().min(1),
  file_bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  precision: z.enum(['fp32', 'int8']),
  weights_storage: z.enum(['fp32', 'fp16', 'int8']),
  opset: z.number().int(),
  input: z.object({
    name: z.string().min(1),
    // Batch 1, except a policy's: one input per tested rotation.
    shape: z.tuple([
      z.number().int().positive(),
      z.number().int().positive(),
      z.number().int().positive(),
      z.number().int().positive(),
    ]),
    layout: z.literal('NCHW'),
    channels: z.array(z.enum(['red', 'green', 'blue', 'depth', 'height', 'suction'])).min(1),
    mean: z.array(z.number()),
    std: z.array(z.number().positive()),
    depth_unit: z.literal('m'),
    invalid_depth: z.string(),
    resize: z.object({ color: z.enum(['bilinear']), depth: z.enum(['nearest']) }).optional(),
    /** Format 2 only: input contract v2. Absent (format 1): the frame is resized to the input shape as it is. */
    contract: inputContractSchema.optional(),
  }),
  outputs: z.array(outputSchema).min(1),
  classes: z.array(z.object({ id: z.number().int().nonnegative(), name: z.string() })),
  complexity: z.object({
    params: z.number().int().positive(),
    macs: z.number().int().positive(),
    gflops: z.number().nonnegative(),
    flops_convention: z.string(),
  }),
  /** Dataset, budget, optimiser, wall time…, free-form; `checkpoint` as above. */
  training: z.object({ checkpoint: checkpointSchema.optional() }).catchall(z.unknown()),
  quantization: z.record(z.string(), z.unknown()).optional(),
  decoding: decodingSchema.optional(),
  policy: policySchema.optional(),
  /** A RAM-NAS subnet (docs/nas.md): its search space, fixed-length encoding and architecture. */
  nas: z
    .object({
      space: z.string(),
      encoding: z.array(z.number().int().nonnegative()),
      arch: z.record(z.string(), z.unknown()),
      /** A shipped front point (training/nas/ship.py): its latency on the machine that shipped it. */
      measured_latency: z
        .object({ p50_ms: z.number(), p90_ms: z.number(), cpu: z.string(), threads: z.number() })
        .passthrough()
        .optional(),
    })
    .passthrough()
    .optional(),
  metrics: z.record(z.string(), z.unknown()),
});
export type ModelManifest = z.infer<typeof manifestSchema>;

export class ModelManifestError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'ModelManifestError';
  }
}

export interface LoadedManifest {
  readonly file: string;
  readonly manifest: ModelManifest;
  /** Absolute path of the .onnx file (model_file, relative to the manifest). */
  readonly modelPath: string;
}

/**
 * Reads and checks a manifest and the model file it names (present, same size and sha256), so a
 * missing, truncated or swapped model stops a node at start with one clear line.
 */
export function loadManifest(file: string, options: { verifyModel?: boolean } = {}): LoadedManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelManifestError(
      file,
      code === 'ENOENT' ? 'model manifest not found' : `not a JSON model manifest (${(err as Error).message})`,
    );
  }
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ModelManifestError(file, `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const manifest = r.data;
  const contract = manifest.input.contract;
  if (manifest.format_version === 2 && manifest.task !== 'policy' && !contract) {
    throw new ModelManifestError(file, 'format_version 2 needs input.contract (the input contract v2)');
  }
  if (manifest.format_version === 1 && contract) {
    throw new ModelManifestError(file, 'input.contract needs format_version 2');
  }
  const channels = manifest.input.shape[1];
  if (manifest.input.channels.length !== channels) {
    throw new ModelManifestError(file, `input.channels lists ${manifest.input.channels.length}, shape has ${channels}`);
  }
  if (manifest.input.mean.length !== channels || manifest.input.std.length !== channels) {
    throw new ModelManifestError(file, `input.mean and input.std need ${channels} values`);
  }
  if (contract && (contract.depth_encoding !== null) !== (channels === 4)) {
    throw new ModelManifestError(
      file,
      `input.contract.depth_encoding ${String(contract.depth_encoding)} does not fit ${channels} input channels`,
    );
  }
  if (manifest.task === 'perception' && !manifest.decoding) {
    throw new ModelManifestError(file, 'a perception model needs a decoding section');
  }
  if (manifest.task === 'policy') {
    const [rotations, , height, width] = manifest.input.shape;
    if (!manifest.policy) throw new ModelManifestError(file, 'a policy model needs a policy section');
    if (rotations !== manifest.policy.rotations || height !== width) {
      throw new ModelManifestError(
        file,
        `input.shape ${JSON.stringify(manifest.input.shape)} must be [rotations (${manifest.policy.rotations}), channels, S, S]`,
      );
    }
  } else if (manifest.input.shape[0] !== 1) {
    throw new ModelManifestError(file, `input.shape[0] must be 1 (batch), got ${manifest.input.shape[0]}`);
  }
  const modelPath = path.resolve(path.dirname(file), manifest.model_file);
  if (options.verifyModel !== false) verifyModelFile(file, manifest, modelPath);
  return { file, manifest, modelPath };
}

function verifyModelFile(file: string, manifest: ModelManifest, modelPath: string): void {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(modelPath);
  } catch {
    throw new ModelManifestError(file, `model file ${modelPath} not found`);
  }
  if (bytes.length !== manifest.file_bytes) {
    throw new ModelManifestError(
      file,
      `model file ${modelPath} has ${bytes.length} bytes, the manifest says ${manifest.file_bytes} (corrupt or replaced)`,
    );
  }
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  if (sha !== manifest.sha256) {
    throw new ModelManifestError(file, `model file ${modelPath} does not match the manifest's sha256 (corrupt or replaced)`);
  }
}

/** The named output's shape, or an error naming the manifest and the output. */
export function outputShape(m: ModelManifest, name: string): number[] {
  const o = m.outputs.find((x) => x.name === name);
  if (!o) throw new ModelManifestError(m.name, `has no output named ${name}`);
  return o.shape;
}
