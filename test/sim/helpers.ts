// Hand-built scenes for the simulator tests: objects placed by pose, small images to stay fast.
import {
  type Camera,
  createCamera,
  emptyScene,
  makeObject,
  projectPoint,
  type Scene,
  type SceneObject,
  type Shape,
  type SimFrame,
  type Vec3,
} from '../../src/sim';

/** The default camera pose at 320×240 (same field of view as 640×480). */
export const camera320: Camera = createCamera({ width: 320, height: 240 });

export function box(
  id: number,
  size: [number, number, number],
  x: number,
  y: number,
  zBottom = 0,
): SceneObject {
  return makeObject(id, { kind: 'box', size }, { x, y, z: zBottom + size[2] / 2 });
}

export function object(id: number, shape: Shape, position: Vec3): SceneObject {
  return makeObject(id, shape, position);
}

export function sceneWith(...objects: SceneObject[]): Scene {
  return { ...emptyScene(7), objects };
}

/** Pixel index of the projection of a world point (nearest pixel centre). */
export function pixelOf(camera: Camera, p: Vec3): number {
  const { u, v } = projectPoint(camera, p);
  return Math.round(v) * camera.intrinsics.width + Math.round(u);
}

/** Every pixel index where the frame shows object `id`. */
export function pixelsOf(frame: SimFrame, id: number): number[] {
  const out: number[] = [];
  frame.instance.forEach((value, i) => {
    if (value === id) out.push(i);
  });
  return out;
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
