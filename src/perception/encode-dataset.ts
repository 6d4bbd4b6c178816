// `grasp-perception encode`: a dataset's scenes through input contract v2 (src/perception/preprocess.ts),
// for training. The runtime's own code letterboxes the colour and fits the support plane, so the network
// is trained on exactly what the nodes will feed it (no second implementation in Python to keep in step).
//
// Writes DIR/encoded/<W>x<H>/<split>.bin and <split>.json. Per scene, in order, 8·W·H bytes:
//   rgb       uint8  H×W×3  letterboxed colour (the contract's pad colour outside the camera image)
//   height    int16  H×W    height above the support plane, 0.1 mm units, -32768 = invalid or padding
//   semantic  uint8  H×W    class ids, nearest (0 = background in the padding)
//   suction   uint16 H×W    suction score × 65535, bilinear (0 in the padding)
// The JSON holds each scene's image id and input transform (camera -> network pixels), which
// training/training_data.py applies to the boxes, masks and centres of mass.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadScene, openDataset, SPLITS, type SplitName } from '../dataset';
import { type InputContract } from '../models/manifest';
import { encodeRaw, type InputTransform, rgbImage } from './preprocess';

/** The contract v2 every trained model gets (the export writes the same values into its manifest). */
export const CONTRACT_V2_DEFAULTS: Omit<InputContract, 'trained_aspects'> = {
  version: 2,
  fit: 'letterbox',
  pad_color: [0, 0, 0],
  depth_encoding: 'height_above_support',
};

export const HEIGHT_UNIT_M = 1e-4;
export const INVALID_HEIGHT = -32768;

export interface EncodedSplitIndex {
  split: SplitName;
  width: number;
  height: number;
  bytes_per_scene: number;
  contract: typeof CONTRACT_V2_DEFAULTS;
  height_unit_m: number;
  invalid_height: number;
  scenes: {
    image_id: number;
    camera: [number, number];
    transform: Pick<InputTransform, 'scaleX' | 'scaleY' | 'padX' | 'padY' | 'contentWidth' | 'contentHeight'>;
    /** Whether a support plane was found (else every height is invalid). */
    plane: boolean;
  }[];
}

/** The directory `encode` writes for a network input of width x height. */
export function encodedDir(data: string, width: number, height: number): string {
  return path.join(data, 'encoded', `${width}x${height}`);
}

/** Encodes every split of a dataset for a width x height network input; returns the files written. */
export function encodeDataset(
  data: string,
  width: number,
  height: number,
  onProgress?: (done: number, total: number) => void,
): { dir: string; scenes: Record<string, number> } {
  const ds = openDataset(data);
  const dir = encodedDir(data, width, height);
  fs.mkdirSync(dir, { recursive: true });
  const n = width * height;
  const bytes = 8 * n;
  const counts: Record<string, number> = {};
  const total = SPLITS.reduce((k, s) => k + ds.splits[s].images.length, 0);
  let done = 0;
  for (const split of SPLITS) {
    const images = ds.splits[split].images;
    counts[split] = images.length;
    const index: EncodedSplitIndex = {
      split,
      width,
      height,
      bytes_per_scene: bytes,
      contract: CONTRACT_V2_DEFAULTS,
      height_unit_m: HEIGHT_UNIT_M,
      invalid_height: INVALID_HEIGHT,
      scenes: [],
    };
    const tmp = path.join(dir, `${split}.bin.tmp`);
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const image of images) {
        const scene = loadScene(ds, image, []);
        const { width: cw, height: ch, intrinsics } = image;
        const raw = encodeRaw({ ...CONTRACT_V2_DEFAULTS, trained_aspects: [1] }, width, height, {
          color: rgbImage(cw, ch, scene.rgb),
          depth: { width: cw, height: ch, metres: scene.depth },
          intrinsics,
        });
        const t = raw.transform;
        const buf = Buffer.alloc(bytes);
        buf.set(raw.rgb, 0);
        const heights = new Int16Array(n).fill(INVALID_HEIGHT);
        const semantic = new Uint8Array(n);
        const suction = new Uint16Array(n);
        for (let i = 0; i < n; i++) {
          const h = raw.height![i];
          if (!Number.isNaN(h)) heights[i] = Math.max(-32767, Math.min(32767, Math.round(h / HEIGHT_UNIT_M)));
        }
        for (let y = 0; y < t.contentHeight; y++) {
          const fy = (y + 0.5) / t.scaleY - 0.5;
          const vn = Math.min(ch - 1, Math.max(0, Math.floor((y + 0.5) / t.scaleY)));
          const y0 = Math.min(ch - 1, Math.max(0, Math.floor(fy)));
          const y1 = Math.min(ch - 1, y0 + 1);
          const ty = Math.min(1, Math.max(0, fy - y0));
          for (let x = 0; x < t.contentWidth; x++) {
            const fx = (x + 0.5) / t.scaleX - 0.5;
            const un = Math.min(cw - 1, Math.max(0, Math.floor((x + 0.5) / t.scaleX)));
            const x0 = Math.min(cw - 1, Math.max(0, Math.floor(fx)));
            const x1 = Math.min(cw - 1, x0 + 1);
            const tx = Math.min(1, Math.max(0, fx - x0));
            const s = scene.suction;
            const top = s[y0 * cw + x0] * (1 - tx) + s[y0 * cw + x1] * tx;
            const bottom = s[y1 * cw + x0] * (1 - tx) + s[y1 * cw + x1] * tx;
            const k = (t.padY + y) * width + t.padX + x;
            semantic[k] = scene.semantic[vn * cw + un];
            suction[k] = Math.round((top * (1 - ty) + bottom * ty) * 65535);
          }
        }
        buf.set(new Uint8Array(heights.buffer), 3 * n);
        buf.set(semantic, 5 * n);
        buf.set(new Uint8Array(suction.buffer), 6 * n);
        fs.writeSync(fd, buf);
        index.scenes.push({
          image_id: image.id,
          camera: [cw, ch],
          transform: {
            scaleX: t.scaleX,
            scaleY: t.scaleY,
            padX: t.padX,
            padY: t.padY,
            contentWidth: t.contentWidth,
            contentHeight: t.contentHeight,
          },
          plane: raw.plane !== null && raw.plane !== undefined,
        });
        onProgress?.(++done, total);
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(dir, `${split}.bin`));
    fs.writeFileSync(path.join(dir, `${split}.json`), `${JSON.stringify(index)}\n`);
  }
  return { dir, scenes: counts };
}
