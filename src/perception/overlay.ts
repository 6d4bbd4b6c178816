// The overlay image: colour input with instance masks tinted, amodal boxes (red and labelled when the
// object is occluded), centres of mass and suction grasps (circle + approach direction) drawn on it.
import { type Image } from '../msg';
import { type CameraModel, imageToMat, imageToRgb, matToImage, project, withCv } from '../image';
import { type PerceptionOutput } from './pipeline';

/** Distinct, saturated colours for instance ids (golden-ratio hue steps). */
export function instanceColour(id: number): [number, number, number] {
  const h = (id * 0.618034) % 1;
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (1 - Math.max(0, Math.min(1, Math.min(k, 4 - k)))));
  };
  return [f(5), f(3), f(1)];
}

const ALPHA = 0.45;

export function renderOverlay(color: Image, out: PerceptionOutput, camera: CameraModel): Image {
  const { width, height } = camera;
  const rgb = Uint8Array.from(imageToRgb(color));
  for (let i = 0; i < width * height; i++) {
    const label = out.labels[i];
    if (!label) continue;
    const c = instanceColour(label - 1);
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = Math.round(rgb[3 * i + k] * (1 - ALPHA) + c[k] * ALPHA);
  }
  const base: Image = { ...color, encoding: 'rgb8', step: width * 3, is_bigendian: 0, data: rgb };
  const scale = Math.max(1, width / 640);
  return withCv('drawing the overlay', (c) => {
    const mat = imageToMat(base);
    const P = (x: number, y: number) => new c.Point2(Math.round(x), Math.round(y));
    const V = (r: number, g: number, b: number) => new c.Vec3(r, g, b);
    const t = Math.max(1, Math.round(scale));
    for (const inst of out.instances) {
      const [r, g, b] = inst.occluded ? [255, 40, 40] : instanceColour(inst.id);
      mat.drawRectangle(P(inst.box.x0, inst.box.y0), P(inst.box.x1 - 1, inst.box.y1 - 1), V(r, g, b), t);
      if (inst.occluded) {
        mat.putText(
          'occluded',
          P(inst.box.x0, Math.max(10, inst.box.y0 - 3)),
          c.FONT_HERSHEY_SIMPLEX,
          0.35 * scale,
          V(255, 40, 40),
          t,
        );
      }
      if (inst.centreOfMass) {
        const { u, v } = inst.centreOfMass;
        mat.drawLine(P(u - 4 * t, v), P(u + 4 * t, v), V(255, 255, 255), t);
        mat.drawLine(P(u, v - 4 * t), P(u, v + 4 * t), V(255, 255, 255), t);
      }
    }
    out.grasps.forEach((g, rank) => {
      const tip = project(camera, {
        x: g.point.x + 0.03 * g.normal.x,
        y: g.point.y + 0.03 * g.normal.y,
        z: g.point.z + 0.03 * g.normal.z,
      });
      const col = rank === 0 ? V(0, 255, 0) : V(255, 220, 0);
      mat.drawLine(P(g.u, g.v), P(tip.u, tip.v), col, t);
      mat.drawCircle(P(g.u, g.v), 5 * t, col, t);
    });
    return matToImage(mat, 'rgb8', color.header);
  });
}
