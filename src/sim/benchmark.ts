// Throughput of the simulator core: random clutter dropped and settled, then one frame with every
// label (RGB, sensor depth with realism, instances, semantics, amodal masks, occlusion, centre of
// mass, suction heatmap). Not a test: run it on an idle machine.
//
//   npx tsc -p tsconfig.build.json && node dist/sim/benchmark.js --width 320 --objects 10 --scenes 30 --workers 2
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createCamera } from './camera';
import { BinPickingSim } from './sim';

export interface BenchmarkOptions {
  width: number;
  height: number;
  objects: number;
  scenes: number;
  /** First seed; scene i uses seed + i. */
  seed: number;
  realism: boolean;
}

export interface BenchmarkResult {
  scenes: number;
  /** Milliseconds summed over scenes. */
  physicsMs: number;
  frameMs: number;
}

/** Runs `options.scenes` scenes in this thread. */
export async function benchmarkScenes(
  options: BenchmarkOptions,
  first = 0,
  step = 1,
): Promise<BenchmarkResult> {
  const camera = createCamera({ width: options.width, height: options.height });
  const result: BenchmarkResult = { scenes: 0, physicsMs: 0, frameMs: 0 };
  for (let i = first; i < options.scenes; i += step) {
    const t0 = performance.now();
    const sim = await BinPickingSim.random({ count: options.objects, seed: options.seed + i }, { camera });
    const t1 = performance.now();
    sim.frame({ realism: options.realism });
    const t2 = performance.now();
    sim.dispose();
    result.scenes++;
    result.physicsMs += t1 - t0;
    result.frameMs += t2 - t1;
  }
  return result;
}

function parseArgs(argv: readonly string[]): BenchmarkOptions & { workers: number; warmup: number } {
  const get = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const width = get('width', 320);
  return {
    width,
    height: get('height', Math.round((width * 3) / 4)),
    objects: get('objects', 10),
    scenes: get('scenes', 30),
    seed: get('seed', 1000),
    realism: !argv.includes('--no-realism'),
    workers: get('workers', 1),
    warmup: get('warmup', 3),
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { workers } = options;
  // Warm-up scenes (JIT, rapier) use seeds outside the measured ones and are not timed.
  const warm = { ...options, seed: options.seed + 1_000_000, scenes: options.warmup };
  let parts: BenchmarkResult[];
  let wall: number;
  if (workers > 1) {
    const threads = Array.from(
      { length: workers },
      (_, first) => new Worker(__filename, { workerData: { options, warm, first, step: workers } }),
    );
    const next = (w: Worker): Promise<unknown> =>
      new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    await Promise.all(threads.map(next)); // all warmed up
    const start = performance.now();
    const done = threads.map(next) as Promise<BenchmarkResult>[];
    threads.forEach((w) => w.postMessage('go'));
    parts = await Promise.all(done);
    wall = (performance.now() - start) / 1000;
    await Promise.all(threads.map((w) => w.terminate()));
  } else {
    await benchmarkScenes(warm);
    const start = performance.now();
    parts = [await benchmarkScenes(options)];
    wall = (performance.now() - start) / 1000;
  }
  const total = parts.reduce((a, b) => ({
    scenes: a.scenes + b.scenes,
    physicsMs: a.physicsMs + b.physicsMs,
    frameMs: a.frameMs + b.frameMs,
  }));
  const perScene = (ms: number): string => (ms / total.scenes).toFixed(1);
  // Benchmarks print one JSON object (project convention), so runs can be compared by scripts.
  console.log(
    JSON.stringify({
      width: options.width,
      height: options.height,
      objects: options.objects,
      scenes: total.scenes,
      workers,
      realism: options.realism,
      scenes_per_s: +(total.scenes / wall).toFixed(2),
      physics_ms_per_scene: +perScene(total.physicsMs),
      frame_and_labels_ms_per_scene: +perScene(total.frameMs),
    }),
  );
}

if (!isMainThread && parentPort && workerData?.options) {
  const port = parentPort;
  const { options, warm, first, step } = workerData as {
    options: BenchmarkOptions;
    warm: BenchmarkOptions;
    first: number;
    step: number;
  };
  void benchmarkScenes(warm).then(() => {
    port.once('message', () => void benchmarkScenes(options, first, step).then((r) => port.postMessage(r)));
    port.postMessage('ready');
  });
} else if (require.main === module) {
  void main();
}
