import { type ModelManifest } from '../../src/models/manifest';
import { decodePerception, heatmapPeaks } from '../../src/perception/decode';

const W = 64;
const H = 48;
const GW = W / 4;
const GH = H / 4;
const PW = W / 2;
const PH = H / 2;
const K = 2;

function manifest(): ModelManifest {
  const out = (name: string, shape: number[]) => ({ name, shape, meaning: '' });
  return {
    format_version: 1,
    name: 'synthetic',
    task: 'perception',
    architecture: 'test',
    description: '',
    model_file: 'x.onnx',
    file_bytes: 1,
    sha256: '0'.repeat(64),
    precision: 'fp32',
    weights_storage: 'fp32',
    opset: 17,
    input: {
      name: 'input',
      shape: [1, 4, H, W],
      layout: 'NCHW',
      channels: ['red', 'green', 'blue', 'depth'],
      mean: [0, 0, 0, 0],
      std: [1, 1, 1, 1],
      depth_unit: 'm',
      invalid_depth: '0',
      resize: { color: 'bilinear', depth: 'nearest' },
    },
    outputs: [
      out('center_heatmap', [1, 1, GH, GW]),
      out('box_ltrb', [1, 4, GH, GW]),
      out('occlusion', [1, 1, GH, GW]),
      out('visible_coeffs', [1, K, GH, GW]),
      out('amodal_coeffs', [1, K, GH, GW]),
      out('visible_protos', [1, K, PH, PW]),
      out('amodal_protos', [1, K, PH, PW]),
      out('com_heatmap', [1, 1, GH, GW]),
      out('suction', [1, 1, H, W]),
    ],
    classes: [],
    complexity: { params: 1, macs: 1, gflops: 0, flops_convention: '' },
    training: {},
    metrics: {},
    decoding: {
      stride: 4,
      proto_stride: 2,
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
  };
}

/** One object centred on cell (5, 4) with a 12x12 box; its visible mask is the box's left half. */
function outputs(): Record<string, Float32Array> {
  const cells = GW * GH;
  const o: Record<string, Float32Array> = {
    center_heatmap: new Float32Array(cells),
    box_ltrb: new Float32Array(4 * cells),
    occlusion: new Float32Array(cells),
    visible_coeffs: new Float32Array(K * cells),
    amodal_coeffs: new Float32Array(K * cells),
    visible_protos: new Float32Array(K * PW * PH),
    amodal_protos: new Float32Array(K * PW * PH),
    com_heatmap: new Float32Array(cells),
    suction: new Float32Array(W * H).fill(0.25),
  };
  const c = 4 * GW + 5;
  o.center_heatmap[c] = 0.9;
  o.center_heatmap[c + 1] = 0.6; // neighbour: not a peak
  o.center_heatmap[10 * GW + 14] = 0.2; // below threshold
  for (let j = 0; j < 4; j++) o.box_ltrb[j * cells + c] = 6;
  o.occlusion[c] = 0.8;
  o.visible_coeffs[c] = 1; // coefficient of prototype 0
  o.amodal_coeffs[cells + c] = 1; // coefficient of prototype 1
  for (let y = 0; y < PH; y++) {
    for (let x = 0; x < PW; x++) {
      o.visible_protos[y * PW + x] = x * 2 + 1 < 22 ? 5 : -5; // proto 0: left of u = 22
      o.amodal_protos[PW * PH + y * PW + x] = 5; // proto 1: everywhere
    }
  }
  // CoM peak at cell (3, 7) with a stronger right neighbour: refined towards +x.
  o.com_heatmap[7 * GW + 3] = 0.8;
  o.com_heatmap[7 * GW + 4] = 0.6;
  o.com_heatmap[7 * GW + 2] = 0.2;
  return o;
}

test('decodes box, masks cropped to the box, occlusion and a sub-cell centre of mass', () => {
  const r = decodePerception(manifest(), outputs());
  expect(r.instances).toHaveLength(1);
  const [d] = r.instances;
  expect(d.score).toBeCloseTo(0.9);
  expect(d.box).toEqual({ x0: 16, y0: 12, x1: 28, y1: 24 });
  expect(d.amodalArea).toBe(144);
  expect(d.visibleArea).toBe(6 * 12); // u in [16, 22)
  expect(d.visibleMask.data[12 * W + 16]).toBe(1);
  expect(d.visibleMask.data[12 * W + 22]).toBe(0);
  expect(d.amodalMask.data[11 * W + 16]).toBe(0); // outside the box
  expect(d.occluded).toBe(true);
  expect(r.centresOfMass).toHaveLength(1);
  const com = r.centresOfMass[0];
  expect(com.u).toBeGreaterThan((3 + 0.5) * 4 - 0.5);
  expect(com.u).toBeLessThan((4 + 0.5) * 4 - 0.5);
  expect(com.v).toBeCloseTo((7 + 0.5) * 4 - 0.5);
  expect(r.suction[0]).toBe(0.25);
});

test('overrides lower the threshold; NMS drops a worse duplicate box', () => {
  const o = outputs();
  const cells = GW * GH;
  const dup = 4 * GW + 7; // two cells right: a separate peak whose box nearly coincides
  o.center_heatmap[dup] = 0.7;
  o.box_ltrb[dup] = 14;
  o.box_ltrb[cells + dup] = 6;
  o.box_ltrb[2 * cells + dup] = -2; // cell centre x = 30: box [16, 12, 28, 24], the first one's
  o.box_ltrb[3 * cells + dup] = 6;
  const weak = 10 * GW + 14;
  for (let j = 0; j < 4; j++) o.box_ltrb[j * cells + weak] = 3;
  const r = decodePerception(manifest(), o, { score_threshold: 0.1 });
  expect(r.instances.map((d) => d.score)).toEqual([expect.closeTo(0.9), expect.closeTo(0.2)]);
});

test('heatmapPeaks: plateaus give one peak, best first, capped', () => {
  const h = new Float32Array([0.5, 0.5, 0, 0, 0, 0.9, 0, 0, 0.7]);
  expect(heatmapPeaks(h, 3, 3, 0.1, 10).map((p) => [p.x, p.y])).toEqual([
    [2, 1],
    [0, 0],
  ]);
  const flat = new Float32Array([0.5, 0.5, 0, 0, 0, 0, 0.7, 0, 0]);
  expect(heatmapPeaks(flat, 3, 3, 0.1, 10).map((p) => [p.x, p.y])).toEqual([
    [0, 2],
    [0, 0],
  ]);
  expect(heatmapPeaks(flat, 3, 3, 0.1, 1)).toHaveLength(1);
});
