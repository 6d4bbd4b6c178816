// Latency of a model session on this machine: warm-up runs, then timed runs of one zero input (batch 1).
// One implementation for `bench`, `nas latency`, `nas select` and perception_node's latency budget.
import { percentile } from '../stats';
import { type ModelSession } from './session';

export interface LatencyStats {
  p50: number;
  p90: number;
  p99: number;
}

/** p50/p90/p99 of a list of milliseconds, rounded to 0.01 ms. */
export function latencyStats(ms: number[]): LatencyStats {
  return {
    p50: +percentile(ms, 50).toFixed(2),
    p90: +percentile(ms, 90).toFixed(2),
    p99: +percentile(ms, 99).toFixed(2),
  };
}

/** Milliseconds since a process.hrtime.bigint() stamp. */
export const elapsedMs = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** Times `runs` inferences after `warmup` untimed ones; the samples and their percentiles. */
export async function timeSession(
  session: ModelSession,
  o: { warmup: number; runs: number },
): Promise<LatencyStats & { runs: number; samples_ms: number[] }> {
  const input = new Float32Array(session.manifest.input.shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < o.warmup; i++) await session.run(input);
  const samples: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(input);
    samples.push(elapsedMs(t0));
  }
  return { ...latencyStats(samples), runs: o.runs, samples_ms: samples };
}
