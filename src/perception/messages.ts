// Message-build stage: the pipeline's plain results -> ROS messages, stamped with the input's header.
import { type Box } from './decode';
import { HOST_IS_BIGENDIAN_FLAG } from '../image';
import {
  type Header,
  type Image,
  type Marker,
  type MarkerArray,
  MarkerConstants,
  type ObjectInstanceArray,
  type PoseArray,
  type RegionOfInterest,
  type SuctionGraspArray,
} from '../msg';
import { type CameraInstance, type CameraGrasp, type PerceptionOutput } from './pipeline';

function roi(b: Box, width: number, height: number): RegionOfInterest {
  const x0 = Math.max(0, Math.floor(b.x0));
  const y0 = Math.max(0, Math.floor(b.y0));
  const x1 = Math.min(width, Math.ceil(b.x1));
  const y1 = Math.min(height, Math.ceil(b.y1));
  return {
    x_offset: x0,
    y_offset: y0,
    width: Math.max(0, x1 - x0),
    height: Math.max(0, y1 - y0),
    do_rectify: false,
  };
}

/** A 0/1 mask as mono8 (0 / 255): a typed loop (Uint8Array.from with a callback is ~20x slower). */
function mono8Mask(mask: Uint8Array, width: number, height: number, header: Header): Image {
  const data = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) data[i] = mask[i] ? 255 : 0;
  return {
    header,
    height,
    width,
    encoding: 'mono8',
    is_bigendian: 0,
    step: width,
    data,
  };
}

export function graspArrayMessage(grasps: readonly CameraGrasp[], header: Header): SuctionGraspArray {
  return {
    header,
    grasps: grasps.map((g) => ({
      pose: { position: g.point, orientation: g.orientation },
      score: g.score,
      instance_id: g.instanceId,
      u: g.u,
      v: g.v,
    })),
  };
}

export function poseArrayMessage(grasps: readonly CameraGrasp[], header: Header): PoseArray {
  return { header, poses: grasps.map((g) => ({ position: g.point, orientation: g.orientation })) };
}

export function instanceArrayMessage(
  instances: readonly CameraInstance[],
  header: Header,
  width: number,
  height: number,
): ObjectInstanceArray {
  return {
    header,
    instances: instances.map((i) => ({
      id: i.id,
      score: i.score,
      amodal_box: roi(i.box, width, height),
      visible_box: roi(i.visibleBox, width, height),
      visible_mask: mono8Mask(i.visibleMask, i.crop.width, i.crop.height, header),
      amodal_mask: mono8Mask(i.amodalMask, i.crop.width, i.crop.height, header),
      occluded: i.occluded,
      occlusion_ratio: i.occlusionRatio,
      // Unknown (no depth under it): zeros and -1, never NaN (nothing non-finite is published; z = 0
      // cannot be a surface in the optical frame, as 0 is REP 118's "no depth").
      center_of_mass: i.centreOfMass?.point ?? { x: 0, y: 0, z: 0 },
      com_u: i.centreOfMass?.u ?? -1,
      com_v: i.centreOfMass?.v ?? -1,
    })),
  };
}

/** mono16 instance label image (0 = none, id + 1 elsewhere), host byte order as REP 118 images. */
export function labelImageMessage(labels: Uint16Array, width: number, height: number, header: Header): Image {
  return {
    header,
    height,
    width,
    encoding: 'mono16',
    is_bigendian: new Uint8Array(new Uint16Array([1]).buffer)[0] === 0 ? 1 : 0,
    step: width * 2,
    data: new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength),
  };
}

/**
 * 32FC1 heatmap images that view the output's heatmaps (no copy: this frame's output owns them, as
 * the label image views its labels).
 */
export function heatmapMessages(out: PerceptionOutput, header: Header): { suction: Image; com: Image } {
  const view = (h: PerceptionOutput['suction']): Image => {
    if (h.data.length !== h.width * h.height) {
      throw new Error(
        `heatmap has ${h.data.length} values, ${h.width}x${h.height} needs ${h.width * h.height}`,
      );
    }
    return {
      header,
      height: h.height,
      width: h.width,
      encoding: '32FC1',
      is_bigendian: HOST_IS_BIGENDIAN_FLAG,
      step: h.width * 4,
      data: new Uint8Array(h.data.buffer, h.data.byteOffset, h.data.byteLength),
    };
  };
  return { suction: view(out.suction), com: view(out.com) };
}

const EMPTY_MARKER_FIELDS = {
  lifetime: { sec: 0, nanosec: 0 },
  frame_locked: false,
  points: [],
  colors: [],
  texture_resource: '',
  texture: { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, format: '', data: new Uint8Array(0) },
  uv_coordinates: [],
  text: '',
  mesh_resource: '',
  mesh_file: { filename: '', data: new Uint8Array(0) },
  mesh_use_embedded_materials: false,
};

/**
 * RViz markers: DELETEALL, then an arrow per grasp (along the approach, ending at the contact; green =
 * best), and a sphere per centre of mass (red when the object is occluded).
 */
export function markerArrayMessage(out: PerceptionOutput, header: Header): MarkerArray {
  const markers: Marker[] = [
    {
      ...EMPTY_MARKER_FIELDS,
      header,
      ns: '',
      id: 0,
      type: MarkerConstants.ARROW,
      action: MarkerConstants.DELETEALL,
      pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
      scale: { x: 0, y: 0, z: 0 },
      color: { r: 0, g: 0, b: 0, a: 0 },
    },
  ];
  out.grasps.forEach((g, i) => {
    const start = {
      x: g.point.x + 0.05 * g.normal.x,
      y: g.point.y + 0.05 * g.normal.y,
      z: g.point.z + 0.05 * g.normal.z,
    };
    markers.push({
      ...EMPTY_MARKER_FIELDS,
      header,
      ns: 'suction_grasps',
      id: i,
      type: MarkerConstants.ARROW,
      action: MarkerConstants.ADD,
      pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
      points: [start, g.point],
      scale: { x: 0.004, y: 0.008, z: 0.01 },
      color: i === 0 ? { r: 0, g: 1, b: 0, a: 1 } : { r: 1, g: 0.85, b: 0, a: 0.5 + 0.5 * g.score },
    });
  });
  for (const inst of out.instances) {
    if (!inst.centreOfMass) continue;
    markers.push({
      ...EMPTY_MARKER_FIELDS,
      header,
      ns: 'centre_of_mass',
      id: inst.id,
      type: MarkerConstants.SPHERE,
      action: MarkerConstants.ADD,
      pose: { position: inst.centreOfMass.point, orientation: { x: 0, y: 0, z: 0, w: 1 } },
      scale: { x: 0.01, y: 0.01, z: 0.01 },
      color: inst.occluded ? { r: 1, g: 0.15, b: 0.15, a: 1 } : { r: 1, g: 1, b: 1, a: 1 },
    });
  }
  return { markers };
}
