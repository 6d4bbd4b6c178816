// The Gazebo files under test and the two programs that read them: the SDFormat checker
// (sdf_check.cc, built here with g++) and the launch file's own camera-frame reader (plain Python).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { composeTransforms, type RigidTransform } from '../../src/geometry';

export const ROOT = path.resolve(__dirname, '../..');
export const WORLD = path.join(ROOT, 'worlds/bin_picking.sdf');
export const MODELS_DIR = path.join(ROOT, 'worlds/models');
export const LAUNCH = path.join(ROOT, 'launch/gazebo.launch.py');
/** Debian 12 / Ubuntu 22.04 name of SDFormat 12's development package (pkg-config module sdformat12). */
export const SDFORMAT_APT_PACKAGE = 'libsdformat-dev';
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface SdfPose {
  position: [number, number, number];
  quaternion_xyzw: [number, number, number, number];
  rpy: [number, number, number];
}
export type SdfGeometry =
  | { type: 'box'; size: [number, number, number] }
  | { type: 'cylinder' | 'capsule'; radius: number; length: number }
  | { type: 'sphere'; radius: number }
  | { type: 'plane' | 'other' };
export interface SdfCamera {
  horizontal_fov: number;
  width: number;
  height: number;
  format: string;
  near: number;
  far: number;
  depth_near: number | null;
  depth_far: number | null;
}
export interface SdfSensor {
  name: string;
  type: string;
  topic: string;
  update_rate: number;
  gz_frame_id: string;
  pose: SdfPose;
  camera: SdfCamera | null;
}
export interface SdfLink {
  name: string;
  pose: SdfPose;
  mass: number;
  inertia: { ixx: number; iyy: number; izz: number; ixy: number; ixz: number; iyz: number };
  collisions: { name: string; pose: SdfPose; geometry: SdfGeometry }[];
  sensors: SdfSensor[];
}
export interface SdfModel {
  name: string;
  static: boolean;
  pose: SdfPose;
  links: SdfLink[];
}
export interface SdfReport {
  file: string;
  version: string;
  gazebo_only_elements: string[];
  world?: {
    name: string;
    plugins: { filename: string; name: string; render_engine: string }[];
    models: SdfModel[];
  };
  model?: SdfModel;
}

/** What launch/gazebo.launch.py reads from the world and publishes as static TF. */
export interface LaunchCameraFrames {
  world_frame: string;
  camera_frame: string;
  optical_frame: string;
  gz_topic: string;
  world_name: string;
  camera: { width: number; height: number; horizontal_fov: number; depth_near: number; depth_far: number };
  transforms: {
    frame_id: string;
    child_frame_id: string;
    translation: [number, number, number];
    rotation_xyzw: [number, number, number, number];
  }[];
}

/**
 * Compiles sdf_check.cc into a temporary directory. Without SDFormat 12 this throws naming the apt
 * package: the Gazebo tests must fail, not skip, where setup did not install it.
 */
export function buildSdfChecker(): { binary: string; dispose: () => void } {
  // The sandbox's process.env, passed explicitly: child_process would otherwise read the real one.
  const env = process.env;
  const found = spawnSync('pkg-config', ['--exists', 'sdformat12'], { env });
  if (found.error || found.status !== 0) {
    throw new Error(
      `SDFormat 12 (pkg-config module sdformat12) is not installed: apt-get install -y ${SDFORMAT_APT_PACKAGE} (scripts/setup.sh should)`,
    );
  }
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'sdformat12'], { encoding: 'utf8', env })
    .trim()
    .split(/\s+/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-sdf-check-'));
  const binary = path.join(dir, 'sdf_check');
  const built = spawnSync('g++', ['-O1', path.join(__dirname, 'sdf_check.cc'), ...flags, '-o', binary], {
    encoding: 'utf8',
    env,
  });
  if (built.error || built.status !== 0) {
    throw new Error(`g++ could not build test/gazebo/sdf_check.cc: ${built.error?.message ?? built.stderr}`);
  }
  return { binary, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the checker; `ok: false` carries SDFormat's errors. */
export function checkSdf(
  binary: string,
  file: string,
): { ok: true; report: SdfReport } | { ok: false; errors: string } {
  const r = spawnSync(binary, [file], { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, errors: r.stderr };
  return { ok: true, report: JSON.parse(r.stdout) as SdfReport };
}

export function launchCameraFrames(world = WORLD): LaunchCameraFrames {
  const out = execFileSync(PYTHON, [LAUNCH, world], { encoding: 'utf8' });
  return JSON.parse(out) as LaunchCameraFrames;
}

export function toRigidTransform(t: LaunchCameraFrames['transforms'][number]): RigidTransform {
  const [x, y, z] = t.translation;
  const [qx, qy, qz, qw] = t.rotation_xyzw;
  return { translation: { x, y, z }, rotation: { x: qx, y: qy, z: qz, w: qw } };
}

/** world -> optical frame, the chain the launch publishes (world -> camera link -> optical). */
export function worldFromOptical(frames: LaunchCameraFrames): RigidTransform {
  const [worldToLink, linkToOptical] = frames.transforms;
  if (
    worldToLink.frame_id !== frames.world_frame ||
    worldToLink.child_frame_id !== linkToOptical.frame_id ||
    linkToOptical.child_frame_id !== frames.optical_frame
  ) {
    throw new Error(`the launch's transforms are not a world -> link -> optical chain`);
  }
  return composeTransforms(toRigidTransform(worldToLink), toRigidTransform(linkToOptical));
}

/** fx of a pinhole camera with this horizontal field of view (gz-rendering's projection; fy = fx). */
export const focalFromFov = (width: number, horizontalFov: number): number =>
  width / 2 / Math.tan(horizontalFov / 2);
