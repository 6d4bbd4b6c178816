// `grasp-perception eval real`: perception_node's path on labelled real frames (or a simulator
// dataset's held-out scenes), per frame and pooled; `--write-results` regenerates RESULTS.md's
// real-frames section (every grasp source side by side).
import { type Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { type EvaluationSplit } from '../dataset';
import { evaluateReal, type RealMetrics, realFramesSection, writeRealSection } from '../eval/real';
import {
  graspStageFrom,
  PERCEPTION_DEFAULTS,
  DEFAULT_PERCEPTION_MODEL,
  perceptionParamsFrom,
} from '../nodes/perception/node';
import { GRASP_SOURCES, type GraspSource } from '../perception/grasp-source';

/** perception_node's default model (its model_file_path). */
const PERCEPTION_DEFAULTS_MODEL = DEFAULT_PERCEPTION_MODEL;

type Io = { out: (s: string) => void; err: (s: string) => void };
type IntegerOption = (name: string, lo: number, hi: number) => (v: string) => number;

/** --grasp-source, defaulting to perception_node's grasp_source. */
export function graspSourceOption(): Option {
  return new Option('--grasp-source <source>', "where grasps come from (default: perception_node's)")
    .choices([...GRASP_SOURCES])
    .default(PERCEPTION_DEFAULTS.grasp_source);
}

const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));

function summary(m: RealMetrics): string {
  const p = m.precision_at;
  return [
    `${m.grasp_source} grasps${m.model ? `, ${m.model}` : ''}, ${m.frames} frames of ${m.data}`,
    `precision@1 ${fmt(p['1'].mean)}  @5 ${fmt(p['5'].mean)}  @10 ${fmt(p['10'].mean)} (${p['1'].frames} frames with objects; random pixel ${fmt(m.random_pixel_precision)})`,
    `object recall@10 ${fmt(m.recall_at_10.value)} (${m.recall_at_10.objects} objects, ${m.recall_at_10.frames} frames)`,
    `confident grasps off objects ${m.confident_off_objects}; on empty scenes ${m.confident_on_empty.grasps} (${m.confident_on_empty.frames} frames)`,
    `visible-mask AP50 ${fmt(m.visible_mask_ap50.value)} (${m.visible_mask_ap50.frames} frames)`,
    ...m.per_frame.map(
      (f) =>
        `  ${f.frame}: ${f.grasps} grasps, P@1 ${fmt(f.precision_at['1'])} P@10 ${fmt(f.precision_at['10'])}, recall@10 ${fmt(f.recall_at_10)}, confident ${f.confident} (${f.confident_off_objects} off objects)`,
    ),
  ].join('\n');
}

/** The comparison RESULTS.md tabulates: each network alone, geometric, and hybrid on the default model. */
export const REAL_COMPARISON: { source: GraspSource; model?: string }[] = [
  { source: 'network', model: 'models/fast_graspnext.json' },
  { source: 'network', model: 'models/mobilenet_graspnext.json' },
  { source: 'geometric' },
  { source: 'hybrid', model: 'models/fast_graspnext.json' },
];

export function registerEvalReal(program: Command, io: Io, integer: IntegerOption): void {
  const evalCmd = program.commands.find((c) => c.name() === 'eval');
  if (!evalCmd) throw new Error('eval real: the eval command is not registered');
  evalCmd
    .command('real')
    .description(
      "perception_node's path on labelled RGB-D frames (per frame: rgb.png, depth.png, camera.yaml, objects.png, meta.json) " +
        'or on a simulator dataset: grasp precision@k, object recall@10, confident false grasps, visible-mask AP50',
    )
    .requiredOption(
      '--data <dir>',
      'a directory of frame directories (or a `grasp-perception dataset` directory)',
    )
    .option(
      '--model <manifest>',
      "perception model manifest (default: perception_node's; unused by --grasp-source geometric)",
      PERCEPTION_DEFAULTS_MODEL,
    )
    .addOption(graspSourceOption())
    .option('--json', 'print one JSON object', false)
    .option('--threads <n>', 'onnxruntime intra-op threads', integer('--threads', 1, 256), 1)
    .option('--limit <n>', 'evaluate the first N frames only', integer('--limit', 1, 1_000_000))
    .addOption(
      new Option(
        '--split <split>',
        'simulator datasets: the held-out test split, the validation split, or every scene',
      )
        .choices(['test', 'val', 'all'])
        .default('test'),
    )
    .option(
      '--write-results <file>',
      "evaluate every grasp source (network with each model, geometric, hybrid) and rewrite this RESULTS.md's real-frames section",
    )
    .option('--label <text>', 'with --write-results: what the frames are (named in the section)', '')
    .action(
      async (o: {
        data: string;
        model: string;
        graspSource: GraspSource;
        json: boolean;
        threads: number;
        limit?: number;
        split: EvaluationSplit;
        writeResults?: string;
        label: string;
      }) => {
        const run = async (source: GraspSource, model: string | undefined) => {
          const bar = new SingleBar({
            format: `eval real (${source}) |{bar}| {value}/{total} frames`,
            stream: process.stderr,
          });
          let started = false;
          try {
            return await evaluateReal({
              data: o.data,
              model,
              stage: graspStageFrom({ ...PERCEPTION_DEFAULTS, grasp_source: source }),
              params: perceptionParamsFrom(PERCEPTION_DEFAULTS),
              threads: o.threads,
              split: o.split,
              limit: o.limit,
              onFrame: (done, total) => {
                if (!started) bar.start(total, 0);
                started = true;
                bar.update(done);
              },
            });
          } finally {
            bar.stop();
          }
        };
        if (o.writeResults) {
          const all: RealMetrics[] = [];
          for (const c of REAL_COMPARISON) all.push(await run(c.source, c.model));
          writeRealSection(
            o.writeResults,
            realFramesSection(all, { data: o.data, label: o.label, threads: o.threads }),
          );
          io.out(
            `${JSON.stringify({ file: o.writeResults, results: all.map(({ per_frame: _, ...m }) => m) })}\n`,
          );
          return;
        }
        const m = await run(o.graspSource, o.model);
        io.out(o.json ? `${JSON.stringify(m)}\n` : `${summary(m)}\n`);
      },
    );
}
