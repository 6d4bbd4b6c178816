// models/RESULTS.md: every shipped model evaluated side by side in one run on this machine (same input
// size, same thread count), and each manifest's `metrics` refreshed with what was measured.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type EvaluationSplit } from '../dataset';
import { loadManifest } from '../models/manifest';
import { readPolicySection } from '../policy/results';
import { readRealSection } from './real';
import { NODE_THREADS } from './run';
import { evaluatePerception, type PerceptionMetrics } from './perception';
import { evaluateSegmentation, type SegmentationMetrics } from './segmentation';

export const PERCEPTION_MODELS = [
  'resnet_graspnext',
  'efficientnet_graspnext',
  'mobilenet_graspnext',
  'fast_graspnext',
  // RAM-NAS front points (training/nas/ship.py), when shipped.
  'fast_graspnext_nas_l',
  'fast_graspnext_nas_m',
  'fast_graspnext_nas_s',
  'resnet_graspnext_int8',
  'efficientnet_graspnext_int8',
  'mobilenet_graspnext_int8',
  'fast_graspnext_int8',
  'fast_graspnext_nas_l_int8',
  'fast_graspnext_nas_m_int8',
  'fast_graspnext_nas_s_int8',
] as const;
export const SEGMENTATION_MODELS = ['lraspp', 'attendseg', 'lraspp_int8', 'attendseg_int8'] as const;

export interface ResultsOptions {
  models: string;
  data: string;
  /** Other datasets (e.g. the other shipped cells), evaluated pooled in a second table. */
  pooled?: readonly string[];
  threads?: number;
  limit?: number;
  split?: EvaluationSplit;
  onModel?: (name: string) => void;
}

const pct = (v: number) => (Number.isNaN(v) ? 'n/a' : (100 * v).toFixed(1));
const ms = (v: number) => v.toFixed(2);
const mb = (b: number) => (b / 1e6).toFixed(2);

function splitLine(split: EvaluationSplit | undefined): string {
  if (split === 'all')
    return 'Split: all scenes, training scenes included (`--split all`): these are not held-out scores.';
  if (split === 'val')
    return 'Split: validation (`--split val`), the split designs are chosen on: not the reported scores.';
  return 'Held-out split: test.';
}

function updateManifestMetrics(file: string, metrics: object): void {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  raw.metrics = metrics;
  fs.writeFileSync(file, `${JSON.stringify(raw, null, 2)}\n`);
}

function perceptionTaskCells(r: PerceptionMetrics): string {
  return [
    pct(r.amodal_bbox_ap),
    pct(r.visible_mask_ap),
    pct(r.amodal_mask_ap),
    pct(r.occlusion_accuracy),
    pct(r.occlusion_balanced_accuracy),
    pct(r.occlusion_f1),
    pct(r.com_ap),
    r.suction_mse.toFixed(4),
  ].join(' | ');
}

function trainingLine(file: string): string {
  const t = loadManifest(file, { verifyModel: false }).manifest.training;
  return `${String(t.samples)} samples, ${String(t.wall_s)} s`;
}

export async function writeResults(
  o: ResultsOptions,
): Promise<{ file: string; perception: PerceptionMetrics[]; segmentation: SegmentationMetrics[] }> {
  const manifest = (name: string) => path.join(o.models, `${name}.json`);
  // The network input and the input contract the model was trained on (v1: squashed, depth in metres).
  const inputLine = (r: { model: string; input_size: string }) =>
    `${r.input_size} (v${String(loadManifest(manifest(r.model), { verifyModel: false }).manifest.format_version)})`;
  const evalOptions = { threads: o.threads, limit: o.limit, split: o.split };
  const pooledData = o.pooled ?? [];
  const perception: PerceptionMetrics[] = [];
  const perceptionPooled: PerceptionMetrics[] = [];
  for (const name of PERCEPTION_MODELS.filter((n) => fs.existsSync(manifest(n)))) {
    o.onModel?.(name);
    perception.push(await evaluatePerception(manifest(name), o.data, evalOptions));
    if (pooledData.length > 0) {
      perceptionPooled.push(await evaluatePerception(manifest(name), pooledData, evalOptions));
    }
  }
  const segmentation: SegmentationMetrics[] = [];
  const segmentationPooled: SegmentationMetrics[] = [];
  for (const name of SEGMENTATION_MODELS.filter((n) => fs.existsSync(manifest(n)))) {
    o.onModel?.(name);
    segmentation.push(await evaluateSegmentation(manifest(name), o.data, evalOptions));
    if (pooledData.length > 0) {
      segmentationPooled.push(await evaluateSegmentation(manifest(name), pooledData, evalOptions));
    }
  }
  const measured = new Date().toISOString().slice(0, 10);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${cpu}, ${String(os.cpus().length)} cores`;
  const pooledFor = (name: string) =>
    [...perceptionPooled, ...segmentationPooled].find((r) => r.model === name);
  for (const r of [...perception, ...segmentation]) {
    const other = pooledFor(r.model);
    updateManifestMetrics(manifest(r.model), {
      ...r,
      data: o.data,
      measured,
      machine,
      ...(other ? { other_cells: { ...other, data: pooledData } } : {}),
    });
  }
  const mobile = perception.find((r) => r.model === 'mobilenet_graspnext');
  const lines: string[] = [
    '# Results',
    '',
    `Measured by one \`grasp-perception results --models models --data DIR\` run on ${measured}, on ${machine}:`,
    `${String(perception[0]?.images ?? segmentation[0]?.images ?? 0)} scenes of ${o.data}. ${splitLine(perception[0]?.split ?? segmentation[0]?.split)} Latency: onnxruntime-node inference (batch 1,`,
    `${String(o.threads ?? NODE_THREADS)} intra-op thread(s), CPU execution provider). APs are COCO-style over IoU 0.50:0.95, class-agnostic, in %.`,
    '',
    'Regenerate with that command (DIR from the pipeline: see docs/models.md). The policy section below, if any, comes',
    'from a separate `grasp-perception results --policy` run and names its own CPU; this command keeps it as it is.',
    '',
    '## Table 1: multi-task grasp perception',
    '',
    "Camera: the scenes' resolution, evaluated through the node's path (input contract, decoding, camera-resolution",
    "masks); input: the network's, with its input contract (v1: squashed to the input, depth in metres; v2: letterboxed,",
    'depth as height above the support plane; docs/models.md). Occlusion: accuracy, balanced accuracy (0.5 for any constant answer) and the',
    'occluded class\'s F1 (0 for "never occluded"), on the detections matched at amodal-box IoU 0.5.',
    '',
    '| model | camera | input | latency p50 ms | p90 ms | amodal bbox AP | visible mask AP | amodal mask AP | occlusion acc. | occlusion bal. acc. | occluded F1 | CoM AP | suction MSE | params | GFLOPs | file MB | training |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...perception.map(
      (r) =>
        `| ${r.model} | ${r.camera_resolution} | ${inputLine(r)} | ${ms(r.latency_ms_p50)} | ${ms(r.latency_ms_p90)} | ${perceptionTaskCells(r)} | ${(r.params / 1e6).toFixed(3)} M | ${r.gflops.toFixed(3)} | ${mb(r.size_bytes)} | ${trainingLine(manifest(r.model))} |`,
    ),
    '',
  ];
  if (perceptionPooled.length > 0) {
    lines.push(
      `Other cells, pooled: ${String(perceptionPooled[0].images)} held-out scenes of ${pooledData.join(', ')} (${perceptionPooled[0].camera_resolution}), same run, same columns:`,
      '',
      '| model | input | amodal bbox AP | visible mask AP | amodal mask AP | occlusion acc. | occlusion bal. acc. | occluded F1 | CoM AP | suction MSE |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...perceptionPooled.map((r) => `| ${r.model} | ${inputLine(r)} | ${perceptionTaskCells(r)} |`),
      '',
    );
  }
  if (mobile) {
    lines.push('Ratios to the MobileNetV3 baseline (same run):', '');
    lines.push('| model | latency | GFLOPs | params |', '|---|---|---|---|');
    for (const r of perception) {
      lines.push(
        `| ${r.model} | ${(mobile.latency_ms_p50 / r.latency_ms_p50).toFixed(2)}x faster | ${(mobile.gflops / r.gflops).toFixed(2)}x fewer | ${(mobile.params / r.params).toFixed(2)}x fewer |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '## AttendSeg-style segmentation',
    '',
    '| model | params | file MB | mIoU | pixel accuracy | latency p50 ms | p90 ms | GFLOPs | camera | input | training |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...segmentation.map(
      (r) =>
        `| ${r.model} | ${(r.params / 1e6).toFixed(3)} M | ${mb(r.size_bytes)} | ${pct(r.miou)} | ${pct(r.pixel_accuracy)} | ${ms(r.latency_ms_p50)} | ${ms(r.latency_ms_p90)} | ${r.gflops.toFixed(3)} | ${r.camera_resolution} | ${r.input_size} | ${trainingLine(manifest(r.model))} |`,
    ),
    '',
  );
  const classNames = [...new Set(segmentation.flatMap((r) => Object.keys(r.iou_per_class)))];
  const iouRows = (rows: SegmentationMetrics[], label: string) =>
    rows.map(
      (r) =>
        `| ${r.model} | ${label} | ${classNames.map((c) => pct(r.iou_per_class[c] ?? NaN)).join(' | ')} |`,
    );
  if (segmentation.length > 0 && classNames.length > 0) {
    lines.push(
      'IoU per class (%; n/a: the class is in neither the ground truth nor the prediction):',
      '',
      `| model | data | mIoU | ${classNames.join(' | ')} |`,
      `|---|---|---|${classNames.map(() => '---|').join('')}`,
      ...iouRows(segmentation, 'this split').map((row, i) =>
        row.replace(' | this split | ', ` | this split | ${pct(segmentation[i].miou)} | `),
      ),
      ...iouRows(segmentationPooled, 'other cells').map((row, i) =>
        row.replace(' | other cells | ', ` | other cells, pooled | ${pct(segmentationPooled[i].miou)} | `),
      ),
      '',
    );
  }
  const int8Pairs = [
    ['resnet_graspnext', 'resnet_graspnext_int8'],
    ['efficientnet_graspnext', 'efficientnet_graspnext_int8'],
    ['mobilenet_graspnext', 'mobilenet_graspnext_int8'],
    ['fast_graspnext', 'fast_graspnext_int8'],
    ['fast_graspnext_nas_l', 'fast_graspnext_nas_l_int8'],
    ['fast_graspnext_nas_m', 'fast_graspnext_nas_m_int8'],
    ['fast_graspnext_nas_s', 'fast_graspnext_nas_s_int8'],
    ['lraspp', 'lraspp_int8'],
    ['attendseg', 'attendseg_int8'],
  ] as const;
  const all = [...perception, ...segmentation] as unknown as Record<string, number | string>[];
  const find = (name: string) => all.find((r) => r.model === name);
  const pairs = int8Pairs.filter(([a, b]) => find(a) && find(b));
  if (pairs.length > 0) {
    lines.push(
      '## int8 vs fp32 (same run)',
      '',
      'Task metrics in points (%); the largest change is over every metric of the table above.',
      '',
      '| model | fp32 p50 ms | int8 p50 ms | speed-up | fp32 MB | int8 MB | main metric fp32 → int8 | largest change |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const [a, b] of pairs) {
      const fa = find(a)!;
      const fb = find(b)!;
      const keys =
        'miou' in fa
          ? ['miou', 'pixel_accuracy']
          : ['amodal_bbox_ap', 'visible_mask_ap', 'amodal_mask_ap', 'occlusion_accuracy', 'com_ap'];
      const main = keys[0];
      const change = Math.max(...keys.map((k) => Math.abs(Number(fb[k]) - Number(fa[k]))));
      lines.push(
        `| ${a} | ${ms(Number(fa.latency_ms_p50))} | ${ms(Number(fb.latency_ms_p50))} | ${(Number(fa.latency_ms_p50) / Number(fb.latency_ms_p50)).toFixed(2)}x | ${mb(Number(fa.size_bytes))} | ${mb(Number(fb.size_bytes))} | ${main} ${pct(Number(fa[main]))} → ${pct(Number(fb[main]))} | ${(100 * change).toFixed(2)} |`,
      );
    }
    lines.push('');
  }
  const file = path.join(o.models, 'RESULTS.md');
  const policy = readPolicySection(file); // measured by `results --policy`; kept as it is
  if (policy) lines.push(policy, '');
  const real = readRealSection(file); // measured by `eval real --write-results`; kept as it is
  if (real) lines.push(real, '');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, perception, segmentation };
}
