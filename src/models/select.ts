// Resource-aware model choice (docs/nas.md#run-time-selection): the most accurate candidate whose
// measured p90 latency fits the budget. The choice is a pure function of the candidates' accuracy and
// timings; measuring them (timeCandidates) is separate, so tests inject timings.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadManifest, type ModelManifest } from './manifest';
import { openModel, type SessionOptions } from './session';
import { timeSession } from './timing';

/** The task metrics that make a perception model's accuracy: their mean (each in [0, 1], higher better). */
export const ACCURACY_METRICS = ['amodal_bbox_ap', 'visible_mask_ap', 'amodal_mask_ap', 'com_ap'] as const;

export interface Candidate {
  name: string;
  file: string;
  /** Mean of ACCURACY_METRICS from the manifest's metrics. */
  accuracy: number;
  /** Measured on this machine, ms. */
  p90Ms: number;
}

export interface Selection {
  /** null when there is no candidate at all. */
  choice: Candidate | null;
  fits: boolean;
  reason: string;
}

/** Accuracy of a manifest (mean of ACCURACY_METRICS), or null when one of them is missing. */
export function manifestAccuracy(m: ModelManifest): number | null {
  const values = ACCURACY_METRICS.map((k) => m.metrics[k]);
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
  return (values as number[]).reduce((a, b) => a + b, 0) / values.length;
}

const fmt = (c: Candidate) => `${c.name} (accuracy ${c.accuracy.toFixed(3)}, p90 ${c.p90Ms.toFixed(2)} ms)`;

/**
 * The most accurate candidate whose p90 is within the budget (ties: the faster one). When none fits, the
 * fastest, with fits = false: a node still runs, and says so.
 */
export function selectForBudget(candidates: readonly Candidate[], budgetMs: number): Selection {
  if (candidates.length === 0) return { choice: null, fits: false, reason: 'no candidate models' };
  const fitting = candidates.filter((c) => c.p90Ms <= budgetMs);
  if (fitting.length === 0) {
    const fastest = [...candidates].sort((a, b) => a.p90Ms - b.p90Ms)[0];
    return {
      choice: fastest,
      fits: false,
      reason: `no candidate's p90 fits ${budgetMs} ms; the fastest is ${fmt(fastest)}`,
    };
  }
  const best = [...fitting].sort((a, b) => b.accuracy - a.accuracy || a.p90Ms - b.p90Ms)[0];
  const better = candidates.filter((c) => c.accuracy > best.accuracy).sort((a, b) => b.accuracy - a.accuracy);
  const over = better.length ? `; more accurate but over budget: ${better.map(fmt).join(', ')}` : '';
  return {
    choice: best,
    fits: true,
    reason: `${fmt(best)} is the most accurate of ${fitting.length}/${candidates.length} candidates within ${budgetMs} ms${over}`,
  };
}

/** Perception manifests in a directory that carry the accuracy metrics (the others are listed as skipped). */
export function candidateManifests(dir: string): { files: string[]; skipped: string[] } {
  const files: string[] = [];
  const skipped: string[] = [];
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const file = path.join(dir, f);
    let m: ModelManifest;
    try {
      m = loadManifest(file, { verifyModel: false }).manifest;
    } catch {
      continue; // not a model manifest (e.g. a results file)
    }
    if (m.task !== 'perception') continue;
    if (manifestAccuracy(m) === null) skipped.push(`${m.name} (no ${ACCURACY_METRICS.join('/')} metrics)`);
    else files.push(file);
  }
  return { files, skipped };
}

/** Opens and times each manifest's model on this machine (warm-up, then `runs` runs; p90). */
export async function timeCandidates(
  files: readonly string[],
  o: SessionOptions & { warmup: number; runs: number },
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const file of files) {
    const session = await openModel(file, { ...o, warmupRuns: 0 });
    try {
      const t = await timeSession(session, o);
      out.push({ name: session.manifest.name, file, accuracy: manifestAccuracy(session.manifest) ?? 0, p90Ms: t.p90 });
    } finally {
      await session.release();
    }
  }
  return out;
}
