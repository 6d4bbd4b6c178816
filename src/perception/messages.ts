// Message-build stage: the pipeline's plain results -> ROS messages, stamped with the input's header.
import { type Box } from './decode';
import { encodeFloat32Image } from '../image';
import {
  type Header,
  type Image,
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

function mono8Mask(mask: Uint8Array, width: number, height: number, header: Header): Image {
  return {
    header,
    height,
    width,
    encoding: 'mono8',
    is_bigendian: 0,
    step: width,
    data: Uint8Array.from(mask, (v) => (v ? 255 : 0)),
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
      center_of_mass: i.centreOfMass?.point ?? { x: NaN, y: NaN, z: NaN },
      com_u: i.centreOfMass?.u ?? NaN,
      com_v: i.centreOfMass?.v ?? NaN,
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

export function heatmapMessages(out: PerceptionOutput, header: Header): { suction: Image; com: Image } {
  return {
    suction: encodeFloat32Image(out.suction.data, out.suction.width, out.suction.height, header),
    com: encodeFloat32Image(out.com.data, out.com.width, out.com.height, header),
  };
}
