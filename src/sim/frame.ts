// One RGB-D frame with all its ground truth, from a scene snapshot and a camera. Pure: same
// scene, camera and options → identical buffers.
import { type Camera, type CameraIntrinsics } from './camera';
import { type Pose, type RigidTransform, type Vec3 } from './math';
import { instanceMap, objectLabels, type ObjectLabel, semanticMap } from './labels';
import { deriveSeed, NoiseSource, Rng } from './random';
import { appearanceMaterial, materialCode, SPECULAR } from './materials';
import {
  buildPrimitives,
  F_MATERIAL,
  HIT_NONE,
  HIT_TABLE,
  PRIMITIVE_STRIDE,
  type PrimitiveSet,
} from './raycast';
import {
  applyDepthRealism,
  colorJitter,
  DEFAULT_REALISM,
  jitterLighting,
  type RealismOptions,
} from './realism';
import { type PrimaryPass, shadeColor, surfaceAt, type SurfaceOptions, tracePrimary } from './render';
import { type Scene } from './scene';
import { applySensorModel, resolveSensorModel, type SensorModel, type SensorModelName } from './sensors';
import { printRaster } from './texture';
import { DEFAULT_SEAL_MODEL, type SealModel, suctionHeatmap } from './suction';

export interface FrameOptions {
  /** Sensor realism; `true` enables the defaults. Off by default: exact depth, clean colour. */
  realism?: boolean | Partial<RealismOptions>;
  /**
   * Depth sensor model (sensors.ts); replaces the realism depth noise when set ('ideal': exact
   * depth). Colour jitter still follows `realism`. Default: none (the realism model).
   */
  sensor?: SensorModelName | SensorModel;
  /** Cast shadows of the scene's directional light (default false). */
  shadows?: boolean;
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

/** Material codes and decals per material index (0 table, 1 bin, 2 + i object i), as buildPrimitives packs them. */
export function surfaceOptions(scene: Scene, shadows: boolean): SurfaceOptions {
  const looks = [scene.tableAppearance, scene.binAppearance, ...scene.objects.map((o) => o.appearance)];
  return {
    materialCodes: Uint8Array.from(looks, (a) => materialCode(appearanceMaterial(a))),
    prints: looks.map((a) => (a.print ? printRaster(a.print) : null)),
    shadows,
  };
}

/** MATERIAL_MODES code of the surface seen at every pixel (0 where nothing is seen). */
export function materialMap(set: PrimitiveSet, pass: PrimaryPass, codes: Uint8Array): Uint8Array {
  const out = new Uint8Array(pass.width * pass.height);
  for (let i = 0; i < out.length; i++) {
    const h = pass.hit[i];
    if (h === HIT_NONE) continue;
    out[i] = codes[h === HIT_TABLE ? 0 : set.data[h * PRIMITIVE_STRIDE + F_MATERIAL]];
  }
  return out;
}

/** cos(normal, ray back to the camera) at the pixels of specular surfaces (0 elsewhere). */
function specularViewCosine(
  set: PrimitiveSet,
  camera: Camera,
  pass: PrimaryPass,
  material: Uint8Array,
): Float32Array {
  const out = new Float32Array(material.length);
  const point = new Float64Array(3);
  const normal = new Float64Array(3);
  const c = camera.worldFromCamera.translation;
  for (let i = 0; i < material.length; i++) {
    if (material[i] !== SPECULAR || !surfaceAt(set, camera, pass, i, point, normal)) continue;
    const vx = c.x - point[0];
    const vy = c.y - point[1];
    const vz = c.z - point[2];
    out[i] = (normal[0] * vx + normal[1] * vy + normal[2] * vz) / Math.hypot(vx, vy, vz);
  }
  return out;
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
  const shadows = options.shadows ?? false;
  const surface = surfaceOptions(scene, shadows);
  // Transparent objects show what lies behind them: the same view without them, in colour and depth.
  const clear = scene.objects.filter((o) => appearanceMaterial(o.appearance) !== 'transparent');
  let backgroundDepth: Float32Array | undefined;
  if (clear.length < scene.objects.length) {
    const behindScene = { ...scene, objects: clear };
    const behindSet = buildPrimitives(behindScene);
    const behindPass = tracePrimary(behindSet, camera, { amodal: false, tileSize: options.tileSize ?? 16 });
    const plain = { ...jitter, noiseSigma: 0, noise: null };
    surface.behind = shadeColor(
      behindSet,
      camera,
      behindPass,
      lighting,
      plain,
      surfaceOptions(behindScene, shadows),
    );
    backgroundDepth = behindPass.depth;
  }
  const rgb = shadeColor(set, camera, pass, lighting, jitter, surface);
  const depthNoise = new NoiseSource(deriveSeed(frameSeed, 'depth'));
  let depth: Float32Array;
  if (options.sensor === undefined) {
    depth = applyDepthRealism(pass.depth, width, height, realism, depthNoise);
  } else {
    const material = materialMap(set, pass, surface.materialCodes);
    depth = applySensorModel(
      resolveSensorModel(options.sensor),
      {
        width,
        height,
        fx: camera.intrinsics.fx,
        depth: pass.depth,
        material,
        backgroundDepth,
        viewCosine: surface.materialCodes.includes(SPECULAR)
          ? specularViewCosine(set, camera, pass, material)
          : undefined,
      },
      depthNoise,
    );
  }

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
