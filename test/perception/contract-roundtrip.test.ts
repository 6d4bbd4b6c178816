// Input contract v2 round trip through the node's pipeline (perceive): a 4:3 and a 16:9 camera at 640 px
// wide, each showing one box-shaped object at known camera pixels. The model is an oracle that reads the
// network input it is given (where the object's colour is) and answers in the output contract (centre,
// box, prototype masks, suction), so every camera-pixel result depends only on the contract's mapping:
// encode (letterbox) -> network pixels -> decode -> camera pixels.
import { type ModelManifest } from '../../src/models/manifest';
import { type ModelSession } from '../../src/models/session';
import { perceive } from '../../src/perception/pipeline';
import { rgbImage } from '../../src/perception/preprocess';

const W = 192;
const H = 144;
const STRIDE = 4;
const PS = 2;
const K = 16;

const manifest: ModelManifest = {
  format_version: 2,
  name: 'oracle',
  task: 'perception',
  architecture: 'oracle',
  description: 'reads the object from its input',
  model_file: 'oracle.onnx',
  file_bytes: 1,
  sha256: '0'.repeat(64),
  precision: 'fp32',
  weights_storage: 'fp32',
  opset: 17,
  input: {
    name: 'input',
    shape: [1, 4, H, W],
    layout: 'NCHW',
    channels: ['red', 'green', 'blue', 'height'],
    mean: [0, 0, 0, 0],
    std: [1, 1, 1, 1],
    depth_unit: 'm',
    invalid_depth: '0',
    contract: {
      version: 2,
      fit: 'letterbox',
      pad_color: [0, 0, 0],
      depth_encoding: 'height_above_support',
      trained_aspects: [4 / 3],
    },
  },
  outputs: [
    ['center_heatmap', 1],
    ['box_ltrb', 4],
    ['occlusion', 1],
    ['visible_coeffs', K],
    ['amodal_coeffs', K],
    ['visible_protos', K, PS],
    ['amodal_protos', K, PS],
    ['com_heatmap', 1],
    ['suction', 1, 1],
  ].map(([name, c, s]) => {
    const stride = (s as number | undefined) ?? STRIDE;
    return { name: name as string, shape: [1, c as number, H / stride, W / stride], meaning: '' };
  }),
  classes: [],
  complexity: { params: 1, macs: 1, gflops: 0, flops_convention: '' },
  training: {},
  decoding: {
    stride: STRIDE,
    proto_stride: PS,
    num_prototypes: K,
    peak_kernel: 3,
    score_threshold: 0.3,
    nms_iou: 0.7,
    max_instances: 10,
    mask_threshold: 0.5,
    occlusion_threshold: 0.5,
    com_threshold: 0.3,
    min_visible_pixels: 4,
  },
  metrics: {},
};

/** Outputs for the object the input shows: red > 0.5 (a white object on black); its height must be > 2 cm. */
function oracle(input: Float32Array): Record<string, Float32Array> {
  const n = W * H;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  const inside = (x: number, y: number) => input[y * W + x] > 0.5 && input[3 * n + y * W + x] > 0.02;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      if (inside(x, y)) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x + 1);
        y1 = Math.max(y1, y + 1);
      }
  const gw = W / STRIDE;
  const gh = H / STRIDE;
  const cells = gw * gh;
  const cx = Math.floor((x0 + x1) / 2 / STRIDE);
  const cy = Math.floor((y0 + y1) / 2 / STRIDE);
  const cell = cy * gw + cx;
  const center = new Float32Array(cells);
  center[cell] = 0.9;
  const box = new Float32Array(4 * cells);
  box[cell] = (cx + 0.5) * STRIDE - x0;
  box[cells + cell] = (cy + 0.5) * STRIDE - y0;
  box[2 * cells + cell] = x1 - (cx + 0.5) * STRIDE;
  box[3 * cells + cell] = y1 - (cy + 0.5) * STRIDE;
  const coeffs = new Float32Array(K * cells);
  coeffs[cell] = 1;
  // Prototype 0: the object's signed distance (network pixels) at each prototype cell's centre, so the
  // bilinearly sampled logit crosses 0 at the object's edge.
  const pw = W / PS;
  const ph = H / PS;
  const protos = new Float32Array(K * pw * ph);
  for (let gy = 0; gy < ph; gy++)
    for (let gx = 0; gx < pw; gx++) {
      const x = (gx + 0.5) * PS;
      const y = (gy + 0.5) * PS;
      protos[gy * pw + gx] = Math.min(x - x0, x1 - x, y - y0, y1 - y);
    }
  const suction = new Float32Array(n);
  suction[Math.floor((y0 + y1) / 2) * W + Math.floor((x0 + x1) / 2)] = 0.95;
  return {
    center_heatmap: center,
    box_ltrb: box,
    occlusion: new Float32Array(cells),
    visible_coeffs: coeffs,
    amodal_coeffs: coeffs,
    visible_protos: protos,
    amodal_protos: protos,
    com_heatmap: new Float32Array(cells),
    suction,
  };
}

const session: ModelSession = {
  manifest,
  file: 'oracle.json',
  provider: 'cpu',
  run: (input) => Promise.resolve(oracle(input)),
  release: () => Promise.resolve(),
};

/** A camera looking straight down at a floor 0.7 m away, with a 5 cm tall white box at the given pixels. */
function frame(width: number, height: number, obj: { x0: number; y0: number; x1: number; y1: number }) {
  const rgb = new Uint8Array(width * height * 3);
  const metres = new Float32Array(width * height).fill(0.7);
  for (let y = obj.y0; y < obj.y1; y++)
    for (let x = obj.x0; x < obj.x1; x++) {
      rgb.fill(255, 3 * (y * width + x), 3 * (y * width + x) + 3);
      metres[y * width + x] = 0.65;
    }
  const f = 600 * (width / 640);
  return {
    color: rgbImage(width, height, rgb),
    depth: { width, height, metres },
    camera: {
      width,
      height,
      fx: f,
      fy: f,
      cx: (width - 1) / 2,
      cy: (height - 1) / 2,
      distortionModel: 'plumb_bob',
      d: [0, 0, 0, 0, 0],
    },
  };
}

test.each([
  ['4:3', 640, 480],
  ['16:9', 640, 360],
])(
  '%s camera %sx%s: box, mask, grasp and label image land on the object in camera pixels',
  async (_, w, h) => {
    const obj = { x0: 400, y0: 90, x1: 520, y1: 200 };
    const warnings: string[] = [];
    const out = await perceive(session, frame(w, h, obj), undefined, (line) => warnings.push(line));
    // The 16:9 camera is outside the trained aspect: one WARN naming both.
    expect(warnings).toEqual(
      w / h === 4 / 3
        ? []
        : [expect.stringMatching(/trained on camera aspect 1\.333; this camera is 640x360/)],
    );
    expect(out.transform).toMatchObject(w / h === 4 / 3 ? { padY: 0 } : { padY: 18, contentHeight: 108 });
    expect(out.instances).toHaveLength(1);
    const inst = out.instances[0];
    // One network pixel is 1 / 0.3 = 3.33 camera pixels: the box is right to within one.
    const px = 1 / out.transform.scaleX;
    for (const k of ['x0', 'y0', 'x1', 'y1'] as const)
      expect(Math.abs(inst.box[k] - obj[k])).toBeLessThanOrEqual(px);
    // The mask, sampled per camera pixel from the logits, follows the object's edge: IoU with it.
    let inter = 0;
    for (let j = 0; j < inst.crop.height; j++)
      for (let i = 0; i < inst.crop.width; i++) {
        const x = inst.crop.x + i;
        const y = inst.crop.y + j;
        if (
          inst.visibleMask[j * inst.crop.width + i] &&
          x >= obj.x0 &&
          x < obj.x1 &&
          y >= obj.y0 &&
          y < obj.y1
        )
          inter++;
      }
    const objArea = (obj.x1 - obj.x0) * (obj.y1 - obj.y0);
    expect(inter / (inst.visibleArea + objArea - inter)).toBeGreaterThan(0.95);
    // The grasp is on the object, its 3-D point on the box's top (0.65 m), and the label image agrees.
    expect(out.grasps).toHaveLength(1);
    const g = out.grasps[0];
    expect(g.u).toBeGreaterThanOrEqual(obj.x0);
    expect(g.u).toBeLessThan(obj.x1);
    expect(g.v).toBeGreaterThanOrEqual(obj.y0);
    expect(g.v).toBeLessThan(obj.y1);
    expect(Math.abs(g.u - (obj.x0 + obj.x1) / 2)).toBeLessThanOrEqual(2 * px);
    expect(Math.abs(g.v - (obj.y0 + obj.y1) / 2)).toBeLessThanOrEqual(2 * px);
    expect(g.point.z).toBeCloseTo(0.65, 6);
    expect(g.instanceId).toBe(0);
    expect(out.labels[g.v * w + g.u]).toBe(1);
    // Heatmaps come back at camera resolution.
    expect([out.suction.width, out.suction.height]).toEqual([w, h]);
  },
);
