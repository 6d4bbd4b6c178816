// Per-object ground truth from one primary pass: visible and amodal masks and boxes, occlusion,
// centre of mass in the camera frame and as a pixel, poses. Shapes match msg/ObjectInstance.msg
// (masks cropped to the amodal box, boxes like sensor_msgs/RegionOfInterest).
import { type Camera, projectPoint } from './camera';
import { multiplyMat3, type Pose, poseToTransform, transformPoint, transformToPose, type Vec3 } from './math';
import { F_CLASS, F_ID, HIT_TABLE, isDistractor, PRIMITIVE_STRIDE, type PrimitiveSet } from './raycast';
import { type CroppedMask, type PrimaryPass } from './render';
import { type Scene } from './scene';
import { BACKGROUND_CLASS, classIdOfShape, SEMANTIC_CLASSES } from './shapes';

/** Pixel rectangle: columns x … x+width−1, rows y … y+height−1. */
export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ObjectLabel {
  id: number;
  classId: number;
  className: string;
  /** Pixels of the object rendered alone (inside the image). */
  amodalArea: number;
  /** Pixels where the object is the nearest surface. */
  visibleArea: number;
  /** 1 − visible / amodal; 1 when the object is entirely outside the image. */
  occlusion: number;
  /** occlusion > threshold (default 0.05). */
  occluded: boolean;
  amodalBox: PixelBox | null;
  visibleBox: PixelBox | null;
  /** Both masks share the amodal box as their rectangle (null when out of view). */
  amodalMask: CroppedMask | null;
  visibleMask: CroppedMask | null;
  centerOfMassWorld: Vec3;
  centerOfMassCamera: Vec3;
  /** Continuous pixel coordinates (OpenCV convention); may lie outside the image. */
  centerOfMassPixel: { u: number; v: number };
  poseWorld: Pose;
  poseCamera: Pose;
}

/** Tight box of the 1-pixels of `data` (laid out like `crop`), restricted by `keep`. */
function maskBox(crop: CroppedMask, data: Uint8Array): { box: PixelBox | null; area: number } {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  let area = 0;
  for (let r = 0; r < crop.height; r++) {
    for (let c = 0; c < crop.width; c++) {
      if (data[r * crop.width + c] === 0) continue;
      area++;
      if (c < x0) x0 = c;
      if (c > x1) x1 = c;
      if (r < y0) y0 = r;
      if (r > y1) y1 = r;
    }
  }
  if (area === 0) return { box: null, area };
  return { box: { x: crop.x + x0, y: crop.y + y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }, area };
}

/** Re-crops a mask to a sub-rectangle of its own. */
function recrop(mask: CroppedMask, box: PixelBox): CroppedMask {
  const data = new Uint8Array(box.width * box.height);
  for (let r = 0; r < box.height; r++) {
    const from = (box.y - mask.y + r) * mask.width + (box.x - mask.x);
    data.set(mask.data.subarray(from, from + box.width), r * box.width);
  }
  return { ...box, data };
}

/** Visible instance map: object id of the nearest surface, 0 for bin, table, distractors or nothing. */
export function instanceMap(set: PrimitiveSet, pass: PrimaryPass): Uint16Array {
  const idOf = new Uint16Array(set.count);
  for (let i = 0; i < set.count; i++) idOf[i] = set.data[i * PRIMITIVE_STRIDE + F_ID];
  const out = new Uint16Array(pass.width * pass.height);
  const hits = pass.hit;
  for (let i = 0; i < out.length; i++) {
    const h = hits[i];
    out[i] = h >= 0 ? idOf[h] : 0;
  }
  return out;
}

/** Semantic label image with SEMANTIC_CLASSES ids (nothing: background; the table: set.tableClass). */
export function semanticMap(set: PrimitiveSet, pass: PrimaryPass): Uint8Array {
  const classOf = new Uint8Array(set.count);
  for (let i = 0; i < set.count; i++) classOf[i] = set.data[i * PRIMITIVE_STRIDE + F_CLASS];
  const out = new Uint8Array(pass.width * pass.height);
  const hits = pass.hit;
  for (let i = 0; i < out.length; i++) {
    const h = hits[i];
    out[i] = h >= 0 ? classOf[h] : h === HIT_TABLE ? set.tableClass : BACKGROUND_CLASS;
  }
  return out;
}

export function objectLabels(
  scene: Scene,
  camera: Camera,
  pass: PrimaryPass,
  instance: Uint16Array,
  occlusionThreshold: number,
): ObjectLabel[] {
  const cameraRotation = camera.cameraFromWorld.rotation;
  const labels = scene.objects.map((obj, k) => {
    const crop = pass.amodal[k];
    let amodalBox: PixelBox | null = null;
    let visibleBox: PixelBox | null = null;
    let amodalMask: CroppedMask | null = null;
    let visibleMask: CroppedMask | null = null;
    let amodalArea = 0;
    let visibleArea = 0;
    if (crop) {
      const visible = new Uint8Array(crop.data.length);
      for (let r = 0; r < crop.height; r++) {
        const row = (crop.y + r) * pass.width + crop.x;
        for (let c = 0; c < crop.width; c++) {
          if (instance[row + c] === obj.id) visible[r * crop.width + c] = 1;
        }
      }
      const a = maskBox(crop, crop.data);
      const v = maskBox(crop, visible);
      amodalArea = a.area;
      visibleArea = v.area;
      amodalBox = a.box;
      visibleBox = v.box;
      if (a.box) {
        amodalMask = recrop(crop, a.box);
        visibleMask = recrop({ ...crop, data: visible }, a.box);
      }
    }
    const occlusion = amodalArea > 0 ? 1 - visibleArea / amodalArea : 1;
    const com = obj.pose.position;
    const comCamera = transformPoint(camera.cameraFromWorld, com);
    const projected = projectPoint(camera, com);
    const poseInWorld = poseToTransform(obj.pose);
    const cls = classIdOfShape(obj.shape);
    return {
      id: obj.id,
      classId: cls,
      className: SEMANTIC_CLASSES[cls].name,
      amodalArea,
      visibleArea,
      occlusion,
      occluded: occlusion > occlusionThreshold,
      amodalBox,
      visibleBox,
      amodalMask,
      visibleMask,
      centerOfMassWorld: { ...com },
      centerOfMassCamera: comCamera,
      centerOfMassPixel: { u: projected.u, v: projected.v },
      poseWorld: { position: { ...obj.pose.position }, orientation: { ...obj.pose.orientation } },
      poseCamera: transformToPose({
        rotation: multiplyMat3(cameraRotation, poseInWorld.rotation),
        translation: comCamera,
      }),
    };
  });
  // Distractors are not objects: no instance, no label.
  return labels.filter((_, k) => !isDistractor(scene.objects[k]));
}
