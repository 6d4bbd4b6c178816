import {
  type ApImage,
  averagePrecision,
  type BinaryMask,
  boxIoU,
  centreOfMassSimilarity,
  COCO_IOU_THRESHOLDS,
  COCO_RECALL_POINTS,
  ConfusionMatrix,
  maskArea,
  maskIoU,
  meanSquaredError,
  occlusionAccuracy,
  occlusionConfusion,
} from '../../src/eval/metrics';

/** A detection with its similarity to each ground truth of its image, by ground-truth index. */
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

const at50 = {
  score: (d: D) => d.score,
  ignore: (g: G) => g.ignore === true,
  similarity: (d: D, g: G) => d.sim[g.index],
  thresholds: [0.5],
};

const gts = (n: number, ignored: number[] = []): G[] =>
  Array.from({ length: n }, (_, index) => ({ index, ignore: ignored.includes(index) }));

/** A detection hitting ground truth `hit` (similarity 1) among `n`, or nothing when hit < 0. */
const det = (score: number, n: number, hit: number): D => ({
  score,
  sim: Array.from({ length: n }, (_, j) => (j === hit ? 1 : 0)),
});

/** Mask from rows of '0'/'1' characters. */
function mask(...rows: string[]): BinaryMask {
  const width = rows[0].length;
  const data = Uint8Array.from(rows.join('').split(''), (c) => (c === '1' ? 1 : 0));
  return { width, height: rows.length, data };
}

describe('boxIoU', () => {
  test('identical, disjoint, touching, partial, contained and fractional boxes', () => {
    const unit = { x0: 0, y0: 0, x1: 2, y1: 2 };
    expect(boxIoU(unit, { ...unit })).toBe(1);
    expect(boxIoU({ x0: 0, y0: 0, x1: 1, y1: 1 }, { x0: 2, y0: 2, x1: 3, y1: 3 })).toBe(0);
    // Sharing an edge: [0,1) and [1,2) do not overlap.
    expect(boxIoU({ x0: 0, y0: 0, x1: 1, y1: 1 }, { x0: 1, y0: 0, x1: 2, y1: 1 })).toBe(0);
    // Overlap 1x1; union 4 + 4 - 1.
    expect(boxIoU(unit, { x0: 1, y0: 1, x1: 3, y1: 3 })).toBeCloseTo(1 / 7, 15);
    expect(boxIoU({ x0: 1, y0: 1, x1: 3, y1: 3 }, unit)).toBeCloseTo(1 / 7, 15);
    // 2x2 inside 4x4.
    expect(boxIoU({ x0: 0, y0: 0, x1: 4, y1: 4 }, { x0: 1, y0: 1, x1: 3, y1: 3 })).toBe(4 / 16);
    // Half a pixel of overlap: 0.5 / (1 + 1 - 0.5).
    expect(boxIoU({ x0: 0.5, y0: 0, x1: 1.5, y1: 1 }, { x0: 0, y0: 0, x1: 1, y1: 1 })).toBeCloseTo(1 / 3, 15);
  });

  test('empty or degenerate boxes give 0, never NaN', () => {
    const box = { x0: 0, y0: 0, x1: 2, y1: 2 };
    const flat = { x0: 0, y0: 0, x1: 0, y1: 2 };
    const inverted = { x0: 2, y0: 2, x1: 0, y1: 0 };
    expect(boxIoU(flat, box)).toBe(0);
    expect(boxIoU(box, flat)).toBe(0);
    expect(boxIoU(flat, flat)).toBe(0);
    expect(boxIoU(inverted, inverted)).toBe(0);
    expect(boxIoU(inverted, box)).toBe(0);
    expect(boxIoU({ x0: NaN, y0: 0, x1: 1, y1: 1 }, box)).toBe(0);
  });
});

describe('maskIoU', () => {
  const left = mask('110', '110', '000');
  const right = mask('011', '011', '000');
  const bottom = mask('000', '000', '111');
  const empty = mask('000', '000', '000');

  test('partial, identical, disjoint and empty masks', () => {
    // Intersection 2 (the middle column), union 6.
    expect(maskIoU(left, right)).toBeCloseTo(2 / 6, 15);
    expect(maskIoU(left, left)).toBe(1);
    expect(maskIoU(left, bottom)).toBe(0);
    expect(maskIoU(left, empty)).toBe(0);
    expect(maskIoU(empty, empty)).toBe(0);
  });

  test('precomputed areas give the same result; any non-zero value counts as set', () => {
    expect(maskArea(left)).toBe(4);
    expect(maskArea(empty)).toBe(0);
    expect(maskIoU(left, right, maskArea(left), maskArea(right))).toBeCloseTo(2 / 6, 15);
    expect(maskIoU(left, right, 4)).toBeCloseTo(2 / 6, 15);
    expect(maskIoU(left, right, undefined, 4)).toBeCloseTo(2 / 6, 15);
    expect(maskIoU(empty, empty, 0, 0)).toBe(0);
    const loud = { ...right, data: right.data.map((v) => v * 255) };
    expect(maskIoU(left, loud)).toBeCloseTo(2 / 6, 15);
  });

  test('masks of different sizes are an error naming both sizes', () => {
    const wide = { width: 3, height: 2, data: new Uint8Array(6) };
    const tall = { width: 2, height: 3, data: new Uint8Array(6) };
    expect(() => maskIoU(wide, tall)).toThrow(/3x2.*2x3/);
    // Same nominal size, but the data does not fit it.
    expect(() => maskIoU(wide, { width: 3, height: 2, data: new Uint8Array(5) })).toThrow(/3x2.*3x2/);
  });
});

describe('averagePrecision', () => {
  test('COCO thresholds and recall points are exactly pycocotools/numpy values', () => {
    expect(COCO_IOU_THRESHOLDS).toEqual([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);
    expect(COCO_RECALL_POINTS).toHaveLength(101);
    expect(COCO_RECALL_POINTS[0]).toBe(0);
    expect(COCO_RECALL_POINTS[100]).toBe(1);
    // np.linspace(0, 1, 101)[35] == 35 * 0.01 == 0.35000000000000003, not 0.35.
    expect(COCO_RECALL_POINTS[35]).toBe(0.35000000000000003);
    expect(COCO_RECALL_POINTS[50]).toBe(0.5);
  });

  test('perfect detections give 1, no detections 0', () => {
    const img = { detections: [det(0.9, 2, 0), det(0.8, 2, 1)], groundTruths: gts(2) };
    expect(averagePrecision([img], at50)).toBe(1);
    expect(averagePrecision([img], { ...at50, thresholds: COCO_IOU_THRESHOLDS })).toBe(1);
    expect(averagePrecision([{ detections: [], groundTruths: gts(2) }], at50)).toBe(0);
  });

  test('a false positive ranked above two true positives: 101-point rule by hand', () => {
    // 2 GTs; 0.9 FP, 0.8 TP, 0.7 TP -> precision 0, 1/2, 2/3 at recall 0, 1/2, 1.
    // Made non-increasing from the right: 2/3, 2/3, 2/3, so all 101 recall points sample 2/3.
    const img = { detections: [det(0.9, 2, -1), det(0.8, 2, 0), det(0.7, 2, 1)], groundTruths: gts(2) };
    expect(averagePrecision([img], at50)).toBeCloseTo((101 * (2 / 3)) / 101, 12);
  });

  test('a false positive between two true positives', () => {
    // 2 GTs; 0.9 TP, 0.8 FP, 0.7 TP -> precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 -> 1, 2/3, 2/3.
    // Recall points 0..0.50 (51 points) find the first entry: 1; 0.51..1 (50 points) the third: 2/3.
    const img = { detections: [det(0.9, 2, 0), det(0.8, 2, -1), det(0.7, 2, 1)], groundTruths: gts(2) };
    expect(averagePrecision([img], at50)).toBeCloseTo((51 * 1 + 50 * (2 / 3)) / 101, 12);
  });

  test('interpolation takes the best precision at any higher recall', () => {
    // 3 GTs; TP, FP, FP, TP, TP -> precision 1, 1/2, 1/3, 1/2, 3/5 at recall 1/3, 1/3, 1/3, 2/3, 1.
    // Non-increasing from the right: 1, 3/5, 3/5, 3/5, 3/5.
    // Recall points 0..0.33 (34 points): 1; 0.34..1 (67 points): 3/5.
    const img = {
      detections: [det(0.9, 3, 0), det(0.8, 3, -1), det(0.7, 3, -1), det(0.6, 3, 1), det(0.5, 3, 2)],
      groundTruths: gts(3),
    };
    expect(averagePrecision([img], at50)).toBeCloseTo((34 * 1 + 67 * (3 / 5)) / 101, 12);
  });

  test('recall points are compared as numpy does (searchsorted left on i * 0.01)', () => {
    // 20 GTs; 7 TP (recall 7/20 = 0.35), 1 FP, 1 TP (recall 0.4) -> interpolated precision 1 up to the
    // seventh entry, 8/9 after. Point 35 is 0.35000000000000003 > 0.35, so it already samples 8/9:
    // points 0..34 give 1, points 35..40 give 8/9, points 41..100 are beyond the highest recall (0).
    const detections = [
      ...Array.from({ length: 7 }, (_, k) => det(1 - k / 100, 20, k)),
      det(0.5, 20, -1),
      det(0.4, 20, 7),
    ];
    const ap = averagePrecision([{ detections, groundTruths: gts(20) }], at50);
    expect(ap).toBeCloseTo((35 * 1 + 6 * (8 / 9)) / 101, 12);
    // i / 100 would give (36 + 5 * 8/9) / 101 instead.
    expect(Math.abs(ap - (36 + 5 * (8 / 9)) / 101)).toBeGreaterThan(1e-4);
  });

  test('greedy matching: by descending score, each detection takes its most similar free ground truth', () => {
    // A (0.9) takes GT0 (0.8 > 0.6); B (0.8) then finds GT0 taken and GT1 too dissimilar: FP.
    // TP, FP -> precision 1, 1/2 at recall 1/2, 1/2 -> 51 points of 1. (An optimal assignment would give 1.)
    const img = {
      detections: [
        { score: 0.8, sim: [0.7, 0] },
        { score: 0.9, sim: [0.8, 0.6] },
      ],
      groundTruths: gts(2),
    };
    expect(averagePrecision([img], at50)).toBeCloseTo(51 / 101, 12);
    // A duplicate detection of an already matched ground truth is a false positive.
    const dup = { detections: [det(0.9, 1, 0), det(0.8, 1, 0)], groundTruths: gts(1) };
    expect(averagePrecision([dup], at50)).toBe(1);
    const dupFirst = { detections: [det(0.9, 2, 0), det(0.8, 2, 0), det(0.7, 2, 1)], groundTruths: gts(2) };
    // TP, FP, TP -> as the "false positive between two true positives" case.
    expect(averagePrecision([dupFirst], at50)).toBeCloseTo((51 * 1 + 50 * (2 / 3)) / 101, 12);
  });

  test('detections of all images are ranked together by score', () => {
    // Image 2's 0.9 is a false positive ranked first overall: 0.9 FP, 0.5 TP, 0.1 TP -> 2/3 everywhere.
    const one = { detections: [det(0.5, 1, 0)], groundTruths: gts(1) };
    const two = { detections: [det(0.9, 1, -1), det(0.1, 1, 0)], groundTruths: gts(1) };
    expect(averagePrecision([one, two], at50)).toBeCloseTo((101 * (2 / 3)) / 101, 12);
    // Detections in an image without ground truth are false positives: 0.9 FP, 0.5 TP -> 1/2 everywhere.
    const none = { detections: [det(0.9, 0, -1)], groundTruths: [] };
    expect(averagePrecision([one, none], at50)).toBeCloseTo(0.5, 12);
  });

  test('equal scores keep image order (stable sort, as pycocotools mergesort)', () => {
    // 2 GTs. FP then TP: precision 0, 1/2 at recall 0, 1/2 -> 1/2 at 51 points.
    const fp = { detections: [det(0.5, 1, -1)], groundTruths: gts(1) };
    const tp = { detections: [det(0.5, 1, 0)], groundTruths: gts(1) };
    expect(averagePrecision([fp, tp], at50)).toBeCloseTo((51 * (1 / 2)) / 101, 12);
    // TP then FP: precision 1, 1/2 at recall 1/2, 1/2 -> 1 at 51 points.
    expect(averagePrecision([tp, fp], at50)).toBeCloseTo((51 * 1) / 101, 12);
  });

  test('ignored ground truths: not counted, and a detection on one is neither TP nor FP', () => {
    // 0.9 on the ignored GT is dropped; 0.8 TP -> 1. (Counted as FP it would give 1/2.)
    const img = { detections: [det(0.9, 2, 1), det(0.8, 2, 0)], groundTruths: gts(2, [1]) };
    expect(averagePrecision([img], at50)).toBe(1);
    // An unmatched ignored GT does not lower recall. (Counted, recall would stop at 1/2: 51/101.)
    const missed = { detections: [det(0.9, 2, 0)], groundTruths: gts(2, [1]) };
    expect(averagePrecision([missed], at50)).toBe(1);
    // A regular GT is preferred to a more similar ignored one.
    const both = { detections: [{ score: 0.9, sim: [0.6, 0.95] }], groundTruths: gts(2, [1]) };
    expect(averagePrecision([both], at50)).toBe(1);
    // An ignored GT (not a crowd) absorbs one detection only: the second is a false positive.
    // Ignored, FP, TP -> precision 0, 1/2 at recall 0, 1 -> 1/2 everywhere.
    const twice = { detections: [det(0.9, 2, 1), det(0.8, 2, 1), det(0.7, 2, 0)], groundTruths: gts(2, [1]) };
    expect(averagePrecision([twice], at50)).toBeCloseTo(0.5, 12);
  });

  test('NaN when there is no non-ignored ground truth', () => {
    expect(averagePrecision([], at50)).toBeNaN();
    expect(averagePrecision([{ detections: [det(1, 0, -1)], groundTruths: [] }], at50)).toBeNaN();
    expect(averagePrecision([{ detections: [det(1, 1, 0)], groundTruths: gts(1, [0]) }], at50)).toBeNaN();
  });

  test('maxDetections keeps the best-scored detections of each image', () => {
    // The true positive is the lowest-scored of three.
    const img = { detections: [det(0.1, 1, 0), det(0.9, 1, -1), det(0.8, 1, -1)], groundTruths: gts(1) };
    expect(averagePrecision([img], { ...at50, maxDetections: 2 })).toBe(0);
    // FP, FP, TP -> precision 1/3 everywhere.
    expect(averagePrecision([img], at50)).toBeCloseTo((101 * (1 / 3)) / 101, 12);
    // Per image, not overall: with 1 each, A keeps 0.9 TP and B keeps 0.3 TP (not A's 0.8).
    // 3 GTs, TP, TP -> precision 1 up to recall 2/3: points 0..0.66 (67 points).
    const a = { detections: [det(0.9, 2, 0), det(0.8, 2, 1)], groundTruths: gts(2) };
    const b = { detections: [det(0.3, 1, 0), det(0.2, 1, -1)], groundTruths: gts(1) };
    expect(averagePrecision([a, b], { ...at50, maxDetections: 1 })).toBeCloseTo(67 / 101, 12);
    expect(averagePrecision([a, b], at50)).toBe(1);
    // Equal scores: the earlier detection is kept.
    const tie = { detections: [det(0.5, 1, -1), det(0.5, 1, 0)], groundTruths: gts(1) };
    expect(averagePrecision([tie], { ...at50, maxDetections: 1 })).toBe(0);
    const tie2 = { ...tie, detections: [...tie.detections].reverse() };
    expect(averagePrecision([tie2], { ...at50, maxDetections: 1 })).toBe(1);
  });

  test('the default maxDetections is 100', () => {
    // 100 false positives outscore the only true positive: it is the 101st detection and is cut.
    const detections = [...Array.from({ length: 100 }, (_, k) => det(1 - k / 1000, 1, -1)), det(0.5, 1, 0)];
    const img = { detections, groundTruths: gts(1) };
    expect(averagePrecision([img], at50)).toBe(0);
    // Kept with 101: precision 1/101 at recall 1.
    expect(averagePrecision([img], { ...at50, maxDetections: 101 })).toBeCloseTo(1 / 101, 12);
  });

  test('threshold sweep: similarity 0.72 counts at 0.50 ... 0.70 only', () => {
    const sweep = { ...at50, thresholds: COCO_IOU_THRESHOLDS };
    const at = (s: number) =>
      averagePrecision([{ detections: [{ score: 1, sim: [s] }], groundTruths: gts(1) }], sweep);
    expect(at(0.72)).toBeCloseTo(5 / 10, 12);
    // A match needs similarity >= threshold: exactly 0.75 counts at 0.75.
    expect(at(0.75)).toBeCloseTo(6 / 10, 12);
    expect(at(0.49)).toBe(0);
    expect(at(1)).toBe(1);
    expect(at(NaN)).toBe(0);
  });

  test('similarity is evaluated once per kept detection and ground truth, not per threshold', () => {
    let calls = 0;
    const img = { detections: [det(0.9, 3, 0), det(0.8, 3, 1), det(0.1, 3, 2)], groundTruths: gts(3) };
    averagePrecision([img], {
      ...at50,
      thresholds: COCO_IOU_THRESHOLDS,
      maxDetections: 2,
      similarity: (d, g) => {
        calls++;
        return d.sim[g.index];
      },
    });
    expect(calls).toBe(2 * 3);
  });
});

describe('centreOfMassSimilarity', () => {
  test('is max(0, 1 - distance / scale)', () => {
    expect(centreOfMassSimilarity({ u: 3, v: 4 }, { u: 0, v: 0 }, 10)).toBeCloseTo(0.5, 15);
    expect(centreOfMassSimilarity({ u: 7, v: 7 }, { u: 7, v: 7 }, 10)).toBe(1);
    expect(centreOfMassSimilarity({ u: 30, v: 40 }, { u: 0, v: 0 }, 10)).toBe(0);
    expect(centreOfMassSimilarity({ u: 0, v: 0 }, { u: 0, v: 0 }, 0)).toBe(0);
  });

  test('with COCO thresholds a hit needs distance <= (1 - t) * size, 0.5 down to 0.05 of the size', () => {
    const truth = { u: 10, v: 10 };
    const comAp = (pred: { u: number; v: number }) =>
      averagePrecision<{ score: number; u: number; v: number }, { u: number; v: number }>(
        [{ detections: [{ score: 1, ...pred }], groundTruths: [truth] }],
        {
          score: (d) => d.score,
          ignore: () => false,
          similarity: (d, g) => centreOfMassSimilarity(d, g, 10),
          thresholds: COCO_IOU_THRESHOLDS,
        },
      );
    // 0.28 of the size: similarity 0.72, a hit at 0.50 ... 0.70.
    expect(comAp({ u: 12.8, v: 10 })).toBeCloseTo(5 / 10, 12);
    // 0.04 of the size: a hit at every threshold; 0.6 of it: at none.
    expect(comAp({ u: 10, v: 10.4 })).toBe(1);
    expect(comAp({ u: 16, v: 10 })).toBe(0);
  });
});

describe('occlusionAccuracy', () => {
  const opts = {
    ...at50,
    threshold: 0.5,
    predicted: (d: D) => d.flag === true,
    truth: (g: G) => g.flag === true,
  };

  test('fraction of greedily matched pairs whose flags agree', () => {
    const images: ApImage<D, G>[] = [
      {
        // Listed out of score order on purpose.
        detections: [
          { score: 0.8, sim: [0.9, 0.6, 0], flag: true },
          { score: 0.9, sim: [0.8, 0, 0], flag: true },
          { score: 0.7, sim: [0, 0, 0.9], flag: false },
          { score: 0.6, sim: [0.4, 0.4, 0], flag: false },
        ],
        groundTruths: [
          { index: 0, flag: true },
          { index: 1, flag: false },
          { index: 2, flag: false, ignore: true },
        ],
      },
      { detections: [{ score: 0.5, sim: [0.5], flag: false }], groundTruths: [{ index: 0, flag: false }] },
    ];
    // Image 1: 0.9 takes GT0 (agree); 0.8 finds GT0 taken and takes GT1 at 0.6 (disagree); 0.7 only
    // fits the ignored GT2 and 0.6 is below the threshold: unmatched. Image 2: matched at exactly 0.5 (agree).
    expect(occlusionAccuracy(images, opts)).toEqual({ accuracy: 2 / 3, matched: 3 });
  });

  test('NaN accuracy when nothing is matched', () => {
    const r = occlusionAccuracy([{ detections: [{ score: 1, sim: [0.2] }], groundTruths: gts(1) }], opts);
    expect(r.matched).toBe(0);
    expect(r.accuracy).toBeNaN();
    expect(occlusionAccuracy([], opts).accuracy).toBeNaN();
  });
});

describe('occlusionConfusion', () => {
  const opts = {
    ...at50,
    threshold: 0.5,
    predicted: (d: D) => d.flag === true,
    truth: (g: G) => g.flag === true,
  };
  // Ten matched objects, 2 occluded: each detection matches ground truth i at similarity 0.9.
  const images = (flags: boolean[]): ApImage<D, G>[] =>
    flags.map((flag, i) => ({
      detections: [{ score: 1, sim: [0.9], flag }],
      groundTruths: [{ index: 0, flag: i < 2 }],
    }));

  test('constant answers: balanced accuracy 0.5; "never occluded" has F1 0 though its accuracy is 0.8', () => {
    const never = occlusionConfusion(images(Array<boolean>(10).fill(false)), opts);
    expect(never).toMatchObject({ matched: 10, tp: 0, fn: 2, tn: 8, fp: 0, balancedAccuracy: 0.5, f1: 0 });
    expect(occlusionAccuracy(images(Array<boolean>(10).fill(false)), opts).accuracy).toBeCloseTo(0.8, 12);
    const always = occlusionConfusion(images(Array<boolean>(10).fill(true)), opts);
    expect(always.balancedAccuracy).toBe(0.5);
    expect(always.f1).toBeCloseTo(4 / 12, 12);
  });

  test('one occluded object found, one false alarm: recalls 1/2 and 7/8, F1 2/(2+1+1)', () => {
    const flags = [true, false, true, false, false, false, false, false, false, false];
    const r = occlusionConfusion(images(flags), opts);
    expect(r).toMatchObject({ tp: 1, fn: 1, fp: 1, tn: 7 });
    expect(r.balancedAccuracy).toBeCloseTo((1 / 2 + 7 / 8) / 2, 12);
    expect(r.f1).toBeCloseTo(0.5, 12);
  });

  test('undefined without both classes or without any occluded object', () => {
    const none = occlusionConfusion([], opts);
    expect(none.balancedAccuracy).toBeNaN();
    expect(none.f1).toBeNaN();
  });
});

describe('ConfusionMatrix', () => {
  test('pixel accuracy, IoU per class and mIoU over classes with a non-empty union', () => {
    const cm = new ConfusionMatrix(5);
    cm.add(new Uint8Array([0, 0, 1, 2]), new Uint8Array([0, 1, 1, 3]));
    cm.add(new Uint8Array([2, 2]), new Uint8Array([2, 0]));
    // Truth 0 0 1 2 2 2, predicted 0 1 1 3 2 0: 3 of 6 pixels right.
    expect(cm.pixelAccuracy()).toBe(3 / 6);
    const iou = cm.iouPerClass();
    expect(iou).toHaveLength(5);
    expect(iou[0]).toBeCloseTo(1 / 3, 15); // inter 1, union 2 + 2 - 1
    expect(iou[1]).toBeCloseTo(1 / 2, 15); // inter 1, union 1 + 2 - 1
    expect(iou[2]).toBeCloseTo(1 / 3, 15); // inter 1, union 3 + 1 - 1
    expect(iou[3]).toBe(0); // only predicted: inter 0, union 1
    expect(iou[4]).toBeNaN(); // in neither
    expect(cm.meanIoU()).toBeCloseTo((1 / 3 + 1 / 2 + 1 / 3 + 0) / 4, 15);
  });

  test('an empty matrix has NaN accuracy and mIoU', () => {
    const cm = new ConfusionMatrix(3);
    expect(cm.pixelAccuracy()).toBeNaN();
    expect(cm.meanIoU()).toBeNaN();
    expect(cm.iouPerClass().every((x) => Number.isNaN(x))).toBe(true);
  });

  test('bad input is an error naming the value, and counts nothing', () => {
    const cm = new ConfusionMatrix(4);
    cm.add(new Uint8Array([1, 1]), new Uint8Array([1, 0]));
    expect(() => cm.add(new Uint8Array([0, 1, 7]), new Uint8Array([0, 1, 1]))).toThrow(
      /class id 7 is not below 4 classes/,
    );
    expect(() => cm.add(new Uint8Array([0, 4]), new Uint8Array([0, 0]))).toThrow(/truth class id 4/);
    expect(() => cm.add(new Uint8Array([0, 0]), new Uint8Array([0, 9]))).toThrow(/predicted class id 9/);
    expect(() => cm.add(new Uint8Array(2), new Uint8Array(3))).toThrow(/2 pixels.*3/);
    // Only the first add counted.
    expect(cm.pixelAccuracy()).toBe(1 / 2);
    expect(cm.iouPerClass()[0]).toBe(0);
    expect(() => new ConfusionMatrix(0)).toThrow(/0/);
  });
});

describe('meanSquaredError', () => {
  test('mean of squared differences', () => {
    expect(meanSquaredError(new Float32Array([0, 1, 2]), new Float32Array([1, 1, 0]))).toBeCloseTo(5 / 3, 15);
    expect(meanSquaredError(new Float32Array([0.5, 0.5]), new Float32Array([0.5, 0.5]))).toBe(0);
    expect(meanSquaredError(new Float32Array(0), new Float32Array(0))).toBeNaN();
  });

  test('different lengths are an error naming both', () => {
    expect(() => meanSquaredError(new Float32Array(1), new Float32Array(2))).toThrow(/1 and 2/);
  });
});
