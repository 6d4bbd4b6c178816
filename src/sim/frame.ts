// One RGB-D frame with all its ground truth, from a scene snapshot and a camera. Pure: same
// scene, camera and options → identical buffers.
import { type Camera, type CameraIntrinsics } from './camera';
import { type Pose, type RigidTransform, type Vec3 } from './math';
import { instanceMap, objectLabels, type ObjectLabel, semanticMap } from './labels';
import { deriveSeed, NoiseSource, Rng } from './random';
import { buildPrimitives } from './raycast';
import {
  applyDepthRealism,
  colorJitter,
  DEFAULT_REALISM,
  jitterLighting,
  type RealismOptions,
} from './realism';
import { shadeColor, tracePrimary } from './render';
import { type Scene } from './scene';
import { DEFAULT_SEAL_MODEL, type SealModel, suctionHeatmap } from './suction';

export interface FrameOptions {
  /** Sensor realism; `true` enables the defaults. Off by default: exact depth, clean colour. */
  realism?: boolean | Partial<RealismOptions>;
  /** Seed of this frame's sensor noise and jitter (default: the scene seed). */
  frameSeed?: number;
  /** Seal model overrides for the suction heatmap. */
  seal?: Partial<SealModel>;
  /**
   * Heatmap sampling: coarsest and finest block size in pixels (defaults width/40 and width/160,
   * at least 1, i.e. 16 and 4 at 640×480); 1 and 1 score every pixel exactly.
   */
  suctionStride?: number;
  suctionMinStride?: number;
  /** Skip the suction heatmap (it is the most expensive label). */
  suction?: boolean;
  /** Occlusion ratio above which an object counts as occluded (default 0.05). */
  occlusionThreshold?: number;
  tileSize?: number;
}

export interface SimFrame {
  width: number;
  height: number;
  intrinsics: CameraIntrinsics;
  /** p_camera = R · p_world + t (optical frame). */
  cameraFromWorld: RigidTransform;
  /** World-from-optical pose of the camera. */
  cameraPose: Pose;
  /** RGB, 3 bytes per pixel, row-major. */
  rgb: Uint8Array;
  /** Sensor depth in metres (with realism when enabled), 0 = missing. */
  depth: Float32Array;
  /** Exact optical depth in metres, 0 where no surface. */
  depthExact: Float32Array;
  /** Visible object id per pixel, 0 = none (bin, table). */
  instance: Uint16Array;
  /** SEMANTIC_CLASSES id per pixel. */
  semantic: Uint8Array;
  /** Suction seal score in [0, 1] per pixel (null when disabled). */
  suction: Float32Array | null;
  objects: ObjectLabel[];
}

export function resolveRealism(option: FrameOptions['realism']): RealismOptions {
  if (option === undefined || option === false) return { ...DEFAULT_REALISM, enabled: false };
  if (option === true) return { ...DEFAULT_REALISM, enabled: true };
  return { ...DEFAULT_REALISM, enabled: true, ...option };
}

export function defaultSuctionStrides(width: number): { stride: number; minStride: number } {
  return { stride: Math.max(1, Math.round(width / 40)), minStride: Math.max(1, Math.round(width / 160)) };
}

export function renderFrame(scene: Scene, camera: Camera, options: FrameOptions = {}): SimFrame {
  const realism = resolveRealism(options.realism);
  const frameSeed = options.frameSeed ?? scene.seed;
  const set = buildPrimitives(scene);
  const pass = tracePrimary(set, camera, { amodal: true, tileSize: options.tileSize ?? 16 });
  const { width, height } = pass;

  const lighting = jitterLighting(scene.lighting, realism, new Rng(deriveSeed(frameSeed, 'lighting')));
  const jitter = colorJitter(
    realism,
    new Rng(deriveSeed(frameSeed, 'color')),
    new NoiseSource(deriveSeed(frameSeed, 'color-noise')),
  );
  const rgb = shadeColor(set, camera, pass, lighting, jitter);
  const depthNoise = new NoiseSource(deriveSeed(frameSeed, 'depth'));
  const depth = applyDepthRealism(pass.depth, width, height, realism, depthNoise);

  const instance = instanceMap(set, pass);
  const semantic = semanticMap(set, pass);
  const objects = objectLabels(scene, camera, pass, instance, options.occlusionThreshold ?? 0.05);
  let suction: Float32Array | null = null;
  if (options.suction !== false) {
    const strides = defaultSuctionStrides(width);
    const centersOfMass = new Map<number, Vec3>(scene.objects.map((o) => [o.id, o.pose.position]));
    suction = suctionHeatmap(set, camera, pass, {
      model: { ...DEFAULT_SEAL_MODEL, ...options.seal },
      // Tied to the scene, not the frame: the labels of an unchanged scene never flicker.
      seed: scene.seed,
      stride: options.suctionStride ?? strides.stride,
      minStride: options.suctionMinStride ?? strides.minStride,
      centersOfMass,
    });
  }
  return {
    width,
    height,
    intrinsics: { ...camera.intrinsics },
    cameraFromWorld: camera.cameraFromWorld,
    cameraPose: camera.pose,
    rgb,
    depth,
    depthExact: pass.depth,
    instance,
    semantic,
    suction,
    objects,
  };
}

/** Exact depth only (no colour, no labels): what the actions' scene-change test compares. */
export function renderDepth(scene: Scene, camera: Camera): Float32Array {
  return tracePrimary(buildPrimitives(scene), camera, { amodal: false, tileSize: 16 }).depth;
}
