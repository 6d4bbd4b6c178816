// Dataset throughput: `grasp-perception dataset` end to end (scenes dropped and settled, every label
// rendered, PNG, RLE and JSON files written) into a temporary directory, with N worker processes.
// Not a test; prints one JSON object, with the machine's load so figures can be judged.
//
//   npm run build && node dist/dataset/benchmark.js --cell cells/domain_randomized.yaml --width 320 --scenes 60 --workers 2
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDataset } from './writer';

/**
 * CPU seconds of this process's finished children (Linux: /proc/self/stat cutime + cstime, in
 * clock ticks of 1/100 s), so the worker processes' time counts too; null elsewhere.
 */
function childrenCpuSeconds(): number | null {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    // Fields after the parenthesised command name; cutime and cstime are fields 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: readonly string[]): Promise<void> {
  const width = Number(option(argv, 'width') ?? 320);
  const height = Number(option(argv, 'height') ?? Math.round((width * 3) / 4));
  const scenes = Number(option(argv, 'scenes') ?? 60);
  const workers = Number(option(argv, 'workers') ?? os.availableParallelism());
  const objects = Number(option(argv, 'objects') ?? 10);
  const cell = option(argv, 'cell');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dataset-bench-'));
  const loadBefore = os.loadavg()[0];
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  const childrenBefore = childrenCpuSeconds();
  try {
    const m = await writeDataset({
      out,
      scenes,
      seed: Number(option(argv, 'seed') ?? 1000),
      width,
      height,
      split: [60, 20, 20],
      objects: [objects, objects],
      cell,
      workers,
    });
    const seconds = (performance.now() - start) / 1000;
    const own = process.cpuUsage(cpuBefore);
    const childrenAfter = childrenCpuSeconds();
    // Workers have exited (and were reaped) by now: their CPU time is the children's.
    const cpuSeconds =
      (own.user + own.system) / 1e6 +
      (childrenBefore !== null && childrenAfter !== null ? childrenAfter - childrenBefore : 0);
    const measured = workers === 1 || childrenAfter !== null;
    let bytes = 0;
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else bytes += fs.statSync(p).size;
      }
    };
    walk(out);
    console.log(
      JSON.stringify({
        cell: cell ?? null,
        width,
        height,
        objects,
        scenes,
        workers,
        files: m.files,
        megabytes: +(bytes / 1e6).toFixed(1),
        seconds: +seconds.toFixed(1),
        scenes_per_s: +(scenes / seconds).toFixed(2),
        // CPU time per scene (this process and its workers) hardly depends on what else loads the
        // machine; cores / that is the rate an idle machine would reach.
        ...(measured
          ? {
              cpu_ms_per_scene: +((cpuSeconds * 1000) / scenes).toFixed(1),
              idle_estimate_scenes_per_s_all_cores: +(
                (os.availableParallelism() * scenes) /
                cpuSeconds
              ).toFixed(2),
            }
          : {}),
        cores: os.availableParallelism(),
        cpu: os.cpus()[0]?.model ?? 'unknown',
        load_average_1min_before: +loadBefore.toFixed(2),
        load_average_1min_after: +os.loadavg()[0].toFixed(2),
      }),
    );
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(`dataset benchmark: ${err.message}`);
    process.exit(1);
  });
}
