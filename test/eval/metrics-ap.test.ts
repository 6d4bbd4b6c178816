import {
  averagePrecision,
  centreOfMassSimilarity,
  COCO_IOU_THRESHOLDS,
  ConfusionMatrix,
  meanSquaredError,
  occlusionAccuracy,
  percentile,
} from '../../src/eval/metrics';

interface D {
  score: number;
  sim: number[];
  flag?: boolean;
}
interface G {
  index: number;
  ignore?: boolean;
  flag?: boolean;
}

const opts = {
  score: (d: D) => d.score,
  ignore: (g: G) => g.ignore === true,
  similarity: (d: D, g: G) => d.sim[g.index],
  thresholds: [0.5],
};

test('COCO thresholds are 0.50:0.05:0.95 exactly', () => {
  expect(COCO_IOU_THRESHOLDS).toEqual([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);
});

test('perfect detections give AP 1, none give 0, no ground truth gives NaN', () => {
  const gts = [{ index: 0 }, { index: 1 }];
  expect(
    averagePrecision(
      [
        {
          detections: [
            { score: 0.9, sim: [1, 0] },
            { score: 0.8, sim: [0, 1] },
          ],
          groundTruths: gts,
        },
      ],
      opts,
    ),
  ).toBe(1);
  expect(averagePrecision([{ detections: [], groundTruths: gts }], opts)).toBe(0);
  expect(averagePrecision([{ detections: [{ score: 1, sim: [] }], groundTruths: [] }], opts)).toBeNaN();
});

test('a false positive ranked first: the 101-point interpolated precision by hand', () => {
  // 2 GTs; detections 0.9 FP, 0.8 TP, 0.7 TP -> precision 0, 1/2, 2/3 at recall 0, 1/2, 1.
  // Interpolated (max to the right): 2/3, 2/3, 2/3 -> all 101 recall points get 2/3.
  const img = {
    detections: [
      { score: 0.9, sim: [0, 0] },
      { score: 0.8, sim: [1, 0] },
      { score: 0.7, sim: [0, 1] },
    ],
    groundTruths: [{ index: 0 }, { index: 1 }],
  };
  expect(averagePrecision([img], opts)).toBeCloseTo(2 / 3, 12);
  // Ranked last instead: precision 1, 1, 2/3 at recall 1/2, 1, 1 -> 101 points of 1.
  const last = { ...img, detections: [{ score: 0.5, sim: [0, 0] }, ...img.detections.slice(1)] };
  expect(averagePrecision([last], opts)).toBe(1);
});

test('one of two ground truths found: recall points above 0.5 score 0', () => {
  const img = { detections: [{ score: 0.9, sim: [1, 0] }], groundTruths: [{ index: 0 }, { index: 1 }] };
  expect(averagePrecision([img], opts)).toBeCloseTo(51 / 101, 12);
});

test('a detection on an ignored ground truth is neither TP nor FP', () => {
  const img = {
    detections: [
      { score: 0.9, sim: [0, 1] },
      { score: 0.8, sim: [1, 0] },
    ],
    groundTruths: [{ index: 0 }, { index: 1, ignore: true }],
  };
  expect(averagePrecision([img], opts)).toBe(1);
});

test('maxDetections keeps the best-scored detections per image', () => {
  const img = {
    detections: [
      { score: 0.1, sim: [1] },
      { score: 0.9, sim: [0] },
    ],
    groundTruths: [{ index: 0 }],
  };
  expect(averagePrecision([img], { ...opts, maxDetections: 1 })).toBe(0);
  expect(averagePrecision([img], { ...opts, maxDetections: 2 })).toBeCloseTo(0.5, 12);
});

test('threshold sweep: similarity 0.72 counts at 0.50…0.70 only', () => {
  const img = { detections: [{ score: 1, sim: [0.72] }], groundTruths: [{ index: 0 }] };
  expect(averagePrecision([img], { ...opts, thresholds: COCO_IOU_THRESHOLDS })).toBeCloseTo(0.5, 12);
});

test('centre-of-mass similarity is 1 − distance / size', () => {
  expect(centreOfMassSimilarity({ u: 3, v: 4 }, { u: 0, v: 0 }, 10)).toBeCloseTo(0.5);
  expect(centreOfMassSimilarity({ u: 30, v: 40 }, { u: 0, v: 0 }, 10)).toBe(0);
  expect(centreOfMassSimilarity({ u: 0, v: 0 }, { u: 0, v: 0 }, 0)).toBe(0);
});

test('occlusion accuracy over matched pairs', () => {
  const images = [
    {
      detections: [
        { score: 0.9, sim: [0.8, 0], flag: true },
        { score: 0.8, sim: [0.9, 0.6], flag: false },
        { score: 0.7, sim: [0, 0.1], flag: true },
      ],
      groundTruths: [
        { index: 0, flag: true },
        { index: 1, flag: true },
      ],
    },
  ];
  const r = occlusionAccuracy(images, {
    ...opts,
    threshold: 0.5,
    predicted: (d: D) => d.flag === true,
    truth: (g: G) => g.flag === true,
  });
  // 0.9 takes GT 0 (correct), 0.8 takes GT 1 (wrong), 0.7 matches nothing.
  expect(r).toEqual({ accuracy: 0.5, matched: 2 });
});

test('confusion matrix: pixel accuracy and mIoU over classes present', () => {
  const cm = new ConfusionMatrix(4);
  cm.add(new Uint8Array([0, 0, 1, 1, 2, 2]), new Uint8Array([0, 1, 1, 1, 2, 0]));
  expect(cm.pixelAccuracy()).toBeCloseTo(4 / 6);
  const iou = cm.iouPerClass();
  expect(iou[0]).toBeCloseTo(1 / 3); // inter 1, union 2 + 2 - 1
  expect(iou[1]).toBeCloseTo(2 / 3);
  expect(iou[2]).toBeCloseTo(1 / 2);
  expect(iou[3]).toBeNaN();
  expect(cm.meanIoU()).toBeCloseTo((1 / 3 + 2 / 3 + 1 / 2) / 3);
  expect(() => cm.add(new Uint8Array([5]), new Uint8Array([0]))).toThrow(/class id 5 is not below 4 classes/);
  expect(() => cm.add(new Uint8Array(2), new Uint8Array(3))).toThrow(/differ in size/);
});

test('MSE and numpy-style percentiles', () => {
  expect(meanSquaredError(new Float32Array([0, 1]), new Float32Array([1, 1]))).toBe(0.5);
  expect(() => meanSquaredError(new Float32Array(1), new Float32Array(2))).toThrow(/1 and 2/);
  expect(percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7);
  expect(percentile([5], 50)).toBe(5);
  expect(() => percentile([], 50)).toThrow(/no values/);
});
