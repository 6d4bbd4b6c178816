// `grasp-perception infer`: the perception pipeline on image files, before wiring any topic.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cameraInfoFromCalibrationYaml,
  cameraModelFromInfo,
  decodeDepth,
  decodePng,
  encodePng,
  ImageFormatError,
} from '../image';
import { PACKAGE_ROOT } from '../msg';
import { openModel, type ModelSession } from '../models/session';
import { type GraspSource, needsModel, perceiveFrame } from '../perception/grasp-source';
import { renderOverlay } from '../perception/overlay';
import { graspStageFrom, PERCEPTION_DEFAULTS, perceptionParamsFrom } from '../nodes/perception/node';

export interface InferOptions {
  rgb: string;
  depth: string;
  cameraInfo: string;
  out: string;
  model: string;
  threads: number;
  /** Default: perception_node's grasp_source. 'geometric' loads no model. */
  graspSource?: GraspSource;
}

function readFile(file: string, what: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch {
    throw new Error(`${file}: cannot read the ${what}`);
  }
}

const round = (v: number, digits = 4) => +v.toFixed(digits);

/** Writes OUT/result.json and OUT/overlay.png; returns a short summary. */
/** Runs `read` on a file's contents; an image or camera fault becomes an error naming the file. */
function inFile<T>(file: string, read: () => T, expected = ''): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ImageFormatError) {
      throw new Error(`${file}: ${err.message}${expected}`, { cause: err });
    }
    throw err;
  }
}

export async function runInfer(o: InferOptions): Promise<{ grasps: number; instances: number; out: string }> {
  const color = inFile(
    o.rgb,
    () => decodePng(readFile(o.rgb, 'colour image')),
    ' (an 8-bit colour PNG expected)',
  );
  if (!['rgb8', 'rgba8', 'mono8'].includes(color.encoding)) {
    throw new Error(`${o.rgb}: expected an 8-bit colour PNG, got ${color.encoding}`);
  }
  const depth = inFile(
    o.depth,
    () => decodeDepth(decodePng(readFile(o.depth, 'depth image'), undefined, '16UC1')),
    ' (a 16-bit PNG in millimetres expected)',
  );
  const info = cameraInfoFromCalibrationYaml(
    Buffer.from(readFile(o.cameraInfo, 'camera info')).toString('utf8'),
    o.cameraInfo,
  );
  const camera = inFile(o.cameraInfo, () => cameraModelFromInfo(info, color));
  if (depth.width !== color.width || depth.height !== color.height) {
    throw new Error(
      `${o.depth} is ${depth.width}x${depth.height}, ${o.rgb} is ${color.width}x${color.height}: depth must be aligned to colour`,
    );
  }
  // perception_node's defaults, so `infer` shows what the node would publish for this frame.
  const values = { ...PERCEPTION_DEFAULTS, grasp_source: o.graspSource ?? PERCEPTION_DEFAULTS.grasp_source };
  const stage = graspStageFrom(values);
  let session: ModelSession | null = null;
  if (needsModel(stage.source)) {
    const manifest = path.isAbsolute(o.model) ? o.model : path.resolve(o.model);
    session = await openModel(fs.existsSync(manifest) ? manifest : path.join(PACKAGE_ROOT, o.model), {
      intraOpThreads: o.threads,
    });
  }
  try {
    const out = await perceiveFrame(session, { color, depth, camera }, perceptionParamsFrom(values), stage);
    fs.mkdirSync(o.out, { recursive: true });
    const result = {
      model: session?.manifest.name ?? null,
      grasp_source: stage.source,
      image: { width: camera.width, height: camera.height, frame_id: info.header.frame_id },
      grasps: out.grasps.map((g) => ({
        u: g.u,
        v: g.v,
        score: round(g.score),
        instance_id: g.instanceId,
        position: { x: round(g.point.x, 5), y: round(g.point.y, 5), z: round(g.point.z, 5) },
        orientation: {
          x: round(g.orientation.x),
          y: round(g.orientation.y),
          z: round(g.orientation.z),
          w: round(g.orientation.w),
        },
        normal: { x: round(g.normal.x), y: round(g.normal.y), z: round(g.normal.z) },
        depth_repaired: g.depthRepaired,
      })),
      instances: out.instances.map((i) => ({
        id: i.id,
        score: round(i.score),
        amodal_box: {
          x0: round(i.box.x0, 1),
          y0: round(i.box.y0, 1),
          x1: round(i.box.x1, 1),
          y1: round(i.box.y1, 1),
        },
        visible_box: i.visibleBox,
        occluded: i.occluded,
        occlusion_score: round(i.occlusionScore),
        occlusion_ratio: round(i.occlusionRatio),
        center_of_mass: i.centreOfMass
          ? {
              u: round(i.centreOfMass.u, 1),
              v: round(i.centreOfMass.v, 1),
              position: {
                x: round(i.centreOfMass.point.x, 5),
                y: round(i.centreOfMass.point.y, 5),
                z: round(i.centreOfMass.point.z, 5),
              },
            }
          : null,
      })),
      grasps_skipped_no_depth: out.skippedNoDepth,
      times_ms: Object.fromEntries(
        Object.entries(out.times).map(([k, v]) => [k.replace(/_ms$/, ''), round(v, 2)]),
      ),
    };
    fs.writeFileSync(path.join(o.out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    fs.writeFileSync(path.join(o.out, 'overlay.png'), encodePng(renderOverlay(color, out, camera)));
    return { grasps: result.grasps.length, instances: result.instances.length, out: o.out };
  } finally {
    await session?.release();
  }
}
