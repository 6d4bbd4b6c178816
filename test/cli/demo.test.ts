import { runDemo } from '../../src/cli/demo';

describe('grasp-perception demo', () => {
  it('runs the simulator camera through camera_check and reports a synchronised, recovered pipeline', async () => {
    let out = '';
    await runDemo({ seconds: 1, seed: 3, objects: 5, headless: true, out: (s) => (out += s), rosArgs: [] });
    const report = JSON.parse(out.slice(out.indexOf('{\n')));
    expect(report.frames_published).toBe(15);
    expect(report.faults).toBe(1);
    expect(report.synchronised_sets).toBeGreaterThanOrEqual(14);
    expect(report.diagnostics_level).toBe('OK');
    expect(report.objects_in_bin).toBe(5);
    expect(report.camera_in_world.z).toBeGreaterThan(0.5);
    expect(out).toMatch(/\[WARN\] .*depth: data has 1000 bytes/);
  });
});
