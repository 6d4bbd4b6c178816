"""Reader for datasets written by `grasp-perception dataset` (format: docs/dataset.md).

The same format the TypeScript reader (src/dataset/reader.ts) reads; field names match the
annotations JSON. Depends on Debian's python3-numpy and python3-pil only.

    python3 training/grasp_dataset.py DIR --summary     # one JSON line per split, for checks
"""

import argparse
import json
import os

import numpy as np
from PIL import Image

FORMAT_VERSION = 1
SPLITS = ("train", "val", "test")


def decode_rle(rle):
    """COCO uncompressed RLE (column-major runs, starting with zeros) -> HxW uint8 mask."""
    height, width = rle["size"]
    flat = np.zeros(height * width, dtype=np.uint8)
    pos, value = 0, 0
    for run in rle["counts"]:
        if value:
            flat[pos:pos + run] = 1
        pos += run
        value ^= 1
    if pos != height * width:
        raise ValueError(f"RLE covers {pos} pixels, the mask has {height * width}")
    return flat.reshape((width, height)).T


class GraspDataset:
    """One split of a dataset: scenes with images, heatmaps and per-object annotations."""

    def __init__(self, root, split="train"):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.root = root
        with open(os.path.join(root, "dataset.json")) as f:
            self.manifest = json.load(f)
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{root}/dataset.json: format_version {self.manifest.get('format_version')} "
                             f"is not {FORMAT_VERSION}")
        with open(os.path.join(root, split, "annotations.json")) as f:
            coco = json.load(f)
        self.images = coco["images"]
        self.categories = coco["categories"]
        self._by_image = {}
        for a in coco["annotations"]:
            self._by_image.setdefault(a["image_id"], []).append(a)

    def __len__(self):
        return len(self.images)

    def _png(self, rel):
        return np.asarray(Image.open(os.path.join(self.root, rel)))

    def __getitem__(self, i):
        img = self.images[i]
        anns = self._by_image.get(img["id"], [])
        depth_mm = self._png(img["depth"]).astype(np.float32)
        return {
            "image": img,
            "rgb": self._png(img["rgb"]),  # HxWx3 uint8
            "depth": np.where(depth_mm > 0, depth_mm * self.manifest["depth_scale_m"], np.nan).astype(np.float32),
            "semantic": self._png(img["semantic"]),
            "suction": self._png(img["suction"]).astype(np.float32) / self.manifest["suction_scale"],
            "annotations": anns,
            "visible_masks": [decode_rle(a["segmentation"]) for a in anns],
            "amodal_masks": [decode_rle(a["amodal_segmentation"]) for a in anns],
        }


def summary(root):
    out = {}
    for split in SPLITS:
        ds = GraspDataset(root, split)
        total_visible = 0
        total_amodal = 0
        depth_sum = 0.0
        suction_sum = 0.0
        for i in range(len(ds)):
            s = ds[i]
            total_visible += int(sum(int(m.sum()) for m in s["visible_masks"]))
            total_amodal += int(sum(int(m.sum()) for m in s["amodal_masks"]))
            depth_sum += float(np.nansum(s["depth"]))
            suction_sum += float(s["suction"].sum())
        out[split] = {"scenes": len(ds), "visible_px": total_visible, "amodal_px": total_amodal,
                      "depth_sum_m": round(depth_sum, 3), "suction_sum": round(suction_sum, 3)}
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root")
    parser.add_argument("--summary", action="store_true", help="print per-split totals as JSON")
    args = parser.parse_args()
    if args.summary:
        print(json.dumps(summary(args.root), sort_keys=True))
    else:
        ds = GraspDataset(args.root, "train")
        print(f"{len(ds)} training scenes in {args.root}")
