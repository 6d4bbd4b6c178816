import { cv, type Mat } from '../image';
import { type SimFrame } from './frame';
import { SEMANTIC_CLASSES } from './shapes';

// One picture of everything a frame labels, for a person to check the ground truth by eye.
// Drawing (colour maps, text, markers, resizing) is OpenCV's; only the per-pixel label colouring
// is written here.

const PANEL_W = 320;
const PANEL_H = 240;
const TITLE_H = 22;
/** cv::COLORMAP_TURBO (OpenCV ≥ 4.1; opencv4nodejs does not export the constant). */
const COLORMAP_TURBO = 20;

/** A distinct, stable colour per instance id (golden-angle hue steps). */
function idColor(id: number): [number, number, number] {
  const h = (id * 137.508) % 360;
  const s = 0.65;
  const v = 0.95;
  const c = v * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const [r, g, b] =
    h < 60
      ? [c, x, 0]
      : h < 120
        ? [x, c, 0]
        : h < 180
          ? [0, c, x]
          : h < 240
            ? [0, x, c]
            : h < 300
              ? [x, 0, c]
              : [c, 0, x];
  const m = v - c;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

function rgbMat(data: Uint8Array, w: number, h: number): Mat {
  const c = cv();
  return new c.Mat(Buffer.from(data.buffer, data.byteOffset, data.byteLength), h, w, c.CV_8UC3);
}

/** [0, 1] values → OpenCV's turbo colour map (RGB); NaN or negative → black. */
function heat(values: Float32Array, w: number, h: number, lo: number, hi: number): Mat {
  const c = cv();
  const g = new Uint8Array(w * h);
  const valid = new Uint8Array(w * h);
  for (let i = 0; i < g.length; i++) {
    const v = values[i];
    if (v > 0 || (lo === 0 && v === 0)) {
      valid[i] = 1;
      g[i] = Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo)) * 255)));
    }
  }
  const bgr = c.applyColorMap(new c.Mat(Buffer.from(g.buffer), h, w, c.CV_8UC1), COLORMAP_TURBO);
  const out = new Uint8Array(bgr.cvtColor(c.COLOR_BGR2RGB).getData());
  for (let i = 0; i < valid.length; i++) if (!valid[i]) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = 0;
  return rgbMat(out, w, h);
}

/** A titled panel, as tight RGB bytes of PANEL_W × (TITLE_H + PANEL_H). */
function panel(mat: Mat, title: string): Uint8Array {
  const c = cv();
  const bar = new c.Mat(TITLE_H, PANEL_W, c.CV_8UC3, [30, 30, 30]);
  bar.putText(
    title,
    new c.Point2(6, 16),
    c.FONT_HERSHEY_SIMPLEX,
    0.45,
    new c.Vec3(255, 255, 255),
    1,
    c.LINE_AA,
  );
  const out = new Uint8Array(PANEL_W * (TITLE_H + PANEL_H) * 3);
  out.set(bar.getData(), 0);
  out.set(mat.resize(PANEL_H, PANEL_W, 0, 0, c.INTER_AREA).getData(), PANEL_W * TITLE_H * 3);
  return out;
}

/** Copies panels into a grid (opencv4nodejs has no hconcat/vconcat). */
function grid(panels: Uint8Array[], columns: number): { width: number; height: number; rgb: Uint8Array } {
  const ph = TITLE_H + PANEL_H;
  const rows = Math.ceil(panels.length / columns);
  const width = PANEL_W * columns;
  const height = ph * rows;
  const rgb = new Uint8Array(width * height * 3);
  panels.forEach((p, k) => {
    const x0 = (k % columns) * PANEL_W;
    const y0 = Math.floor(k / columns) * ph;
    for (let y = 0; y < ph; y++) {
      rgb.set(p.subarray(y * PANEL_W * 3, (y + 1) * PANEL_W * 3), ((y0 + y) * width + x0) * 3);
    }
  });
  return { width, height, rgb };
}

/**
 * RGB with centre-of-mass marks, depth, visible instances, amodal masks, occlusion, suction
 * heatmap, semantic classes, and a per-object table — returned as one RGB image.
 */
export function contactSheet(frame: SimFrame): { width: number; height: number; rgb: Uint8Array } {
  const c = cv();
  const { width: w, height: h } = frame;
  const n = w * h;

  const rgbCom = rgbMat(new Uint8Array(frame.rgb), w, h);
  for (const o of frame.objects) {
    const p = new c.Point2(Math.round(o.centerOfMassPixel.u), Math.round(o.centerOfMassPixel.v));
    for (const [color, size, thick] of [
      [new c.Vec3(255, 255, 255), 8, 4],
      [new c.Vec3(...idColor(o.id)), 7, 2],
    ] as const) {
      rgbCom.drawLine(new c.Point2(p.x - size, p.y), new c.Point2(p.x + size, p.y), color, thick);
      rgbCom.drawLine(new c.Point2(p.x, p.y - size), new c.Point2(p.x, p.y + size), color, thick);
    }
  }

  let maxDepth = 0;
  let minDepth = Infinity;
  for (let i = 0; i < n; i++) {
    const d = frame.depth[i];
    if (d > 0) {
      if (d > maxDepth) maxDepth = d;
      if (d < minDepth) minDepth = d;
    }
  }
  const depth = heat(frame.depth, w, h, minDepth, maxDepth || 1);

  const visible = new Uint8Array(n * 3);
  const semantic = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const id = frame.instance[i];
    const col = id ? idColor(id) : [40, 40, 40];
    visible.set(col, 3 * i);
    const cls = frame.semantic[i];
    semantic.set(cls === 0 ? [20, 20, 20] : idColor(cls * 7 + 3), 3 * i);
  }

  // Amodal masks are additive: where hidden parts overlap, colours mix, so occluded extents show.
  const amodalAcc = new Float32Array(n * 3);
  const occlusion = new Uint8Array(n * 3).fill(40);
  const byId = new Map(frame.objects.map((o) => [o.id, o]));
  for (const o of frame.objects) {
    const m = o.amodalMask;
    if (!m) continue;
    const col = idColor(o.id);
    for (let y = 0; y < m.height; y++) {
      for (let x = 0; x < m.width; x++) {
        if (!m.data[y * m.width + x]) continue;
        const i = (m.y + y) * w + (m.x + x);
        for (let k = 0; k < 3; k++) amodalAcc[3 * i + k] = Math.min(255, amodalAcc[3 * i + k] + col[k] * 0.6);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const o = byId.get(frame.instance[i]);
    if (!o) continue;
    // Green = fully visible, red = heavily occluded; occluded objects get a brighter tone.
    const r = Math.round(255 * Math.min(1, o.occlusion * 2));
    const g = Math.round(255 * Math.min(1, 2 - o.occlusion * 2));
    occlusion.set(o.occluded ? [r, g, 60] : [r >> 1, g >> 1, 30], 3 * i);
  }
  const occlusionMat = rgbMat(occlusion, w, h);
  for (const o of frame.objects) {
    if (!o.visibleBox || o.visibleArea < 80) continue;
    const text = `${Math.round(o.occlusion * 100)}%`;
    const p = new c.Point2(o.visibleBox.x + 2, o.visibleBox.y + Math.min(o.visibleBox.height, 20));
    occlusionMat.putText(text, p, c.FONT_HERSHEY_SIMPLEX, 0.6, new c.Vec3(255, 255, 255), 2, c.LINE_AA);
  }

  const suction = frame.suction ? heat(frame.suction, w, h, 0, 1) : rgbMat(new Uint8Array(n * 3), w, h);

  const table = new c.Mat(h, w, c.CV_8UC3, [25, 25, 25]);
  const lines = [
    `${frame.objects.length} objects, ${w}x${h}, fx ${frame.intrinsics.fx.toFixed(0)}`,
    'id class      occl  vis px  CoM px',
    ...frame.objects
      .slice(0, 18)
      .map(
        (o) =>
          `${String(o.id).padStart(2)} ${o.className.padEnd(9)} ${(o.occlusion * 100).toFixed(0).padStart(3)}%${o.occluded ? '*' : ' '} ${String(o.visibleArea).padStart(6)}  ${o.centerOfMassPixel.u.toFixed(0)},${o.centerOfMassPixel.v.toFixed(0)}`,
      ),
    `classes: ${SEMANTIC_CLASSES.map((k) => `${k.id}=${k.name}`).join(' ')}`,
  ];
  lines.forEach((t, i) =>
    table.putText(
      t,
      new c.Point2(10, 28 + i * 24),
      c.FONT_HERSHEY_PLAIN,
      1.4,
      new c.Vec3(230, 230, 230),
      1,
      c.LINE_AA,
    ),
  );

  const panels = [
    panel(rgbCom, 'RGB + centre-of-mass marks'),
    panel(depth, `depth ${minDepth.toFixed(2)}-${maxDepth.toFixed(2)} m`),
    panel(rgbMat(visible, w, h), 'visible instances'),
    panel(
      rgbMat(
        Uint8Array.from(amodalAcc, (v) => Math.round(v)),
        w,
        h,
      ),
      'amodal masks (overlaps mix)',
    ),
    panel(occlusionMat, 'occlusion ratio (bright = occluded)'),
    panel(suction, 'suction heatmap (seal score)'),
    panel(rgbMat(semantic, w, h), 'semantic classes'),
    panel(table, 'objects'),
  ];
  return grid(panels, 4);
}
