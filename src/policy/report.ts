// The closed-loop demo's report: report.json (metrics, per-node latency, every step) and report.html
// (summary, then per step the perception overlay and the Q maps the policy chose from).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { percentile } from '../stats';
import { type EpisodeEvent, type EpisodeMetrics } from './episode';

export interface LatencySummary {
  samples: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export function latencySummary(xs: readonly number[]): LatencySummary {
  const s = xs.filter(Number.isFinite);
  const at = (p: number) => (s.length ? Number(percentile(s, p).toFixed(2)) : null);
  return { samples: s.length, p50: at(50), p95: at(95), max: at(100) };
}

export interface ReportStep {
  event: EpisodeEvent;
  /** Files next to report.html ('' when that image never arrived). */
  overlay: string;
  qMaps: string;
  segmentation: string;
  decideMs: number;
  executeMs: number;
}

export interface DemoReport {
  completion: number;
  grasp_success: number | null;
  action_efficiency: number | null;
  actions: number;
  objects: number;
  objects_removed: number;
  objects_grasped: number;
  /** Objects that left the workspace other than by a grasp. */
  objects_lost: number;
  end: EpisodeMetrics['end'];
  error?: string;
  seed: number;
  policy_model: string;
  latency_ms: Record<string, LatencySummary>;
  wall_s: number;
  steps: ReportStep[];
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
const pct = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(1)} %`);

export function reportHtml(r: DemoReport): string {
  const rows = (
    [
      [
        'completion',
        r.completion
          ? 'yes (every object grasped)'
          : `no (${r.end}${r.objects_lost > 0 ? `, ${r.objects_lost} lost` : ''})`,
      ],
      ['grasp success', pct(r.grasp_success)],
      ['action efficiency', pct(r.action_efficiency)],
      ['actions', String(r.actions)],
      [
        'objects removed',
        `${r.objects_removed} of ${r.objects} (${r.objects_grasped} grasped, ${r.objects_lost} lost)`,
      ],
      ['policy model', r.policy_model],
      ['seed', String(r.seed)],
      ['wall time', `${r.wall_s.toFixed(1)} s`],
      ...(r.error ? [['error', r.error]] : []),
    ] as [string, string][]
  )
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('\n');
  const latency = Object.entries(r.latency_ms)
    .map(
      ([k, v]) =>
        `<tr><td>${esc(k)}</td><td>${v.p50 ?? 'n/a'}</td><td>${v.p95 ?? 'n/a'}</td><td>${v.samples}</td></tr>`,
    )
    .join('\n');
  const img = (f: string, alt: string) => (f ? `<img src="${esc(f)}" alt="${esc(alt)}">` : '<em>none</em>');
  const steps = r.steps
    .map((s) => {
      const e = s.event;
      const where = `(${e.position.x.toFixed(3)}, ${e.position.y.toFixed(3)}, ${e.position.z.toFixed(3)}) m`;
      const dir = e.primitive === 'push' ? `, direction ${((e.angle * 180) / Math.PI).toFixed(0)}°` : '';
      return `<section><h3>Step ${e.step}: ${e.primitive} at ${where}${dir} → ${esc(e.outcome)} ${e.success ? '✔' : '✘'}</h3>
<p>Q ${e.q.toFixed(3)}; ${e.objectsRemaining} objects left; decide ${s.decideMs} ms, execute ${s.executeMs} ms</p>
<div class="imgs">${img(s.overlay, 'perception overlay')}${img(s.segmentation, 'segmentation')}${img(s.qMaps, 'Q maps: grasp | best push')}</div></section>`;
    })
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>grasp_perception closed-loop demo</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin-bottom:1em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}.imgs img{max-height:260px;margin-right:8px;image-rendering:pixelated}</style>
</head><body>
<h1>Closed-loop push-and-grasp demo</h1>
<table>${rows}</table>
<h2>Latency per node (ms)</h2>
<table><tr><th>stage</th><th>p50</th><th>p95</th><th>samples</th></tr>${latency}</table>
<p>Q maps: left the suction-grasp Q map, right the best push over all rotations (grey: not admissible); the
white cross marks the chosen action (with the push direction).</p>
<h2>Steps</h2>
${steps}
</body></html>
`;
}

export function writeReport(dir: string, r: DemoReport): { html: string; json: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  fs.writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(html, reportHtml(r));
  return { html, json };
}
