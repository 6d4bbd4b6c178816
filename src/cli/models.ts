// CLI commands around the models: eval (perception, segmentation), calibrate (int8) and results.
import { type Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { calibrate } from '../models/calibrate';
import { evaluatePerception } from '../eval/perception';
import {
  evaluatePolicy,
  POLICY_CASES,
  type PolicyCase,
  PROTOCOL_RUNS,
  recordPolicyMetrics,
} from '../eval/policy';
import { DEFAULT_FAILED_GRASP_MEMORY } from '../policy/grasp-memory';
import { NATIVE_CAMERA } from '../policy/sim-observation';
import { updateReadme } from '../eval/readme';
import { writeResults } from '../eval/results';
import { evaluateSegmentation } from '../eval/segmentation';
import { runInfer } from './infer';
import { graspSourceOption } from './eval-real';
import { type GraspSource } from '../perception/grasp-source';
import { replay } from '../bag/replay';
import { type BenchOptions, runBench } from '../eval/bench';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadManifest } from '../models/manifest';
import { benchPolicies, policyManifests, policyTable, writePolicySection } from '../policy/results';
import { PACKAGE_ROOT } from '../msg';
import { ALL_SPLIT_NOTE, type EvaluationSplit } from '../dataset';
import { loadCell } from '../sim';
import { encodeDataset } from '../perception/encode-dataset';
import { NODE_THREADS } from '../eval/run';

type Io = { out: (s: string) => void; err: (s: string) => void };
type IntegerOption = (name: string, lo: number, hi: number) => (v: string) => number;

/** Option parser: a number in [lo, hi], else one readable error naming the option. */
const number = (name: string, lo: number, hi: number) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < lo || n > hi)
    throw new Error(`${name} must be a number from ${lo} to ${hi}, got '${v}'`);
  return n;
};

/** Option parser: WIDTHxHEIGHT of a camera (sim_node's range), else one readable error. */
const cameraSize = (v: string): { width: number; height: number } => {
  const m = /^(\d+)x(\d+)$/.exec(v.trim());
  const [width, height] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || width < 32 || width > 1920 || height < 24 || height > 1080)
    throw new Error(`--camera must be WIDTHxHEIGHT from 32x24 to 1920x1080, like 640x480; got '${v}'`);
  return { width, height };
};

/** A progress bar on stderr that stays quiet when --json output is being captured from a non-TTY. */
function progress(label: string): { update: (done: number, total: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ format: `${label} |{bar}| {value}/{total}`, stream: process.stderr });
  let started = false;
  return {
    update: (done, total) => {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

const splitOption = () =>
  new Option(
    '--split <split>',
    'test: the held-out split (refused when the dataset has none); val: the split designs and checkpoints are chosen on; all: every scene, training scenes included',
  )
    .choices(['test', 'val', 'all'])
    .default('test');

function metricsText(metrics: Record<string, unknown>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}: ${typeof v === 'number' ? +v.toFixed(4) : JSON.stringify(v)}`)
    .join('\n');
}

export function registerModelCommands(program: Command, io: Io, integer: IntegerOption): void {
  const evalCmd = program
    .command('eval')
    .description('evaluate a model on a dataset (its test split, or all of it with --split all)');
  for (const task of ['perception', 'segmentation'] as const) {
    evalCmd
      .command(task)
      .description(`evaluate a ${task} model through the nodes' own preprocess and decode stages`)
      .requiredOption('--model <manifest>', 'model manifest, e.g. models/fast_graspnext.json')
      .requiredOption(
        '--data <dirs...>',
        'directories written by `grasp-perception dataset` (several: evaluated pooled, as `results --pooled`)',
      )
      .option('--json', 'print one JSON object', false)
      .option(
        '--threads <n>',
        "onnxruntime intra-op threads (default: perception_node's)",
        integer('--threads', 1, 256),
        NODE_THREADS,
      )
      .option('--limit <n>', 'evaluate the first N scenes only', integer('--limit', 1, 1_000_000))
      .addOption(splitOption())
      .action(
        async (o: {
          model: string;
          data: string[];
          json: boolean;
          threads: number;
          limit?: number;
          split: EvaluationSplit;
        }) => {
          const bar = progress(`eval ${task}`);
          const run = task === 'perception' ? evaluatePerception : evaluateSegmentation;
          try {
            const data = o.data.length === 1 ? o.data[0] : o.data;
            const metrics = await run(o.model, data, {
              threads: o.threads,
              limit: o.limit,
              split: o.split,
              onProgress: bar.update,
            });
            bar.stop();
            if (metrics.split === 'all') io.err(`eval ${task}: ${o.data.join(', ')}: ${ALL_SPLIT_NOTE}\n`);
            io.out(
              o.json
                ? `${JSON.stringify(metrics)}\n`
                : `${metricsText(metrics as unknown as Record<string, unknown>)}\n`,
            );
          } finally {
            bar.stop();
          }
        },
      );
  }

  evalCmd
    .command('policy')
    .description(
      'closed-loop episodes of a push-and-grasp policy in the simulator (VPG test protocol, docs/policy.md)',
    )
    .requiredOption('--model <manifest>', 'policy manifest, e.g. models/policy_reduced_ptq.json')
    .addOption(
      new Option(
        '--case <case>',
        'random clutter (--objects), 30-object clutter, generated or hand-made adversarial arrangements, or all four',
      )
        .choices([...POLICY_CASES, 'all'])
        .default('all'),
    )
    .option(
      '--runs <n>',
      `episodes per case (default the protocol's: ${Object.entries(PROTOCOL_RUNS)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')})`,
      integer('--runs', 1, 10_000),
    )
    .addOption(
      new Option('--seed-range <range>', 'seed range of the episodes (design: design experiments only)')
        .choices(['evaluation', 'design'])
        .default('evaluation'),
    )
    .option(
      '--seed-base <n>',
      "episode k of each case uses seed B + k (default: the range's first seed; src/policy/seed-ranges.json)",
      integer('--seed-base', 0, 2 ** 31 - 1),
    )
    .option('--objects <n>', "objects in the 'random' case", integer('--objects', 1, 40), 10)
    .option(
      '--cell <file>',
      "random episodes are this cell's scenes (cells/*.yaml); --objects does not apply",
    )
    .option(
      '--max-actions <n>',
      'action limit per episode (default 5 per object)',
      integer('--max-actions', 1, 10_000),
    )
    .option(
      '--failed-grasp-radius <m>',
      `failed-grasp memory: grasps this close to a recent failure are not admissible; 0 = off (default ${DEFAULT_FAILED_GRASP_MEMORY.radius})`,
      number('--failed-grasp-radius', 0, 0.5),
    )
    .option(
      '--failed-grasp-actions <n>',
      `failed-grasp memory: a failure is remembered for this many actions (default ${DEFAULT_FAILED_GRASP_MEMORY.actions})`,
      integer('--failed-grasp-actions', 0, 1000),
    )
    .option(
      '--camera <WxH>',
      "camera resolution of the episodes (default sim_node's native 640x480)",
      cameraSize,
      { width: NATIVE_CAMERA.width, height: NATIVE_CAMERA.height },
    )
    .option('--threads <n>', 'onnxruntime intra-op threads', integer('--threads', 1, 256), 1)
    .option(
      '--record',
      "write the result into the manifest's metrics (what results --policy tabulates)",
      false,
    )
    .option('--json', 'print one JSON object', false)
    .action(
      async (o: {
        model: string;
        case: PolicyCase;
        runs?: number;
        seedRange: 'evaluation' | 'design';
        seedBase?: number;
        objects: number;
        cell?: string;
        maxActions?: number;
        failedGraspRadius?: number;
        failedGraspActions?: number;
        camera: { width: number; height: number };
        threads: number;
        record: boolean;
        json: boolean;
      }) => {
        // A bad cell is one line before any model is loaded.
        const cell = o.cell ? loadCell(o.cell) : undefined;
        if (o.record && o.seedRange !== 'evaluation')
          throw new Error('eval policy: --record takes evaluation-range runs only (reported figures)');
        const memory = {
          radius: o.failedGraspRadius ?? DEFAULT_FAILED_GRASP_MEMORY.radius,
          actions: o.failedGraspActions ?? DEFAULT_FAILED_GRASP_MEMORY.actions,
        };
        const bar = progress('eval policy');
        try {
          const metrics = await evaluatePolicy({ ...o, cell, memory, onEpisode: bar.update });
          bar.stop();
          if (o.record) recordPolicyMetrics(o.model, metrics);
          io.out(o.json ? `${JSON.stringify(metrics)}\n` : `${metricsText(metrics)}\n`);
        } finally {
          bar.stop();
        }
      },
    );

  program
    .command('infer')
    .description('run perception on image files: writes DIR/result.json and DIR/overlay.png')
    .requiredOption('--rgb <png>', '8-bit colour PNG')
    .requiredOption('--depth <png>', '16-bit depth PNG in millimetres, aligned to the colour image')
    .requiredOption('--camera-info <yaml>', 'camera_calibration YAML (image_width, camera_matrix, ...)')
    .requiredOption('--out <dir>', 'directory to write')
    .option('--model <manifest>', 'perception model manifest', 'models/fast_graspnext.json')
    .option('--threads <n>', 'onnxruntime intra-op threads', integer('--threads', 1, 256), 2)
    .addOption(graspSourceOption())
    .action(
      async (o: {
        rgb: string;
        depth: string;
        cameraInfo: string;
        out: string;
        model: string;
        threads: number;
        graspSource: GraspSource;
      }) => {
        const r = await runInfer(o);
        io.out(`${JSON.stringify(r)}\n`);
      },
    );

  program
    .command('replay')
    .description(
      "feed a bag's colour/depth/camera_info through the nodes; write inputs and outputs to a new MCAP",
    )
    .argument('<in.mcap>', 'ROS 2 MCAP bag (Image or CompressedImage, CameraInfo)')
    .requiredOption('--out <file>', 'output MCAP (Foxglove opens it)')
    .option('--color-topic <topic>', 'colour topic (default: the first image topic named like colour/rgb)')
    .option('--depth-topic <topic>', 'aligned depth topic (default: the first image topic named like depth)')
    .option('--info-topic <topic>', 'camera_info topic (default: the first CameraInfo topic)')
    .option('--model <manifest>', "perception model manifest (default: perception_node's)")
    .option('--no-segmentation', 'do not run segmentation_node')
    .action(
      async (
        input: string,
        o: {
          out: string;
          colorTopic?: string;
          depthTopic?: string;
          infoTopic?: string;
          model?: string;
          segmentation: boolean;
        },
      ) => {
        const r = await replay({ input, ...o }, (w) => io.err(`grasp-perception: warning: ${w}\n`));
        io.out(`${JSON.stringify(r)}\n`);
      },
    );

  program
    .command('bench')
    .description(
      'perception latency per stage on 640x480 RGB-D messages, and a sustained fixed-rate run; prints JSON',
    )
    .option(
      '--model <manifest>',
      'perception model manifest',
      path.join(PACKAGE_ROOT, 'models/fast_graspnext.json'),
    )
    .option('--frames <n>', 'frames for the per-stage figures', integer('--frames', 1, 1_000_000), 200)
    .option('--width <px>', 'image width', integer('--width', 32, 1920), 640)
    .option('--height <px>', 'image height', integer('--height', 24, 1080), 480)
    .option('--threads <n>', 'onnxruntime intra-op threads', integer('--threads', 1, 256), 1)
    .option('--rate <hz>', 'sustained run input rate', integer('--rate', 1, 1000), 30)
    .option(
      '--seconds <s>',
      'sustained run length (0 skips it; the target is 600)',
      integer('--seconds', 0, 86_400),
      30,
    )
    .option('--scenes <n>', 'distinct simulator scenes cycled through', integer('--scenes', 1, 100), 8)
    .addOption(
      new Option(
        '--bus <bus>',
        'sustained run: perception_node in this process (inprocess), as its own process over DDS (rclnodejs: needs ROS 2 sourced), or both in one run',
      )
        .choices(['inprocess', 'rclnodejs', 'both'])
        .default('inprocess'),
    )
    .addOption(graspSourceOption())
    .option('--json', 'print one JSON object (the only output format)', true)
    .action(async (o: BenchOptions) => {
      io.out(`${JSON.stringify(await runBench(o))}\n`);
    });

  program
    .command('encode')
    .description(
      "a dataset's scenes through input contract v2 (letterbox, height above the support plane), for training",
    )
    .requiredOption('--data <dir>', 'a directory written by `grasp-perception dataset`, at camera resolution')
    .requiredOption('--input <WxH>', 'network input size, e.g. 192x144')
    .action((o: { data: string; input: string }) => {
      const m = /^(\d+)x(\d+)$/.exec(o.input);
      if (!m || Number(m[1]) < 8 || Number(m[2]) < 8) {
        throw new Error(`--input must be WIDTHxHEIGHT (at least 8x8), like 192x144; got '${o.input}'`);
      }
      const bar = progress('encode');
      try {
        const r = encodeDataset(o.data, Number(m[1]), Number(m[2]), bar.update);
        bar.stop();
        io.out(`${JSON.stringify(r)}\n`);
      } finally {
        bar.stop();
      }
    });

  program
    .command('calibrate')
    .description('measure activation ranges for int8 quantization (used by training/quantize.py)')
    .requiredOption('--model <manifest>', 'fp32 model manifest')
    .requiredOption('--onnx <file>', 'calibration copy of the model (quantize.py prepare)')
    .requiredOption('--tensors <file>', 'tensor list (quantize.py prepare)')
    .option('--data <dir>', 'dataset directory, for perception and segmentation (its training split)')
    .requiredOption('--out <file>', 'ranges JSON to write')
    .option(
      '--images <n>',
      'calibration scenes (a policy: simulator scenes)',
      integer('--images', 1, 100_000),
      64,
    )
    .action(
      async (o: {
        model: string;
        onnx: string;
        tensors: string;
        data?: string;
        out: string;
        images: number;
      }) => {
        const r = await calibrate({ ...o, manifest: o.model });
        io.out(`${JSON.stringify({ out: o.out, ...r })}\n`);
      },
    );

  program
    .command('results')
    .description(
      'evaluate every shipped model side by side and regenerate models/RESULTS.md ' +
        '(--policy: only its push-and-grasp policy table)',
    )
    .option('--models <dir>', 'directory of model manifests', 'models')
    .option('--data <dir>', 'dataset directory (held-out test split); not needed with --policy')
    .option('--pooled <dirs...>', 'other datasets (e.g. the other cells), evaluated pooled beside --data')
    .option(
      '--threads <n>',
      "onnxruntime intra-op threads (default: perception_node's, so the table reports what the node delivers)",
      integer('--threads', 1, 256),
      NODE_THREADS,
    )
    .option(
      '--limit <n>',
      'evaluate the first N scenes only (of each dataset)',
      integer('--limit', 1, 1_000_000),
    )
    .addOption(splitOption())
    .option('--policy', 'the policy table: latency measured now, task metrics from the manifests', false)
    .option(
      '--full <manifest>',
      'the (untrained) policy_full export to compare against',
      'out/policy/full/policy_full.json',
    )
    .option('--runs <n>', 'interleaved latency runs per policy', integer('--runs', 1, 10_000), 5)
    .option('--readme <file>', "also copy the tables into this README's generated blocks (README.md)")
    .action(
      async (o: {
        models: string;
        data?: string;
        pooled?: string[];
        threads: number;
        limit?: number;
        split: EvaluationSplit;
        policy: boolean;
        full: string;
        runs: number;
        readme?: string;
      }) => {
        const readme = (file: string) =>
          o.readme ? { readme: o.readme, blocks: updateReadme(o.readme, file) } : {};
        if (o.policy) {
          const files = policyManifests(o.models, fs.existsSync(o.full) ? o.full : undefined);
          if (files.length === 0) throw new Error(`${o.models}: no policy manifests`);
          const latency = await benchPolicies(files, { runs: o.runs, threads: 1 });
          const manifests = files.map((f) => loadManifest(f).manifest);
          const file = path.join(o.models, 'RESULTS.md');
          writePolicySection(file, policyTable(manifests, latency, 1));
          io.out(`${JSON.stringify({ file, latency, ...readme(file) })}\n`);
          return;
        }
        if (!o.data) throw new Error('results needs --data DIR (or --policy)');
        const r = await writeResults({
          ...o,
          data: o.data,
          onModel: (name) => io.err(`results: evaluating ${name}\n`),
        });
        if (o.split === 'all') io.err(`results: ${o.data}: ${ALL_SPLIT_NOTE}\n`);
        const copied = readme(r.file);
        io.out(
          `${JSON.stringify({ file: r.file, perception: r.perception, segmentation: r.segmentation, ...copied })}\n`,
        );
      },
    );
}
