// `grasp-perception nas …`: the latency dataset of the hardware-aware search (docs/nas.md) and the
// run-time choice of a model for a latency budget (what perception_node's latency_budget_ms does).
import * as path from 'node:path';
import { type Command } from 'commander';
import { DEFAULT_SPACE, nasLatency, timeManifests, type NasLatencyOptions } from '../eval/nas-latency';
import { PACKAGE_ROOT } from '../msg';
import { candidateManifests, selectForBudget, timeCandidates } from '../models/select';
import { NODE_THREADS } from '../eval/run';
import { PERCEPTION_PARAMETERS } from '../nodes/perception/node';

type Io = { out: (s: string) => void; err: (s: string) => void };
type IntegerOption = (name: string, lo: number, hi: number) => (v: string) => number;

const NODE_PROVIDERS = PERCEPTION_PARAMETERS.execution_providers.default;

const budget = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new Error(`--budget-ms must be a positive number, got '${v}'`);
  return n;
};

const providerList = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The options every timing command shares: perception_node's threads and providers, warm-up, runs. */
function timingOptions(cmd: Command, integer: IntegerOption): Command {
  return cmd
    .option(
      '--threads <n>',
      "onnxruntime intra-op threads (default: perception_node's)",
      integer('--threads', 0, 256),
      NODE_THREADS,
    )
    .option(
      '--providers <list>',
      "execution providers, comma-separated (default: perception_node's)",
      providerList,
      [...NODE_PROVIDERS],
    )
    .option('--warmup <n>', 'untimed runs per model', integer('--warmup', 0, 10_000), 10)
    .option('--runs <n>', 'timed runs per model', integer('--runs', 1, 100_000), 50);
}

export function registerNasCommands(program: Command, io: Io, integer: IntegerOption): void {
  const nas = program.command('nas').description('hardware-aware architecture search (RAM-NAS, docs/nas.md)');
  timingOptions(
    nas
      .command('latency')
      .description(
        'export random subnets of a search space (fp32 and int8) and time them with onnxruntime-node on this machine; one JSON line per model',
      )
      .option('--space <file>', 'search space (training/nas/spaces/*.json)', DEFAULT_SPACE)
      .requiredOption('--samples <n>', 'random subnets', integer('--samples', 1, 100_000))
      .requiredOption('--out <file>', 'latency dataset to write (JSON lines)')
      .option('--seed <n>', 'sampling seed', integer('--seed', 0, 2 ** 31 - 1), 1)
      .option('--work <dir>', 'where the exported subnets go (default: OUT.models/)')
      .option('--no-int8', 'fp32 only'),
    integer,
  ).action(async (o: Omit<NasLatencyOptions, 'onRecord'>) => {
    const r = await nasLatency({
      ...o,
      onRecord: (rec) =>
        io.err(
          `${rec.name} ${rec.precision}: p50 ${rec.p50_ms} ms, p90 ${rec.p90_ms} ms (${rec.macs} MACs)\n`,
        ),
    });
    io.out(`${JSON.stringify(r)}\n`);
  });
  timingOptions(
    nas
      .command('time')
      .description(
        'time perception manifests side by side on this machine (interleaved, as perception_node runs them); one JSON line per model',
      )
      .argument('<manifests...>', 'model manifests, e.g. models/mobilenet_graspnext.json'),
    integer,
  ).action(
    async (files: string[], o: { threads: number; providers: string[]; warmup: number; runs: number }) => {
      for (const t of await timeManifests(files, o)) io.out(`${JSON.stringify(t)}\n`);
    },
  );
  timingOptions(
    nas
      .command('select')
      .description(
        "time the candidate models on this machine and print the most accurate whose p90 fits the budget (perception_node's latency_budget_ms)",
      )
      .requiredOption('--budget-ms <ms>', 'p90 latency budget of one inference, ms', budget)
      .option(
        '--models <dir>',
        'candidate manifests (perception models with accuracy metrics)',
        path.join(PACKAGE_ROOT, 'models'),
      ),
    integer,
  )
    .option('--json', 'one JSON object instead of text', false)
    .action(
      async (o: {
        budgetMs: number;
        models: string;
        threads: number;
        providers: string[];
        warmup: number;
        runs: number;
        json: boolean;
      }) => {
        const { files, skipped } = candidateManifests(o.models);
        const candidates = await timeCandidates(files, {
          executionProviders: o.providers,
          intraOpThreads: o.threads,
          warmup: o.warmup,
          runs: o.runs,
        });
        const s = selectForBudget(candidates, o.budgetMs);
        if (!s.choice)
          throw new Error(`${o.models}: no perception manifest with accuracy metrics to choose from`);
        if (o.json) {
          io.out(
            `${JSON.stringify({ choice: s.choice.file, fits: s.fits, reason: s.reason, candidates, skipped })}\n`,
          );
        } else {
          io.out(`${s.choice.file}\n${s.reason}\n`);
        }
      },
    );
}
