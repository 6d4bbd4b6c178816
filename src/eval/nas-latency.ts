// `grasp-perception nas latency`: the latency dataset of RAM-NAS on the machine it runs on. Random
// subnets of a search space are exported to ONNX by the training code (training/nas/export_nas.py,
// fp32 and int8) and timed here with onnxruntime-node as perception_node runs them (batch 1, its thread
// count and execution providers): warm-up, then p50/p90/p99. One JSON line per subnet and precision.
// `nas time` times given manifests side by side the same way (the baseline the search's latency budgets
// are fractions of, and the shipped front points).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../msg';
import { loadManifest } from '../models/manifest';
import { openModel } from '../models/session';
import { elapsedMs, latencyStats } from '../models/timing';

export const PYTHON = '/usr/bin/python3';
export const DEFAULT_SPACE = path.join(PACKAGE_ROOT, 'training', 'nas', 'spaces', 'default.json');

export interface NasLatencyOptions {
  space: string;
  samples: number;
  seed: number;
  out: string;
  /** Where the exported subnets go (default: OUT without .jsonl + '.models'). */
  work?: string;
  threads: number;
  providers: string[];
  int8: boolean;
  warmup: number;
  runs: number;
  onRecord?: (r: LatencyRecord) => void;
}

/** One line of the latency dataset: a subnet's timing with its place in the sampled sequence and space. */
export type LatencyRecord = Omit<ManifestTiming, 'file' | 'encoding'> & {
  index: number;
  space: string;
  encoding: number[];
  seed: number;
};

/** The machine as RESULTS.md names it: CPU model and core count (training/machine.py's wording). */
export function machineName(): { cpu: string; cores: number } {
  return { cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU', cores: os.availableParallelism() };
}

/** SIMD extensions onnxruntime's CPU kernels dispatch on. Virtual machines here all say "AMD EPYC" yet
 *  ran the same subnets 2.3-3.1x apart, so a latency record names what its CPU can do as well. */
const KERNEL_ISA = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'avx512f',
  'avx512bw',
  'avx512_vnni',
  'avx_vnni',
  'amx_tile',
];

/** The KERNEL_ISA flags of this CPU (Linux /proc/cpuinfo; [] where it cannot be read). */
export function cpuIsa(cpuinfo = '/proc/cpuinfo'): string[] {
  let text: string;
  try {
    text = fs.readFileSync(cpuinfo, 'utf8');
  } catch {
    return [];
  }
  const flags = new Set(/^flags\s*:(.*)$/m.exec(text)?.[1].trim().split(/\s+/) ?? []);
  return KERNEL_ISA.filter((f) => flags.has(f));
}

/** Runs export_nas.py and returns the manifests it wrote, in sampling order. */
async function exportSubnets(
  o: NasLatencyOptions,
  work: string,
): Promise<{ index: number; files: string[] }[]> {
  const args = [
    path.join(PACKAGE_ROOT, 'training', 'nas', 'export_nas.py'),
    'random',
    '--space',
    path.resolve(o.space),
    '--samples',
    String(o.samples),
    '--seed',
    String(o.seed),
    '--out',
    work,
    ...(o.int8 ? ['--int8'] : []),
  ];
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) {
    const last = stderr.trim().split('\n').at(-1) ?? '';
    throw new Error(`training/nas/export_nas.py exited ${String(code)}: ${last}`);
  }
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const r = JSON.parse(l) as { index: number; manifest: string; int8_manifest?: string };
      return { index: r.index, files: [r.manifest, ...(r.int8_manifest ? [r.int8_manifest] : [])] };
    });
}

export async function nasLatency(
  o: NasLatencyOptions,
): Promise<{ records: number; out: string; work: string }> {
  const work = o.work ?? `${o.out.replace(/\.jsonl$/, '')}.models`;
  if (!fs.existsSync(o.space)) throw new Error(`${o.space}: search space not found`);
  fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  const subnets = await exportSubnets(o, work);
  const models = subnets.flatMap((s) =>
    s.files.map((file) => {
      const { manifest } = loadManifest(file);
      if (!manifest.nas) throw new Error(`${file}: not a NAS subnet manifest (no nas section)`);
      return { index: s.index, file, nas: manifest.nas };
    }),
  );
  // All subnets in one interleaved run: a shared machine's speed drifts over minutes (noisy neighbours),
  // and timed one after another each subnet would see a different machine.
  const timings = await timeManifests(
    models.map((m) => m.file),
    o,
  );
  const lines: string[] = [];
  for (const [k, { file: _file, ...t }] of timings.entries()) {
    const rec: LatencyRecord = {
      index: models[k].index,
      ...t,
      space: models[k].nas.space,
      encoding: models[k].nas.encoding,
      seed: o.seed,
    };
    lines.push(JSON.stringify(rec));
    o.onRecord?.(rec);
  }
  fs.writeFileSync(o.out, `${lines.join('\n')}\n`);
  return { records: lines.length, out: o.out, work };
}

export interface TimingOptions {
  threads: number;
  providers: string[];
  warmup: number;
  runs: number;
}

export interface ManifestTiming {
  file: string;
  name: string;
  precision: string;
  input: number[];
  params: number;
  macs: number;
  /** The manifest's search encoding, if it is a NAS model. */
  encoding: number[] | null;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  warmup: number;
  runs: number;
  threads: number;
  provider: string;
  cpu: string;
  cores: number;
  /** cpuIsa(): the SIMD extensions the CPU offers (the model name alone does not tell machines apart). */
  isa: string[];
  /** 1-minute load average when the models were timed (shared machines: read the timings against it). */
  load_avg_1m: number;
}

/** Times several manifests in one run, interleaved run by run (load affects all alike): warm-up each, then
 *  `runs` rounds of one inference per model. */
export async function timeManifests(files: readonly string[], o: TimingOptions): Promise<ManifestTiming[]> {
  const sessions = [];
  try {
    for (const file of files)
      sessions.push(
        await openModel(file, { executionProviders: o.providers, intraOpThreads: o.threads, warmupRuns: 0 }),
      );
    const inputs = sessions.map((s) => new Float32Array(s.manifest.input.shape.reduce((a, b) => a * b, 1)));
    for (const [k, s] of sessions.entries()) for (let i = 0; i < o.warmup; i++) await s.run(inputs[k]);
    const samples = sessions.map(() => [] as number[]);
    for (let r = 0; r < o.runs; r++) {
      for (const [k, s] of sessions.entries()) {
        const t0 = process.hrtime.bigint();
        await s.run(inputs[k]);
        samples[k].push(elapsedMs(t0));
      }
    }
    const { cpu, cores } = machineName();
    const isa = cpuIsa();
    const load = +os.loadavg()[0].toFixed(2);
    return sessions.map((s, k) => {
      const t = latencyStats(samples[k]);
      const m = s.manifest;
      return {
        file: path.resolve(files[k]),
        name: m.name,
        precision: m.precision,
        input: [...m.input.shape],
        params: m.complexity.params,
        macs: m.complexity.macs,
        encoding: m.nas?.encoding ?? null,
        p50_ms: t.p50,
        p90_ms: t.p90,
        p99_ms: t.p99,
        warmup: o.warmup,
        runs: o.runs,
        threads: o.threads,
        provider: s.provider,
        cpu,
        cores,
        isa,
        load_avg_1m: load,
      };
    });
  } finally {
    for (const s of sessions) await s.release();
  }
}
