import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDemo } from '../../src/cli/demo';
import { episodeMetrics, type EpisodeEvent } from '../../src/policy/episode';
import { type DemoReport } from '../../src/policy/report';

jest.setTimeout(120_000);

const SIM_OUTCOMES = [
  'grasped',
  'no-object',
  'pinned',
  'not-planar',
  'off-surface',
  'blocked',
  'covers-hole',
  'pushed',
  'pushed, no change',
];

describe('grasp-perception demo (closed loop)', () => {
  it('runs a short headless episode: actions executed in the simulator, metrics from its events, both reports', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-'));
    let out = '';
    const report = (await runDemo({
      seed: 4,
      objects: 3,
      maxActions: 4,
      outDir: dir,
      headless: true,
      camera: { width: 320, height: 240, rate: 5 },
      out: (s) => (out += s),
      rosArgs: [],
    })) as unknown as DemoReport;
    if (report.error) console.log(out);
    expect(report.error).toBeUndefined();
    expect(report.actions).toBeGreaterThan(0);
    expect(report.actions).toBeLessThanOrEqual(4);
    const events: EpisodeEvent[] = report.steps.map((s) => s.event);
    // Each step is the simulator's own account of an executed action.
    for (const e of events) expect(SIM_OUTCOMES).toContain(e.outcome);
    expect(events.map((e) => e.step)).toEqual(events.map((_, i) => i + 1));
    for (let i = 1; i < events.length; i++) {
      const taken = events[i - 1].objectsRemaining - events[i].objectsRemaining;
      if (events[i].primitive === 'grasp' && events[i].success) expect(taken).toBeGreaterThanOrEqual(1);
    }
    const m = episodeMetrics(3, events, report.end);
    expect(report).toMatchObject({
      completion: m.completed ? 1 : 0,
      grasp_success: m.grasp_success,
      action_efficiency: m.action_efficiency,
      actions: m.actions,
      objects_removed: m.objects_removed,
    });
    expect(
      report.end === 'cleared' || report.end === 'action-limit' || report.end === 'nothing-admissible',
    ).toBe(true);
    // Both reports, and the step images they point at.
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as DemoReport;
    expect(json.actions).toBe(report.actions);
    expect(Object.keys(json.latency_ms)).toEqual(
      expect.arrayContaining(['perception_node', 'policy_node', 'segmentation_node']),
    );
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<h3>Step 1:');
    expect(report.steps[0].qMaps).toBe('step-001-q-maps.png');
    expect(fs.existsSync(path.join(dir, report.steps[0].qMaps))).toBe(true);
    expect(out).toMatch(/^action 1: (push|grasp) -> /m);
    expect(JSON.parse(out.trim().split('\n').at(-1) ?? '')).toMatchObject({ actions: report.actions });
  });
});
