// Camera-resolution instance masks: the separable sampling of the prototype logits equals the direct
// 2-D bilinear formula pixel for pixel (squash and letterbox views, crops at the map's edges, thresholds).
import { type MaskSource, type MaskView, sampleMask } from '../../src/perception/decode';

function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648;
  };
}

/** Logits at every output pixel's centre by the 2-D formula (prototype window clamped), thresholded. */
function direct(src: MaskSource, view: MaskView, threshold: number): { data: Uint8Array; area: number } {
  const { pw, ph, ps, k } = src;
  const gxOf = (u: number) => (view.padX + (u + 0.5) * view.scaleX) / ps - 0.5;
  const gyOf = (v: number) => (view.padY + (v + 0.5) * view.scaleY) / ps - 0.5;
  const gx0 = Math.max(0, Math.min(pw - 1, Math.floor(gxOf(view.x0))));
  const gx1 = Math.max(gx0, Math.min(pw - 1, Math.ceil(gxOf(view.x0 + view.width - 1))));
  const gy0 = Math.max(0, Math.min(ph - 1, Math.floor(gyOf(view.y0))));
  const gy1 = Math.max(gy0, Math.min(ph - 1, Math.ceil(gyOf(view.y0 + view.height - 1))));
  const logit = (gx: number, gy: number) => {
    let s = 0;
    for (let j = 0; j < k; j++) {
      s += Math.fround(src.coeffs[j * src.cells + src.cell]) * src.protos[j * pw * ph + gy * pw + gx];
    }
    return Math.fround(s);
  };
  const cut = Math.log(threshold / (1 - threshold));
  const data = new Uint8Array(view.width * view.height);
  let area = 0;
  for (let j = 0; j < view.height; j++) {
    const fy = Math.min(gy1, Math.max(gy0, gyOf(view.y0 + j)));
    const y0 = Math.floor(fy);
    const y1 = Math.min(gy1, y0 + 1);
    const ty = fy - y0;
    for (let i = 0; i < view.width; i++) {
      const fx = Math.min(gx1, Math.max(gx0, gxOf(view.x0 + i)));
      const x0 = Math.floor(fx);
      const x1 = Math.min(gx1, x0 + 1);
      const t = fx - x0;
      const top = logit(x0, y0) + (logit(x1, y0) - logit(x0, y0)) * t;
      const bottom = logit(x0, y1) + (logit(x1, y1) - logit(x0, y1)) * t;
      if (top + (bottom - top) * ty >= cut) {
        data[j * view.width + i] = 1;
        area++;
      }
    }
  }
  return { data, area };
}

test('separable mask sampling equals the 2-D bilinear formula exactly', () => {
  const rnd = random(3);
  const [k, pw, ph, gw, gh] = [16, 96, 72, 48, 36];
  // Smooth-ish logits (a blob per coefficient plane) so masks have edges inside the crops.
  const protos = new Float32Array(k * pw * ph);
  for (let j = 0; j < k; j++) {
    const [cx, cy, r] = [rnd() * pw, rnd() * ph, 5 + rnd() * 20];
    for (let y = 0; y < ph; y++)
      for (let x = 0; x < pw; x++)
        protos[j * pw * ph + y * pw + x] = 1 - Math.hypot(x - cx, y - cy) / r + 0.3 * (rnd() - 0.5);
  }
  const coeffs = Float32Array.from({ length: k * gw * gh }, () => 2 * rnd() - 1);
  const views: MaskView[] = [
    // 640x480 camera letterboxed into 192x144 (scale 0.3), a box inside and one on the image's corner.
    { scaleX: 0.3, scaleY: 0.3, padX: 0, padY: 0, x0: 200, y0: 150, width: 181, height: 97 },
    { scaleX: 0.3, scaleY: 0.3, padX: 0, padY: 0, x0: 0, y0: 0, width: 64, height: 40 },
    { scaleX: 0.3, scaleY: 0.3, padX: 0, padY: 0, x0: 560, y0: 400, width: 80, height: 80 },
    // A 16:9 camera letterboxed (vertical padding), and a 4:3 camera squashed into 5:4.
    { scaleX: 0.3, scaleY: 0.3, padX: 0, padY: 18, x0: 100, y0: 50, width: 240, height: 200 },
    { scaleX: 0.25, scaleY: 0.2667, padX: 0, padY: 0, x0: 33, y0: 71, width: 300, height: 211 },
    // Network resolution (identity), a one-pixel crop.
    { scaleX: 1, scaleY: 1, padX: 0, padY: 0, x0: 10, y0: 12, width: 70, height: 50 },
    { scaleX: 0.3, scaleY: 0.3, padX: 0, padY: 0, x0: 300, y0: 200, width: 1, height: 1 },
  ];
  let set = 0;
  for (const [n, view] of views.entries()) {
    for (const threshold of [0.3, 0.5, 0.7]) {
      const src: MaskSource = {
        coeffs,
        protos,
        cell: (n * 97) % (gw * gh),
        cells: gw * gh,
        k,
        pw,
        ph,
        ps: 2,
      };
      const got = sampleMask(src, view, threshold);
      const want = direct(src, view, threshold);
      expect(got.area).toBe(want.area);
      expect(got.data).toEqual(want.data);
      set += got.area;
    }
  }
  // Not trivial: masks with pixels set and not set.
  expect(set).toBeGreaterThan(1000);
});
